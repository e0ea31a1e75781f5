package runner

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ibkr-tray/ibkr-tray/gateway"
	"github.com/ibkr-tray/ibkr-tray/gateway/sim"
	"github.com/ibkr-tray/ibkr-tray/gateway/sim/simtest"
	"github.com/ibkr-tray/ibkr-tray/session"
	"github.com/ibkr-tray/ibkr-tray/ui/desktoptest"
)

// TestTwoDemosSideBySideIBKeyAndPaper: an IB Key demo (one tap on the demo
// phone) and a paper demo run at once under two profiles and two status
// addresses, and both log in.
func TestTwoDemosSideBySideIBKeyAndPaper(t *testing.T) {
	if testing.Short() {
		t.Skip("drives Chromium against two simulators")
	}
	desktoptest.RequireTools(t, "chromium")
	home := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, "config"))
	t.Setenv("XDG_STATE_HOME", filepath.Join(home, "state"))
	t.Setenv("XDG_RUNTIME_DIR", shortDir(t))
	tmp, err := os.MkdirTemp("", "ibt") // short: Chromium's socket path
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(tmp) })
	t.Setenv("TMPDIR", tmp)
	clock := &simtest.StepClock{}
	var logs desktoptest.Buffer
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("the demos' log:\n%s", logs.String())
		}
	})
	opts := func(kind DemoKind, profile string) DemoOptions {
		return DemoOptions{
			Kind: kind, Profile: profile, StatusAddr: "127.0.0.1:0", FaultEvery: -1, Browser: chromium,
			Logger:  slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})).With("profile", profile),
			Gateway: func(g *gateway.Config) { g.Env = append(g.Env, simtest.ChildEnvVar) },
			Keeper: func(k *session.KeeperOptions) {
				k.TickleInterval = 1500 * time.Millisecond
				k.StatusPoll = 300 * time.Millisecond
				k.LoginAttempt.Now, k.LoginAttempt.Sleep = clock.Now, clock.Sleep
				k.OpenBrowser = func(string) error { return errors.New("no browser in tests") }
			},
		}
	}
	live, cleanLive, err := NewDemo(opts(DemoIBKey, "demo-live"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cleanLive)
	paper, cleanPaper, err := NewDemo(opts(DemoPaper, "demo-paper"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cleanPaper)
	// The same profile twice is refused by its lock.
	if _, _, err := NewDemo(opts(DemoPaper, "demo-paper")); err == nil || !strings.Contains(err.Error(), "already running for profile demo-paper") {
		t.Errorf("a second demo-paper: %v", err)
	}
	run(t, live)
	run(t, paper)
	if live.Addr() == paper.Addr() {
		t.Fatalf("both demos listen on %s", live.Addr())
	}

	waitStatus(t, paper, "the paper demo authenticated", func(st Status) bool { return st.Session.State == session.Authenticated })
	if st := paper.Status(); st.Profile != "demo-paper" || !strings.HasPrefix(st.Session.SelectedAccount, "DU") {
		t.Errorf("paper demo: profile %q account %q", st.Profile, st.Session.SelectedAccount)
	}
	if err := paper.ApproveOnDemoPhone(); err == nil || !strings.Contains(err.Error(), "no IB Key notification") {
		t.Errorf("approving with nothing pending: %v", err)
	}

	// The IB Key user's login waits for the tap.
	deadline := time.Now().Add(30 * time.Second)
	tick := time.NewTicker(50 * time.Millisecond) // the simulator has no event to wait on
	defer tick.Stop()
	for ; ; <-tick.C {
		st := simState(t, live.demoPhone.simURL)
		if len(st.Pushes) > 0 && st.Pushes[len(st.Pushes)-1].State == sim.PushPending {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no IB Key notification pending within 30s; the runner: %+v", live.Status().Session)
		}
	}
	if st := live.Status().Session.State; st == session.Authenticated {
		t.Fatal("authenticated before the approval")
	}
	if err := live.ApproveOnDemoPhone(); err != nil {
		t.Fatalf("ApproveOnDemoPhone: %v", err)
	}
	waitStatus(t, live, "the IB Key demo authenticated", func(st Status) bool { return st.Session.State == session.Authenticated })
	if st := simState(t, live.demoPhone.simURL); st.PushesApproved != 1 {
		t.Errorf("pushes approved %d, want 1", st.PushesApproved)
	}
	if st := live.Status(); st.Profile != "demo-live" || st.Session.SelectedAccount != "U2345678" {
		t.Errorf("IB Key demo: profile %q account %q", st.Profile, st.Session.SelectedAccount)
	}

	// A runner of a real gateway has no demo phone.
	notDemo := &Runner{}
	if err := notDemo.ApproveOnDemoPhone(); !errors.Is(err, errNotDemo) {
		t.Errorf("ApproveOnDemoPhone on a real gateway: %v", err)
	}
	if err := notDemo.DenyOnDemoPhone(); err == nil || !strings.Contains(err.Error(), "not the demo") {
		t.Errorf("DenyOnDemoPhone on a real gateway: %v", err)
	}
}
