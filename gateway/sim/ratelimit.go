package sim

import "time"

// Rate limits of the real service (per the facts), in simulated time.
var endpointIntervals = map[string]time.Duration{
	"/tickle":             time.Second,
	"/sso/validate":       time.Minute,
	"/portfolio/accounts": 5 * time.Second,
}

const (
	overallPerSecond = 10
	// A client refused strikesToPenalty times within strikeWindow is put
	// in the penalty box: every API request answers 429 for penaltyBox.
	strikesToPenalty = 5
	strikeWindow     = time.Minute
	penaltyBox       = 10 * time.Minute
)

// rateLimiter applies the limits to /v1/api requests. It treats all callers
// as one client: the gateway is one user's. Callers hold s.mu.
type rateLimiter struct {
	last         map[string]time.Time // endpoint -> last allowed request
	recent       []time.Time          // allowed requests in the last second
	strikes      []time.Time          // refusals in the last strikeWindow
	penaltyUntil time.Time
}

func newRateLimiter() *rateLimiter {
	return &rateLimiter{last: map[string]time.Time{}}
}

// allow says whether a request to endpoint (e.g. "/tickle") may go through
// at now, and records it.
func (l *rateLimiter) allow(endpoint string, now time.Time) bool {
	if now.Before(l.penaltyUntil) {
		return false
	}
	l.recent = keepAfter(l.recent, now.Add(-time.Second))
	ok := len(l.recent) < overallPerSecond
	if iv, limited := endpointIntervals[endpoint]; ok && limited {
		if last, seen := l.last[endpoint]; seen && now.Sub(last) < iv {
			ok = false
		}
	}
	if !ok {
		l.strikes = append(keepAfter(l.strikes, now.Add(-strikeWindow)), now)
		if len(l.strikes) >= strikesToPenalty {
			l.penaltyUntil = now.Add(penaltyBox)
			l.strikes = nil
		}
		return false
	}
	l.recent = append(l.recent, now)
	if _, limited := endpointIntervals[endpoint]; limited {
		l.last[endpoint] = now
	}
	return true
}

// inPenaltyBox reports whether the client sits in the penalty box at now.
func (l *rateLimiter) inPenaltyBox(now time.Time) bool { return now.Before(l.penaltyUntil) }

// keepAfter drops the times not after t from a sorted slice.
func keepAfter(ts []time.Time, t time.Time) []time.Time {
	i := 0
	for i < len(ts) && !ts[i].After(t) {
		i++
	}
	return append(ts[:0], ts[i:]...)
}
