package session

import "time"

// jumpThreshold is how far the wall clock may drift from the monotonic one
// between two looks before we call it a jump. Sleep/wake moves the wall
// clock by the time asleep while the monotonic clock stands still; NTP
// corrections are far smaller.
const jumpThreshold = 3 * time.Second

// clockWatch spots jumps of the wall clock: sleep and wake of the computer,
// or the user setting the time.
type clockWatch struct {
	wall time.Time // wall reading only
	mono time.Time // with the monotonic reading
}

func (c *clockWatch) mark(wall time.Time) {
	c.wall = wall.Round(0)
	c.mono = time.Now()
}

// jumped returns how far the wall clock moved beyond the monotonic clock
// since mark, or 0 when that is within jumpThreshold.
func (c *clockWatch) jumped(wall time.Time) time.Duration {
	if c.wall.IsZero() {
		return 0
	}
	d := wall.Round(0).Sub(c.wall) - time.Since(c.mono)
	if d > jumpThreshold || d < -jumpThreshold {
		return d
	}
	return 0
}
