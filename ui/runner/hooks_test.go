//go:build unix

package runner

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ibkr-tray/ibkr-tray/gateway"
	"github.com/ibkr-tray/ibkr-tray/session"
	"github.com/ibkr-tray/ibkr-tray/ui/desktoptest"
)

// TestHooksDeliverABurstInOrderWithoutBlocking: the first hook run
// blocks on a FIFO until the test opens it; meanwhile 30 more events are
// queued (put returns at once), then all come out in order. A queue
// overfilled while blocked drops the oldest waiting events and says so.
func TestHooksDeliverABurstInOrderWithoutBlocking(t *testing.T) {
	tests := []struct {
		name    string
		burst   int
		dropped int
	}{
		{"a burst the queue holds", 30, 0},
		{"a burst past the queue's bound", outboxSize + 6, 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			out, fifo := filepath.Join(dir, "events"), filepath.Join(dir, "gate")
			if err := syscall.Mkfifo(fifo, 0o600); err != nil {
				t.Fatal(err)
			}
			hook := writeScript(t, `echo "$IBKR_TRAY_STATE" >> "$1"
if [ "$IBKR_TRAY_STATE" = first ]; then read x < "$2"; fi
`)
			var logs desktoptest.Buffer
			log := slog.New(slog.NewTextHandler(&logs, nil))
			h := &hooks{commands: [][]string{{hook, out, fifo}}, timeout: 20 * time.Second, log: log}
			box := newOutbox("hooks", log, h.run)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go box.run(ctx)

			box.put(Event{State: "first"})
			waitFile(t, out, "the first hook to start", func(s string) bool { return s == "first\n" })
			for i := 1; i <= tt.burst; i++ {
				box.put(Event{State: "e" + strconv.Itoa(i)})
			}
			if b, _ := os.ReadFile(out); string(b) != "first\n" {
				t.Fatalf("hooks ran past the blocked one: %q", b)
			}
			release(t, fifo)
			want := []string{"first"}
			for i := tt.dropped + 1; i <= tt.burst; i++ {
				want = append(want, "e"+strconv.Itoa(i))
			}
			got := waitFile(t, out, "every event", func(s string) bool { return strings.Count(s, "\n") >= len(want) })
			if got != strings.Join(want, "\n")+"\n" {
				t.Errorf("hooks saw:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
			}
			if dropped := strings.Count(logs.String(), "the oldest waiting one was dropped"); dropped != tt.dropped {
				t.Errorf("logged %d drops, want %d", dropped, tt.dropped)
			}
		})
	}
}

// release lets the hook blocked reading fifo go on.
func release(t *testing.T, fifo string) {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err == nil {
			_, err = f.WriteString("go\n")
			f.Close()
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the blocked hook did not open its FIFO within 20s")
	}
}

// TestHookTimeoutKillsTheHookAndWhatItStarted: a hook that outlives its
// timeout is killed with its process group (a script and the sleep it
// started), the log says so, and the next hook runs.
func TestHookTimeoutKillsTheHookAndWhatItStarted(t *testing.T) {
	dir := t.TempDir()
	pids, next := filepath.Join(dir, "pids"), filepath.Join(dir, "next")
	slow := writeScript(t, `sleep 60 &
echo $! > "$1.tmp"
echo $$ >> "$1.tmp"
mv "$1.tmp" "$1"
echo "slow hook waiting"
wait
`)
	fast := writeScript(t, `echo "$IBKR_TRAY_STATE" > "$1"`)
	var logs desktoptest.Buffer
	h := &hooks{
		commands: [][]string{{slow, pids}, {fast, next}},
		timeout:  500 * time.Millisecond,
		log:      slog.New(slog.NewTextHandler(&logs, nil)),
	}
	start := time.Now()
	h.run(context.Background(), Event{State: "Authenticated"})
	took := time.Since(start)
	if took > 5*time.Second {
		t.Errorf("the hooks took %s with a 500ms timeout", took)
	}
	b, err := os.ReadFile(pids)
	if err != nil {
		t.Fatalf("the slow hook did not start: %v", err)
	}
	for _, f := range strings.Fields(string(b)) {
		pid, _ := strconv.Atoi(f)
		waitGone(t, pid)
	}
	if got, _ := os.ReadFile(next); string(got) != "Authenticated\n" {
		t.Errorf("the hook after the slow one wrote %q", got)
	}
	for _, want := range []string{"ran longer than its timeout and was stopped", "hook=hook.sh", "slow hook waiting"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("the log lacks %q:\n%s", want, logs.String())
		}
	}
}

