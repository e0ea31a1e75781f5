package sim

import (
	"testing"
	"time"
)

func TestRateLimits(t *testing.T) {
	for _, tc := range []struct {
		name, method, path string
		interval           time.Duration
	}{
		{"tickle 1 per second", "POST", "/v1/api/tickle", time.Second},
		{"sso/validate 1 per minute", "GET", "/v1/api/sso/validate", time.Minute},
		{"portfolio/accounts 1 per 5 s", "GET", "/v1/portal/portfolio/accounts", 5 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := newFakeClock()
			o := testOptions(clk)
			o.Authenticated = true
			o.RateLimits = true
			c := newClient(t, startSim(t, o))
			if status, _ := c.do(tc.method, tc.path, nil); status != 200 {
				t.Fatalf("first call: %d", status)
			}
			clk.Advance(tc.interval - time.Millisecond)
			if status, _ := c.do(tc.method, tc.path, nil); status != 429 {
				t.Errorf("second call within %v: %d, want 429", tc.interval, status)
			}
			clk.Advance(time.Millisecond)
			if status, _ := c.do(tc.method, tc.path, nil); status != 200 {
				t.Errorf("call after %v: %d, want 200", tc.interval, status)
			}
		})
	}
}

func TestRateLimitOverallTenPerSecond(t *testing.T) {
	clk := newFakeClock()
	o := testOptions(clk)
	o.RateLimits = true
	c := newClient(t, startSim(t, o))
	for i := range 10 {
		if status, _ := c.do("GET", "/v1/api/iserver/auth/status", nil); status != 200 {
			t.Fatalf("call %d: %d", i+1, status)
		}
	}
	if status, _ := c.do("GET", "/v1/api/iserver/auth/status", nil); status != 429 {
		t.Errorf("11th call in a second: %d, want 429", status)
	}
	clk.Advance(time.Second)
	if status, _ := c.do("GET", "/v1/api/iserver/auth/status", nil); status != 200 {
		t.Errorf("a second later: %d, want 200", status)
	}
}

func TestRepeatOffenderGoesToPenaltyBox(t *testing.T) {
	clk := newFakeClock()
	o := testOptions(clk)
	o.Authenticated = true
	o.RateLimits = true
	s := startSim(t, o)
	c := newClient(t, s)
	c.do("POST", "/v1/api/tickle", nil)
	for range strikesToPenalty {
		if status, _ := c.do("POST", "/v1/api/tickle", nil); status != 429 {
			t.Fatalf("rapid tickle: %d, want 429", status)
		}
	}
	if !s.State().PenaltyBox {
		t.Fatal("not in the penalty box after repeated 429s")
	}
	clk.Advance(9 * time.Minute)
	if status, _ := c.do("GET", "/v1/api/iserver/auth/status", nil); status != 429 {
		t.Errorf("9 minutes into the penalty box: %d, want 429", status)
	}
	clk.Advance(time.Minute)
	if status, _ := c.do("GET", "/v1/api/iserver/auth/status", nil); status != 200 {
		t.Errorf("after 10 minutes: %d, want 200", status)
	}
}

func TestNoRateLimitsWhenOff(t *testing.T) {
	o := testOptions(newFakeClock())
	o.Authenticated = true
	c := newClient(t, startSim(t, o))
	for i := range 20 {
		if status, _ := c.do("POST", "/v1/api/tickle", nil); status != 200 {
			t.Fatalf("tickle %d with rate limits off: %d", i+1, status)
		}
	}
}
