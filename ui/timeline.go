package ui

import (
	"regexp"
	"strings"
	"time"

	"github.com/ibkr-tray/ibkr-tray/session"
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
	key := eventKey(st)
	// Authenticated again with other words (the next check no longer
	// says how the session came back) is no new event.
	same := key.line == t.last.line && b == BandAuthenticated
	if key != t.last && !same {
		t.last = key
		text := key.line
		if key.reason != "" {
			text = strings.TrimSuffix(text, "…") + ": " + key.reason // not "restarting…: the gateway exited"
		}
		t.events = append(t.events, Event{At: now, Text: text})
		if len(t.events) > t.MaxEvents {
			t.events = t.events[len(t.events)-t.MaxEvents:]
		}
	}
	t.prune(now)
}

// eventKey is what a snapshot says in the event list: the status line
// without the "(demo)" mark (the whole window is the demo's), and the
// reason when it is in words. While authenticated the reason is not a new
// event: a recovery says how it recovered once, not again when the next
// check words it differently.
func eventKey(st runner.Status) stateKey {
	k := stateKey{line: statusWords(st), reason: reasonOf(st)}
	if raw(k.reason) {
		k.reason = "" // raw errors go to the log only
	}
	if m := st.Session.LastLoginMethod; m != "" {
		k.reason = strings.Replace(k.reason, "restored by "+m, "restored by "+loginMethodWords(m), 1)
	}
	return k
}

// loginMethodWords says who did the last login: the keeper's "browser" is
// the automated login (a browser the app drives), not the user.
func loginMethodWords(method string) string {
	switch method {
	case "browser":
		return "automated login"
	case "manual":
		return "you in the browser"
	case "reauthenticate":
		return "reconnecting the session automatically"
	}
	return method
}

// rawError matches what a Go error chain carries and a person cannot act
// on: socket calls, HTTP paths, TLS and timeouts.
var rawError = regexp.MustCompile(`(?i)(dial (tcp|udp)|connect: |connection refused|connection reset|no such host|i/o timeout|context deadline|context canceled|\bEOF\b|x509:|tls: |\b(GET|POST|PUT|DELETE) /|https?://)`)

// raw reports whether a reason is an error message rather than words.
func raw(reason string) bool { return rawError.MatchString(reason) }

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

// Outage is a stretch of time not authenticated: one or more recovering
// or down spans in a row. Band is the worst of them (down over
// recovering); Ongoing is set while it lasts (To is then now).
type Outage struct {
	From, To time.Time
	Band     Band
	Ongoing  bool
}

// Outages returns the stretches in the window ending at now that were not
// authenticated, newest first.
func (t *Timeline) Outages(now time.Time) []Outage {
	var out []Outage
	var cur *Outage
	for _, s := range t.Spans(now) {
		if s.Band == BandAuthenticated {
			cur = nil
			continue
		}
		if cur == nil || !cur.To.Equal(s.From) {
			out = append(out, Outage{From: s.From, To: s.To, Band: s.Band})
			cur = &out[len(out)-1]
		}
		cur.To = s.To
		if s.Band == BandDown {
			cur.Band = BandDown
		}
	}
	if n := len(t.spans); n > 0 && t.spans[n-1].Band != BandAuthenticated && len(out) > 0 {
		out[len(out)-1].Ongoing = true
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// String is the outage as the status window lists it:
// "22:04–22:06, 2 minutes, down" or "since 22:04, 2 minutes so far, recovering".
func (o Outage) String() string {
	d := session.Words(o.To.Sub(o.From))
	if o.Ongoing {
		return "since " + o.From.Format("15:04") + ", " + d + " so far, " + o.Band.String()
	}
	return o.From.Format("15:04") + "–" + o.To.Format("15:04") + ", " + d + ", " + o.Band.String()
}
