package simtest

import (
	"context"
	"testing"
	"time"
)

func step(t time.Time) int64 { return t.Unix() / 30 }

func TestStepClockNeverRunsMoreThanOneStepAhead(t *testing.T) {
	real := time.Date(2026, 11, 22, 10, 0, 25, 0, time.UTC) // 5 s left in its step
	var waited []time.Duration
	c := &StepClock{
		real: func() time.Time { return real },
		after: func(d time.Duration) <-chan time.Time {
			waited = append(waited, d)
			real = real.Add(d)
			ch := make(chan time.Time, 1)
			ch <- real
			return ch
		},
	}
	ctx := context.Background()

	// The login waits out the last 5 s of a step: a jump, no real wait.
	if err := c.Sleep(ctx, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if len(waited) != 0 || step(c.Now()) != step(real)+1 {
		t.Fatalf("first wait: real waits %v, clock step %d, real step %d", waited, step(c.Now()), step(real))
	}

	// The next login must not use that step again: the jump to the step
	// after would be two ahead of real time, so the clock waits for real
	// time to reach the next step first.
	if err := c.Sleep(ctx, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	if len(waited) != 1 || waited[0] != 5*time.Second {
		t.Fatalf("want one real wait of 5s, got %v", waited)
	}
	if got, want := step(c.Now()), step(real)+1; got != want {
		t.Fatalf("clock step %d, want %d (one ahead of real time)", got, want)
	}
}
