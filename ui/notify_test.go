package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/ibkr-tray/ibkr-tray/gateway"
	"github.com/ibkr-tray/ibkr-tray/session"
	"github.com/ibkr-tray/ibkr-tray/ui/runner"
)

type step struct {
	at time.Duration // since t0
	st *runner.Status
}

// run feeds snapshots and ticks every second until end, and returns the
// notifications with the second they were sent at.
func runCoalescer(c *Coalescer, steps []step, end time.Duration) []string {
	var out []string
	record := func(now time.Time, ns []Notification) {
		for _, n := range ns {
			out = append(out, n.Kind.String()+"@"+now.Sub(t0).String()+": "+n.Body)
		}
	}
	i := 0
	for at := time.Duration(0); at <= end; at += time.Second {
		now := t0.Add(at)
		for i < len(steps) && steps[i].at <= at {
			record(now, c.Observe(*steps[i].st, now))
			i++
		}
		if d := c.NextDeadline(); !d.IsZero() && !now.Before(d) {
			record(now, c.Tick(now))
		}
	}
	return out
}

func ptr(st runner.Status) *runner.Status { return &st }

func TestCoalescer(t *testing.T) {
	authed := ptr(snap(gateway.Running, session.Authenticated))
	reauth := ptr(snap(gateway.Running, session.Reauthenticating))
	down := ptr(snap(gateway.Restarting, session.GatewayDown))
	manual := snap(gateway.Running, session.NeedsManualLogin)
	manual.Session.Reason = "IBKR ended the session"
	noCreds := snap(gateway.Running, session.NeedsManualLogin)
	noCreds.Session.Reason = "no login details are stored"
	failed := snap(gateway.Failed, session.GatewayDown)
	failed.Gateway.Reason = "The gateway exited 5 times in 2 minutes"
	tests := []struct {
		name  string
		steps []step
		end   time.Duration
		want  []string
	}{
		{"a nightly reset that flaps five times gives one restored after 14 s", []step{
			{0, authed}, {10 * time.Second, reauth}, {12 * time.Second, authed}, {13 * time.Second, reauth},
			{15 * time.Second, authed}, {16 * time.Second, down}, {20 * time.Second, reauth},
			{22 * time.Second, authed}, {23 * time.Second, reauth}, {24 * time.Second, authed},
		}, 60 * time.Second, []string{"Restored@29s: Session restored after 14 s."}},
		{"a long loss is told once, then its restore", []step{
			{0, authed}, {10 * time.Second, reauth}, {20 * time.Second, down}, {100 * time.Second, authed},
		}, 200 * time.Second, []string{
			"SessionLost@40s: The app is trying to restore it; you will hear when it is back.",
			"Restored@1m45s: Session restored after 1 min 30 s.",
		}},
		{"login needed is urgent at once and replaces session lost", []step{
			{0, authed}, {5 * time.Second, &manual}, {300 * time.Second, authed},
		}, 400 * time.Second, []string{
			"LoginNeeded@5s: IBKR ended the session. Click Log in to open the gateway's login page and log in as you would in the browser.",
			"Restored@5m5s: Session restored after 4 min 55 s.",
		}},
		{"a gateway failure is told once while it lasts", []step{
			{0, authed}, {5 * time.Second, &failed}, {6 * time.Second, &failed}, {50 * time.Second, &failed},
		}, 100 * time.Second, []string{
			"GatewayFailed@5s: The gateway exited 5 times in 2 minutes. Open Status… in the tray for its output, then Restart gateway.",
		}},
		{"the same attention notice is not repeated within ten minutes", []step{
			{0, &manual}, {60 * time.Second, reauth}, {70 * time.Second, &manual}, {700 * time.Second, reauth}, {710 * time.Second, &manual},
		}, 720 * time.Second, []string{
			"LoginNeeded@0s: IBKR ended the session. Click Log in to open the gateway's login page and log in as you would in the browser.",
			"LoginNeeded@11m50s: IBKR ended the session. Click Log in to open the gateway's login page and log in as you would in the browser.",
		}},
		{"a first login the user was asked for is confirmed", []step{
			{0, down}, {10 * time.Second, &manual}, {40 * time.Second, authed},
		}, 60 * time.Second, []string{
			"LoginNeeded@10s: IBKR ended the session. Click Log in to open the gateway's login page and log in as you would in the browser.",
			"Restored@45s: Session restored after 30 s.",
		}},
		{"the keeper's reason, a clause, starts the sentence", []step{
			{0, authed}, {5 * time.Second, &noCreds}, {6 * time.Second, &noCreds},
		}, 10 * time.Second, []string{
			"LoginNeeded@5s: No login details are stored. Click Log in to open the gateway's login page and log in as you would in the browser.",
		}},
		{"starting up unauthenticated is not a loss", []step{
			{0, down}, {10 * time.Second, reauth}, {20 * time.Second, authed},
		}, 60 * time.Second, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := runCoalescer(NewCoalescer(), tc.steps, tc.end)
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("got\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(tc.want, "\n  "))
			}
		})
	}
}

func TestNoticeUrgencyAndActions(t *testing.T) {
	tests := []struct {
		name        string
		st          runner.Status
		kind        NoticeKind
		urgent, act bool
	}{
		{"login needed", snap(gateway.Running, session.NeedsManualLogin), NoticeLoginNeeded, true, true},
		{"cap tripped", snap(gateway.Running, session.LoginLocked), NoticeCapTripped, true, true},
		{"competing", snap(gateway.Running, session.Competing), NoticeCompeting, false, true},
		{"gateway failed", snap(gateway.Failed, session.GatewayDown), NoticeGatewayFailed, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k, n, ok := attentionFor(tc.st)
			if !ok || k != tc.kind || n.Urgent != tc.urgent || n.LoginAction != tc.act {
				t.Errorf("got %v %+v ok=%v", k, n, ok)
			}
		})
	}
}

func TestWords(t *testing.T) {
	for d, want := range map[time.Duration]string{
		14 * time.Second: "14 s", 90 * time.Second: "1 min 30 s", 2 * time.Minute: "2 min",
		3*time.Hour + 5*time.Minute: "3 h 5 min", 1400 * time.Millisecond: "1 s",
	} {
		if got := words(d); got != want {
			t.Errorf("words(%v) = %q, want %q", d, got, want)
		}
	}
}
