package login

import (
	"context"
	"sync"
	"time"
)

// fakeClock is a base clock plus whatever Sleep skipped, so a test never
// waits for a TOTP step. Share it with the simulator (sim.Options.Now) so
// both agree on the time.
type fakeClock struct {
	base func() time.Time // nil: time.Now

	mu     sync.Mutex // guards the fields below
	slept  time.Duration
	shift  time.Duration
	jumpTo time.Time // when set, the first LoginNow call jumps the clock here
}

// frozenAt is a clock that stands still at t until Sleep moves it.
func frozenAt(t time.Time) *fakeClock { return &fakeClock{base: func() time.Time { return t }} }

// jumpingTo is real time until the login first asks for the time (when it
// is about to make a code), then jumps to t and runs on from there. The
// test thereby chooses where in a TOTP step the code is due, however long
// the browser took to start.
func jumpingTo(t time.Time) *fakeClock { return &fakeClock{jumpTo: t} }

func (c *fakeClock) now() time.Time {
	base := time.Now
	if c.base != nil {
		base = c.base
	}
	return base().Add(c.shift + c.slept)
}

// Now is the simulator's clock.
func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now()
}

// LoginNow is the login's clock (Attempt.Now).
func (c *fakeClock) LoginNow() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.jumpTo.IsZero() {
		c.shift += c.jumpTo.Sub(c.now())
		c.jumpTo = time.Time{}
	}
	return c.now()
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.slept += d
	return nil
}

func (c *fakeClock) Slept() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.slept
}