// waitGone waits until pid has exited (a zombie counts: it has exited).
func waitGone(t *testing.T, pid int) {
	t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for deadline := time.Now().Add(10 * time.Second); ; <-tick.C {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil || strings.Contains(string(stat), ") Z ") {
			return
		}
		if syscall.Kill(pid, 0) != nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("process %d is still running 10s after the hook's timeout", pid)
		}
	}
}

func TestHookOutputInTheLogIsBounded(t *testing.T) {
	hook := writeScript(t, `i=0; while [ $i -lt 2000 ]; do echo "line $i of the hook's output"; i=$((i+1)); done`)
	var logs desktoptest.Buffer
	h := &hooks{commands: [][]string{{hook}}, timeout: 10 * time.Second, log: slog.New(slog.NewTextHandler(&logs, nil))}
	h.run(context.Background(), Event{State: "Authenticated"})
	if !strings.Contains(logs.String(), "line 0 of") || strings.Contains(logs.String(), "line 1999 of") || !strings.Contains(logs.String(), "hook output cut short") {
		t.Errorf("the log keeps %d bytes of 60000 written; want the start, bounded, and a note", len(logs.String()))
	}
	if n := len(logs.String()); n > maxHookLines*200+1000 {
		t.Errorf("the log took %d bytes of the hook's output", n)
	}
}

func TestHookEnvironmentDropsSecretLikeVariables(t *testing.T) {
	base := []string{"PATH=/usr/bin", "HOME=/home/u", "IBKR_TRAY_SECRETS_FILE=/x", "ibkr_tray_statusaddr=y", "GITHUB_TOKEN=t", "DB_PASSWORD=p", "AWS_SECRET_ACCESS_KEY=k", "NTFY_API_KEY=n", "LANG=en_US.UTF-8"}
	env := strings.Join(hookEnv(base, Event{State: "Authenticated", Ready: true, NeedsYou: false, Profile: "work"}), "\n")
	for _, gone := range []string{"IBKR_TRAY_SECRETS_FILE", "ibkr_tray_statusaddr", "GITHUB_TOKEN", "DB_PASSWORD", "AWS_SECRET", "NTFY_API_KEY"} {
		if strings.Contains(env, gone) {
			t.Errorf("the hook's environment keeps %s", gone)
		}
	}
	for _, kept := range []string{"PATH=/usr/bin", "HOME=/home/u", "LANG=en_US.UTF-8", "IBKR_TRAY_STATE=Authenticated", "IBKR_TRAY_READY=1", "IBKR_TRAY_NEEDS_YOU=0", "IBKR_TRAY_PROFILE=work", "IBKR_TRAY_PREVIOUS=", "IBKR_TRAY_CAUSE=", "IBKR_TRAY_GATEWAY_STATE="} {
		if !strings.Contains(env, kept) {
			t.Errorf("the hook's environment lacks %s", kept)
		}
	}
}

// statusKeeper is a Session whose whole status the test sets; each
// subscriber (the relay, the watcher) has a channel of its own.
type statusKeeper struct {
	fakeKeeper
	st   session.Status
	subs []chan struct{}
}

func (k *statusKeeper) Status() session.Status {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.st
}

func (k *statusKeeper) Subscribe() (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	ch <- struct{}{}
	k.mu.Lock()
	k.subs = append(k.subs, ch)
	k.mu.Unlock()
	return ch, func() {}
}

