package runner

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/ibkr-tray/ibkr-tray/gateway/sim"
)

// TestFaultInjectorBreaksTheSimulatorsSessionEachWay runs the injector
// against a real simulator over HTTPS; the test fires its timer, so
// nothing sleeps.
func TestFaultInjectorBreaksTheSimulatorsSessionEachWay(t *testing.T) {
	o := sim.DefaultOptions()
	o.AuthDelay, o.ResetAt, o.RateLimits = 0, "", false
	o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, err := sim.Start(ctx, "127.0.0.1:0", o)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	fire := make(chan time.Time)
	var asked []time.Duration
	inj := FaultInjector{
		SimURL: s.URL(),
		Every:  time.Minute,
		Faults: DemoFaults,
		Logger: o.Logger,
		After: func(d time.Duration) <-chan time.Time {
			asked = append(asked, d)
			return fire
		},
	}
	done := make(chan struct{})
	go func() { inj.Run(ctx); close(done) }()

	// What each fault leaves of the session.
	broken := map[string]func(*sim.SessionState) bool{
		"expire-brokerage": func(st *sim.SessionState) bool { return st != nil && !st.Authenticated && !st.Competing },
		"expire-sso":       func(st *sim.SessionState) bool { return st == nil },
		"compete":          func(st *sim.SessionState) bool { return st != nil && st.Competing && !st.Authenticated },
		"reset":            func(st *sim.SessionState) bool { return st == nil },
	}
	// Twice round: the injector goes back to the first fault.
	for round := 1; round <= 2; round++ {
		for _, fault := range DemoFaults {
			t.Run(fault, func(t *testing.T) {
				if err := s.LoginAs("demo"); err != nil {
					t.Fatal(err)
				}
				if st := s.State().Session; st == nil || !st.Authenticated {
					t.Fatalf("before %s: session %+v, want authenticated", fault, st)
				}
				key := "POST /sim/" + fault
				before := s.State().Hits[key]
				fire <- time.Now()
				st := waitSim(t, s, key+" received", func(st sim.State) bool { return st.Hits[key] == before+1 })
				if !broken[fault](st.Session) {
					t.Errorf("after %s (round %d) the session is %+v", fault, round, st.Session)
				}
			})
		}
	}
	cancel()
	<-done
	for _, d := range asked {
		if d != time.Minute {
			t.Errorf("the injector waited %s, want Every (1m)", d)
		}
	}
}

// waitSim polls the simulator's state until ok, for at most 5 s.
func waitSim(t *testing.T, s *sim.Server, what string, ok func(sim.State) bool) sim.State {
	t.Helper()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for deadline := time.Now().Add(5 * time.Second); ; <-tick.C {
		st := s.State()
		if ok(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited 5s for %s; simulator state %+v", what, st)
		}
	}
}

func TestFaultInjectorRefusesAnythingButLoopback(t *testing.T) {
	inj := FaultInjector{SimURL: "https://192.0.2.1:5000"}
	err := inj.inject(context.Background(), "reset")
	if err == nil || err.Error() != "refusing to inject faults into 192.0.2.1: the simulator runs on loopback only" {
		t.Errorf("inject to another host: %v", err)
	}
}
