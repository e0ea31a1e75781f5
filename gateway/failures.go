package gateway

import "time"

// Failures counts a gateway's recent failures. Each failure is forgotten
// Window after it happened, so the count decays with time: a gateway that
// failed twice last week starts again from the shortest back-off.
type Failures struct {
	Window time.Duration // how long a failure counts (default 10 minutes)
	Limit  int           // failures within Window after which the supervisor gives up (default 5)

	times []time.Time // oldest first
}

// Add records a failure at now and returns how many count.
func (f *Failures) Add(now time.Time) int {
	f.times = append(f.times, now)
	return f.Count(now)
}

// Count forgets failures older than Window and returns how many are left.
func (f *Failures) Count(now time.Time) int {
	keep := f.times[:0]
	for _, t := range f.times {
		if now.Sub(t) < f.Window {
			keep = append(keep, t)
		}
	}
	f.times = keep
	return len(f.times)
}

// GaveUp reports whether the failures within Window reached Limit.
func (f *Failures) GaveUp(now time.Time) bool { return f.Count(now) >= f.Limit }

// Reset forgets every failure (the user asked for a restart).
func (f *Failures) Reset() { f.times = nil }