func (k *statusKeeper) change(f func(*session.Status)) {
	k.mu.Lock()
	defer k.mu.Unlock()
	f(&k.st)
	for _, ch := range k.subs {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// TestHookTellsWhenAHumanMustAct: NeedsYou turning on is an event with
// IBKR_TRAY_NEEDS_YOU=1 and the cause; /metrics says the same and the cap.
func TestHookTellsWhenAHumanMustAct(t *testing.T) {
	k := &statusKeeper{fakeKeeper: fakeKeeper{ch: make(chan struct{}, 1)}, st: session.Status{State: session.NotAuthenticated}}
	out := filepath.Join(t.TempDir(), "events")
	hook := writeScript(t, recordingHook)
	r := simRunner(t, k, func(o *Options) { o.Config.OnStateChange = [][]string{{hook, out}} })
	run(t, r)
	waitStatus(t, r, "gateway Running", func(st Status) bool { return st.Gateway.State == gateway.Running })
	waitFile(t, out, "the gateway's change", func(s string) bool { return strings.Contains(s, "|NotAuthenticated|Running|") })
	k.change(func(s *session.Status) {
		s.State, s.Cause, s.NeedsYou = session.LoginLocked, session.CauseCapInRow, true
		s.Latches.CapTripped = session.CauseCapInRow
	})
	waitFile(t, out, "the hook told a human must act", func(s string) bool {
		return strings.Contains(s, "NotAuthenticated|LoginLocked|Running|0|1|test|cap-in-row\n")
	})
	_, body := get(t, r, "GET", "/metrics")
	for _, want := range []string{`ibkr_tray_needs_you 1`, `ibkr_tray_login_paused{cause="cap-in-row"} 1`, `ibkr_tray_login_paused{cause="cap-per-day"} 0`, `ibkr_tray_session_cause{cause="cap-in-row"} 1`, `ibkr_tray_session_state{state="LoginLocked"} 1`} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	// Back, and ready by the keeper's own test (ReadyUntil ahead).
	k.change(func(s *session.Status) {
		s.State, s.Cause, s.NeedsYou, s.Latches = session.Authenticated, "", false, session.Latches{}
		s.ReadyUntil = time.Now().Add(time.Hour)
	})
	waitFile(t, out, "the hook told the session is ready", func(s string) bool {
		return strings.Contains(s, "LoginLocked|Authenticated|Running|1|0|test|\n")
	})
	if _, body := get(t, r, "GET", "/metrics"); !strings.Contains(body, "\nibkr_tray_ready 1") || !strings.Contains(body, "\nibkr_tray_needs_you 0") {
		t.Errorf("/metrics after the session came back:\n%s", body)
	}
}

// TestEventCarriesTheApprovalDeadline: while an IB Key request waits for
// the tap, hooks and webhooks get when the wait ends; otherwise nothing.
func TestEventCarriesTheApprovalDeadline(t *testing.T) {
	now := time.Date(2026, 12, 2, 14, 3, 0, 0, time.UTC)
	var cur Status
	cur.Session.State, cur.Session.Cause, cur.Session.NeedsYou = session.WaitingForApproval, session.CauseApproveOnPhone, true
	cur.Session.Latches.ApprovalUntil = now.Add(2 * time.Minute)
	e := newEvent("live", nil, cur, now)
	if !slices.Contains(e.env(), "IBKR_TRAY_APPROVAL_UNTIL=2026-12-02T14:05:00Z") ||
		!strings.Contains(e.Text, "approve the login in IBKR Mobile by 14:05:00 UTC") {
		t.Errorf("waiting for the tap: env %q, text %q", e.env(), e.Text)
	}
	cur.Session.State, cur.Session.Cause, cur.Session.NeedsYou = session.Authenticated, "", false
	cur.Session.Latches.ApprovalUntil = time.Time{}
	e = newEvent("live", nil, cur, now)
	if b, _ := json.Marshal(e); !slices.Contains(e.env(), "IBKR_TRAY_APPROVAL_UNTIL=") || strings.Contains(string(b), "approvalUntil") {
		t.Errorf("authenticated: env %q, JSON %s", e.env(), b)
	}
}
