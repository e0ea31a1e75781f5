// Package simtest lets tests run the simulator as a gateway distribution,
// with the test binary itself playing the simulator when run.sh starts it
// (os/exec's own tests do the same). The simulator package cannot hold this:
// it ships in the app and imports no testing package.
package simtest

import (
	"context"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ibkr-tray/ibkr-tray/gateway/sim"
)

// ChildEnv, set to "sim" in run.sh's environment (it inherits the
// supervisor's), makes the test binary run as `ibkr-tray sim`.
const ChildEnv = "IBKR_TRAY_TEST_CHILD"

// ChildEnvVar is ChildEnv=sim, for gateway.Config.Env or exec.Cmd.Env.
const ChildEnvVar = ChildEnv + "=sim"

// RunChild turns the test binary into the simulator when run.sh started
// it; call it first in TestMain.
func RunChild() {
	if os.Getenv(ChildEnv) == "sim" {
		os.Exit(sim.Main(os.Args[2:]))
	}
}

// Dist writes a simulator distribution listening on port whose bin/run.sh
// runs this test binary as the simulator, and returns its folder.
func Dist(t testing.TB, port int, o sim.Options) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := sim.WriteDist(dir, sim.DistOptions{Port: port, SSL: true, Command: []string{exe, "sim"}, Options: o}); err != nil {
		t.Fatal(err)
	}
	return dir
}

// FreeDist is Dist on a free loopback port, which it returns too.
func FreeDist(t testing.TB, o sim.Options) (dir string, port int) {
	t.Helper()
	port, err := sim.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return Dist(t, port, o), port
}

// totpStep is the TOTP time step (RFC 6238's 30 s).
const totpStep = 30 * time.Second

// StepClock is a login clock (login.Attempt's Now and Sleep) for tests
// against a simulator that reads the real time, such as one in a dist's
// process. A login that waits for the next TOTP step jumps ahead instead of
// sleeping, so back-to-back logins do not wait 30 s; but never further than
// one step past the real one, the most the simulator accepts: that part of
// a wait is waited in real time.
type StepClock struct {
	off atomic.Int64
	// real and after are the real clock (nil: time.Now, time.After); the
	// clock's own test replaces them.
	real  func() time.Time
	after func(time.Duration) <-chan time.Time
}

func (c *StepClock) realNow() time.Time {
	if c.real != nil {
		return c.real()
	}
	return time.Now()
}

// Now is the real time plus the jumps made so far.
func (c *StepClock) Now() time.Time { return c.realNow().Add(time.Duration(c.off.Load())) }

// Sleep moves the clock d ahead.
func (c *StepClock) Sleep(ctx context.Context, d time.Duration) error {
	target := c.Now().Add(d)
	// From this real time on, target's step is at most one step ahead.
	from := target.Truncate(totpStep).Add(-totpStep)
	if wait := from.Sub(c.realNow()); wait > 0 {
		after := c.after
		if after == nil {
			after = time.After
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-after(wait):
		}
	}
	c.off.Store(int64(target.Sub(c.realNow())))
	return ctx.Err()
}
