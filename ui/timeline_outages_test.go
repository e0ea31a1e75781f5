package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/ibkr-tray/ibkr-tray/gateway"
	"github.com/ibkr-tray/ibkr-tray/session"
)

// at is 22:00 on the window tests' day, for outage times.
var at = time.Date(2026, 11, 22, 22, 0, 0, 0, time.UTC)

func TestTimelineOutagesListTimesAndDurations(t *testing.T) {
	tl := NewTimeline()
	ok := snap(gateway.Running, session.Authenticated)
	tl.Observe(ok, at)
	tl.Observe(snap(gateway.Restarting, session.GatewayDown), at.Add(4*time.Minute)) // recovering
	tl.Observe(snap(gateway.Stopped, session.GatewayDown), at.Add(5*time.Minute))    // then down
	tl.Observe(ok, at.Add(6*time.Minute))
	tl.Observe(snap(gateway.Stopped, session.GatewayDown), at.Add(30*time.Minute))
	out := tl.Outages(at.Add(33 * time.Minute))
	if len(out) != 2 {
		t.Fatalf("outages %v; want 2 (one recovering-then-down stretch, one ongoing)", out)
	}
	if got, want := out[1].String(), "22:04–22:06, "+session.Words(2*time.Minute)+", down"; got != want {
		t.Errorf("past outage %q, want %q", got, want)
	}
	if got, want := out[0].String(), "since 22:30, "+session.Words(3*time.Minute)+" so far, down"; got != want {
		t.Errorf("ongoing outage %q, want %q", got, want)
	}
}

// Issue 10: every recovery added two "Authenticated" events (the keeper
// words the first check after a login differently from the next).
func TestTimelineOneAuthenticatedEventPerRecovery(t *testing.T) {
	tl := NewTimeline()
	tl.Observe(snap(gateway.Stopped, session.GatewayDown), at)
	back := snap(gateway.Running, session.Authenticated)
	back.Session.LastLoginMethod = "browser"
	back.Session.Reason = "the brokerage session is usable (restored by browser)"
	tl.Observe(back, at.Add(time.Minute))
	back.Session.Reason = "the brokerage session is usable"
	tl.Observe(back, at.Add(2*time.Minute))
	ev := tl.Events()
	n := 0
	for _, e := range ev {
		if strings.HasPrefix(e.Text, "Authenticated") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d Authenticated events, want 1: %v", n, ev)
	}
	if !strings.Contains(ev[0].Text, "restored by automated login") {
		t.Errorf("the recovery event %q does not say it was the automated login", ev[0].Text)
	}
}

// Issue 10: events ended in "(demo)" and showed raw socket errors while
// the gateway started.
func TestTimelineEventsAreInWordsWithoutDemoMarkOrRawErrors(t *testing.T) {
	tl := NewTimeline()
	starting := snap(gateway.Running, session.GatewayDown)
	starting.Demo = true
	starting.Session.Reason = `POST /tickle: Post "https://127.0.0.1:7000/v1/api/tickle": dial tcp4 127.0.0.1:7000: connect: connection refused`
	tl.Observe(starting, at)
	ok := snap(gateway.Running, session.Authenticated)
	ok.Demo = true
	tl.Observe(ok, at.Add(time.Minute))
	for _, e := range tl.Events() {
		if strings.Contains(e.Text, "(demo)") || raw(e.Text) || strings.Contains(e.Text, "127.0.0.1") {
			t.Errorf("event %q: want words, no demo mark, no raw error", e.Text)
		}
	}
	if len(tl.Events()) != 2 {
		t.Errorf("events %v; want the two state changes", tl.Events())
	}
}
