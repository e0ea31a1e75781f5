package ui

import (
	"math"
	"testing"
	"time"

	"github.com/ibkr-tray/ibkr-tray/gateway"
	"github.com/ibkr-tray/ibkr-tray/session"
	"github.com/ibkr-tray/ibkr-tray/ui/runner"
)

var t0 = time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)

func TestTimelineShareOfTimeAuthenticated(t *testing.T) {
	tl := NewTimeline()
	tl.Observe(snap(gateway.Running, session.Authenticated), t0)
	tl.Observe(snap(gateway.Running, session.Reauthenticating), t0.Add(9*time.Hour))
	tl.Observe(snap(gateway.Running, session.Authenticated), t0.Add(10*time.Hour))
	share, observed := tl.AuthenticatedShare(t0.Add(12 * time.Hour))
	if observed != 12*time.Hour {
		t.Errorf("observed %v, want 12h", observed)
	}
	if want := 11.0 / 12; math.Abs(share-want) > 1e-9 {
		t.Errorf("share %.4f, want %.4f", share, want)
	}
}

func TestTimelineKeepsOnlyTheLast24Hours(t *testing.T) {
	tl := NewTimeline()
	tl.Observe(snap(gateway.Stopped, session.GatewayDown), t0)
	tl.Observe(snap(gateway.Running, session.Authenticated), t0.Add(10*time.Hour))
	now := t0.Add(30 * time.Hour)
	spans := tl.Spans(now)
	if len(spans) != 2 {
		t.Fatalf("got %d spans, want 2: %+v", len(spans), spans)
	}
	if !spans[0].From.Equal(now.Add(-24*time.Hour)) || spans[0].Band != BandDown {
		t.Errorf("first span %+v; want a down span clipped to the window start", spans[0])
	}
	share, observed := tl.AuthenticatedShare(now)
	if observed != 24*time.Hour || math.Abs(share-20.0/24) > 1e-9 {
		t.Errorf("share %.4f over %v; want %.4f over 24h", share, observed, 20.0/24)
	}
}

func TestTimelineBandsFollowTheIcon(t *testing.T) {
	tests := []struct {
		name string
		st   runner.Status
		want Band
	}{
		{"authenticated", authenticated(), BandAuthenticated},
		{"reconnecting is recovering", reconnecting(), BandRecovering},
		{"gateway restarting is recovering", snap(gateway.Restarting, session.GatewayDown), BandRecovering},
		{"login needed is down", noCredentials(), BandDown},
		{"gateway stopped is down", snap(gateway.Stopped, session.GatewayDown), BandDown},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := bandFor(tc.st); got != tc.want {
				t.Errorf("band %v, want %v", got, tc.want)
			}
		})
	}
}

func TestTimelineEventsAreStateChangesWithReasonsNewestFirst(t *testing.T) {
	tl := NewTimeline()
	a := snap(gateway.Running, session.Authenticated)
	tl.Observe(a, t0)
	a.Session.LastTickle = t0.Add(time.Minute) // not a state change
	tl.Observe(a, t0.Add(time.Minute))
	lost := noCredentials()
	lost.Session.Reason = "the password was refused"
	tl.Observe(lost, t0.Add(2*time.Minute))
	ev := tl.Events()
	if len(ev) != 2 {
		t.Fatalf("got %d events, want 2: %+v", len(ev), ev)
	}
	if ev[0].Text != "Login needed: the password was refused" || !ev[0].At.Equal(t0.Add(2*time.Minute)) {
		t.Errorf("newest event %+v", ev[0])
	}
}

func TestTimelineCapsEvents(t *testing.T) {
	tl := NewTimeline()
	tl.MaxEvents = 3
	states := []session.State{session.Authenticated, session.Reauthenticating}
	for i := range 10 {
		tl.Observe(snap(gateway.Running, states[i%2]), t0.Add(time.Duration(i)*time.Second))
	}
	if n := len(tl.Events()); n != 3 {
		t.Errorf("kept %d events, want 3", n)
	}
}
