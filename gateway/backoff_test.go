package gateway

import (
	"testing"
	"time"
)

func TestBackoffDoublesFromOneSecondToAMinute(t *testing.T) {
	b := DefaultBackoff()
	tests := []struct {
		name     string
		failures int
		rnd      float64
		want     time.Duration
	}{
		{"no failure, no wait", 0, 0.5, 0},
		{"first failure waits 1s", 1, 0.5, time.Second},
		{"second waits 2s", 2, 0.5, 2 * time.Second},
		{"fifth waits 16s", 5, 0.5, 16 * time.Second},
		{"seventh is capped at 60s", 7, 0.5, time.Minute},
		{"hundredth is capped at 60s", 100, 0.5, time.Minute},
		{"jitter low end is 10% less", 1, 0, 900 * time.Millisecond},
		{"jitter high end is almost 10% more", 1, 0.999999, 1100 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := b.Delay(tt.failures, tt.rnd)
			if d := got - tt.want; d < -time.Millisecond || d > time.Millisecond {
				t.Errorf("Delay(%d, %v) = %v, want %v", tt.failures, tt.rnd, got, tt.want)
			}
		})
	}
}

func TestFailuresDecayAfterTheWindow(t *testing.T) {
	t0 := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	tests := []struct {
		name      string
		failures  []time.Duration // when each failure happened
		now       time.Duration
		wantCount int
		wantGave  bool
	}{
		{"none", nil, 0, 0, false},
		{"four within ten minutes do not give up", []time.Duration{0, time.Minute, 2 * time.Minute, 3 * time.Minute}, 4 * time.Minute, 4, false},
		{"five within ten minutes give up", []time.Duration{0, time.Minute, 2 * time.Minute, 3 * time.Minute, 4 * time.Minute}, 4 * time.Minute, 5, true},
		{"five spread over an hour do not", []time.Duration{0, 15 * time.Minute, 30 * time.Minute, 45 * time.Minute, 60 * time.Minute}, 60 * time.Minute, 1, false},
		{"old failures are forgotten later", []time.Duration{0, time.Minute, 2 * time.Minute, 3 * time.Minute}, 12*time.Minute + time.Second, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := Failures{Window: 10 * time.Minute, Limit: 5}
			for _, d := range tt.failures {
				f.Add(at(d))
			}
			if got := f.Count(at(tt.now)); got != tt.wantCount {
				t.Errorf("Count = %d, want %d", got, tt.wantCount)
			}
			if got := f.GaveUp(at(tt.now)); got != tt.wantGave {
				t.Errorf("GaveUp = %v, want %v", got, tt.wantGave)
			}
		})
	}
}

func TestFailuresResetForgetsAll(t *testing.T) {
	f := Failures{Window: time.Hour, Limit: 2}
	now := time.Now()
	f.Add(now)
	f.Add(now)
	f.Reset()
	if f.GaveUp(now) || f.Count(now) != 0 {
		t.Errorf("after Reset: count %d", f.Count(now))
	}
}
