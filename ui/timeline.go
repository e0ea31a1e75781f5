package ui

import (
	"time"

	"github.com/ibkr-tray/ibkr-tray/ui/runner"
)

// Band is how the status window's 24-hour timeline colours a stretch of time.
type Band int

const (
	BandAuthenticated Band = 1
	BandRecovering    Band = 2 // the app is working on it
	BandDown          Band = 3 // needs the user, or no gateway
)

func (b Band) String() string {
	switch b {
	case BandAuthenticated:
		return "authenticated"
	case BandRecovering:
		return "recovering"
	case BandDown:
		return "down"
	}
	return "unknown"
}

func bandFor(st runner.Status) Band {
	switch iconFor(st) {
	case IconOK:
		return BandAuthenticated
	case IconWorking:
		return BandRecovering
	}
	return BandDown
}

// Span is a stretch of time in one band. To is zero while it lasts.
type Span struct {
	Band     Band
	From, To time.Time
}

// Event is a state change with its reason, for the status window's list.
type Event struct {
	At   time.Time
	Text string
}

// Timeline records the last 24 hours of snapshots as bands and events. It
// is a plain value fed by the tray on the UI goroutine; time comes from the
// caller so tests control it.
type Timeline struct {
	Window    time.Duration // how far back it keeps (24h)
	MaxEvents int

	spans  []Span
	events []Event // oldest first
	last   stateKey
}

// stateKey is what makes a snapshot a new event.
type stateKey struct {
	line   string
	reason string
}

// NewTimeline keeps 24 hours and the last 100 events.
func NewTimeline() *Timeline { return &Timeline{Window: 24 * time.Hour, MaxEvents: 100} }

// Observe records a snapshot seen at now.
func (t *Timeline) Observe(st runner.Status, now time.Time) {
	b := bandFor(st)
	if n := len(t.spans); n == 0 || t.spans[n-1].Band != b {
		if n > 0 {
			t.spans[n-1].To = now
		}
		t.spans = append(t.spans, Span{Band: b, From: now})
	}
	key := stateKey{line: statusLine(st), reason: reasonOf(st)}
	if key != t.last {
		t.last = key
		text := key.line
		if key.reason != "" {
			text += ": " + key.reason
		}
		t.events = append(t.events, Event{At: now, Text: text})
		if len(t.events) > t.MaxEvents {
			t.events = t.events[len(t.events)-t.MaxEvents:]
		}
	}
	t.prune(now)
}

// reasonOf is the reason the owning part gives for where it stands: the
// gateway's when it is not up, else the session's.
func reasonOf(st runner.Status) string {
	if !st.Gateway.State.Up() {
		return st.Gateway.Reason
	}
	return st.Session.Reason
}

func (t *Timeline) prune(now time.Time) {
	cut := now.Add(-t.Window)
	i := 0
	for i < len(t.spans)-1 && t.spans[i].To.Before(cut) {
		i++
	}
	t.spans = t.spans[i:]
	j := 0
	for j < len(t.events) && t.events[j].At.Before(cut) {
		j++
	}
	t.events = t.events[j:]
}

// Spans returns the recorded bands clipped to the window ending at now,
// each with an end time.
func (t *Timeline) Spans(now time.Time) []Span {
	cut := now.Add(-t.Window)
	out := make([]Span, 0, len(t.spans))
	for _, s := range t.spans {
		if s.To.IsZero() {
			s.To = now
		}
		if !s.To.After(cut) {
			continue
		}
		if s.From.Before(cut) {
			s.From = cut
		}
		out = append(out, s)
	}
	return out
}

// AuthenticatedShare is the share of the observed time in the window spent
// authenticated, and how long that observed time is (less than the window
// when the app started recently).
func (t *Timeline) AuthenticatedShare(now time.Time) (share float64, observed time.Duration) {
	var auth time.Duration
	for _, s := range t.Spans(now) {
		d := s.To.Sub(s.From)
		observed += d
		if s.Band == BandAuthenticated {
			auth += d
		}
	}
	if observed <= 0 {
		return 0, 0
	}
	return float64(auth) / float64(observed), observed
}

// Events returns the recorded events, newest first.
func (t *Timeline) Events() []Event {
	out := make([]Event, len(t.events))
	for i, e := range t.events {
		out[len(t.events)-1-i] = e
	}
	return out
}
