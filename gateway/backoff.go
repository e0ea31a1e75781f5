package gateway

import (
	"math/rand/v2"
	"time"
)

// Backoff is how long to wait before the next start after failures: Min
// after the first, doubling up to Max, spread by Jitter so several copies
// of the app do not restart in step.
type Backoff struct {
	Min    time.Duration // wait after the first failure (default 1s)
	Max    time.Duration // the longest wait (default 60s)
	Jitter float64       // fraction of the wait added or removed at random (default 0.1)
}

// DefaultBackoff is 1s doubling to 60s with 10% jitter.
func DefaultBackoff() Backoff { return Backoff{Min: time.Second, Max: time.Minute, Jitter: 0.1} }

// Delay is the wait after the given number of recent failures (1 = the
// first). rnd is in [0,1); tests pass a fixed value, the supervisor
// rand.Float64().
func (b Backoff) Delay(failures int, rnd float64) time.Duration {
	if failures < 1 {
		return 0
	}
	d := b.Min
	for i := 1; i < failures && d < b.Max; i++ {
		d *= 2
	}
	d = min(d, b.Max)
	if b.Jitter > 0 {
		// rnd in [0,1) maps to a factor in [1-Jitter, 1+Jitter).
		d = time.Duration(float64(d) * (1 + b.Jitter*(2*rnd-1)))
	}
	return d
}

// randFloat is the jitter source; a var so benchmarks could pin it.
var randFloat = rand.Float64
