package sim

import (
	"testing"
	"time"
)

func TestBrokerageAuthenticatedOnlyAfterAuthDelay(t *testing.T) {
	clk := newFakeClock()
	s := startSim(t, testOptions(clk))
	c := newClient(t, s)
	if err := s.LoginAs("demo"); err != nil {
		t.Fatal(err)
	}
	if a, conn, _ := c.authStatus(); a || conn {
		t.Fatalf("authenticated=%v connected=%v right after login, want both false until AuthDelay", a, conn)
	}
	clk.Advance(3 * time.Second)
	if a, conn, _ := c.authStatus(); !a || !conn {
		t.Fatalf("authenticated=%v connected=%v after AuthDelay, want both true", a, conn)
	}
}

func TestBrokerageIdleTimeout(t *testing.T) {
	for _, tc := range []struct {
		name        string
		tickleEvery time.Duration
		idle        time.Duration
		wantAuth    bool
	}{
		{"tickles keep it alive", time.Minute, 0, true},
		{"idle longer than the timeout ends it", 0, 5*time.Minute + time.Second, false},
		{"idle just under the timeout keeps it", 0, 5*time.Minute - time.Second, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := newFakeClock()
			o := testOptions(clk)
			o.Authenticated = true
			s := startSim(t, o)
			c := newClient(t, s)
			if tc.tickleEvery > 0 {
				for range 20 { // 20 minutes of tickling
					clk.Advance(tc.tickleEvery)
					c.obj("POST", "/v1/api/tickle", nil)
				}
			}
			clk.Advance(tc.idle)
			a, _, _ := c.authStatus()
			if a != tc.wantAuth {
				t.Errorf("authenticated = %v, want %v", a, tc.wantAuth)
			}
			if st := s.State(); st.Session == nil {
				t.Error("the SSO session ended with the brokerage session; it must stay")
			}
		})
	}
}

func TestReauthenticateBringsBrokerageBackWhileSSOLives(t *testing.T) {
	clk := newFakeClock()
	o := testOptions(clk)
	o.Authenticated = true
	o.ReauthDelay = 10 * time.Second
	s := startSim(t, o)
	c := newClient(t, s)
	s.ExpireBrokerage()
	if a, _, _ := c.authStatus(); a {
		t.Fatal("authenticated after ExpireBrokerage")
	}
	if got := c.obj("POST", "/v1/api/iserver/reauthenticate", nil); got["message"] != "triggered" {
		t.Fatalf("reauthenticate = %v", got)
	}
	clk.Advance(9 * time.Second)
	if a, _, _ := c.authStatus(); a {
		t.Fatal("authenticated before ReauthDelay")
	}
	clk.Advance(time.Second)
	if a, _, _ := c.authStatus(); !a {
		t.Fatal("not authenticated after ReauthDelay")
	}
}

func TestSSOExpiryNeedsNewLogin(t *testing.T) {
	clk := newFakeClock()
	o := testOptions(clk)
	o.Authenticated = true
	o.SSOLifetime = time.Hour
	s := startSim(t, o)
	c := newClient(t, s)
	for range 61 { // tickle every minute past the SSO lifetime
		clk.Advance(time.Minute)
		c.do("POST", "/v1/api/tickle", nil)
	}
	if status, _ := c.do("POST", "/v1/api/tickle", nil); status != 401 {
		t.Errorf("tickle after the SSO lifetime: status %d, want 401", status)
	}
	if got := c.obj("POST", "/v1/api/iserver/reauthenticate", nil); got["error"] != "not logged in" {
		t.Errorf("reauthenticate after SSO expiry = %v, want not logged in", got)
	}
	if s.State().Session != nil {
		t.Error("State still shows a session")
	}
}

func TestSSOExpiresCountsDown(t *testing.T) {
	clk := newFakeClock()
	o := testOptions(clk)
	o.Authenticated = true
	o.SSOLifetime = time.Hour
	c := newClient(t, startSim(t, o))
	clk.Advance(10 * time.Minute)
	got := c.obj("POST", "/v1/api/tickle", nil)["ssoExpires"].(float64)
	if want := float64((50 * time.Minute).Milliseconds()); got != want {
		t.Errorf("ssoExpires = %v ms, want %v", got, want)
	}
}

func TestNightlyResetDropsBothSessions(t *testing.T) {
	clk := newFakeClock() // 12:00 UTC
	o := testOptions(clk)
	o.Authenticated = true
	o.ResetAt = "13:30"
	s := startSim(t, o)
	c := newClient(t, s)
	for range 89 { // tickle each minute until 13:29
		clk.Advance(time.Minute)
		c.obj("POST", "/v1/api/tickle", nil)
	}
	if a, _, _ := c.authStatus(); !a {
		t.Fatal("not authenticated before the reset time")
	}
	clk.Advance(time.Minute)
	if status, _ := c.do("POST", "/v1/api/tickle", nil); status != 401 {
		t.Errorf("tickle after the nightly reset: status %d, want 401 (no session)", status)
	}
	// A login after the reset lives until the next day's reset.
	if err := s.LoginAs("demo"); err != nil {
		t.Fatal(err)
	}
	clk.Advance(3 * time.Second)
	if a, _, _ := c.authStatus(); !a {
		t.Error("a login after the reset is not authenticated")
	}
}

func TestSpeedRunsSessionRulesFaster(t *testing.T) {
	clk := newFakeClock()
	o := testOptions(clk)
	o.Authenticated = true
	o.Speed = 60 // one real second is a simulated minute
	c := newClient(t, startSim(t, o))
	clk.Advance(4 * time.Second) // 4 simulated minutes: under the 5-minute idle timeout
	if a, _, _ := c.authStatus(); !a {
		t.Fatal("timed out after 4 simulated minutes")
	}
	clk.Advance(5*time.Second + 100*time.Millisecond) // 5 min 6 s simulated since the last request
	if a, _, _ := c.authStatus(); a {
		t.Fatal("still authenticated 5 simulated minutes after the last request")
	}
}

func TestCompeteAndTakeBack(t *testing.T) {
	for _, tc := range []struct {
		name       string
		call       func(c *client)
		wantBack   bool
		wantReauth bool
	}{
		{"ssodh/init compete:true takes it back", func(c *client) {
			c.obj("POST", "/v1/api/iserver/auth/ssodh/init", map[string]bool{"publish": true, "compete": true})
		}, true, false},
		{"ssodh/init compete:false leaves it", func(c *client) {
			c.obj("POST", "/v1/api/iserver/auth/ssodh/init", map[string]bool{"publish": true, "compete": false})
		}, false, false},
		{"reauthenticate does not compete", func(c *client) {
			c.obj("POST", "/v1/api/iserver/reauthenticate", nil)
		}, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := newFakeClock()
			o := testOptions(clk)
			o.Authenticated = true
			s := startSim(t, o)
			c := newClient(t, s)
			s.Compete()
			a, conn, comp := c.authStatus()
			if a || !conn || !comp {
				t.Fatalf("after Compete: authenticated=%v connected=%v competing=%v, want false true true", a, conn, comp)
			}
			if tk := c.obj("POST", "/v1/api/tickle", nil); tk["collission"] != true {
				t.Errorf("tickle collission = %v while competing, want true", tk["collission"])
			}
			tc.call(c)
			clk.Advance(o.ReauthDelay)
			a, _, comp = c.authStatus()
			if a != tc.wantBack || comp == tc.wantBack {
				t.Errorf("after the call: authenticated=%v competing=%v, want authenticated=%v", a, comp, tc.wantBack)
			}
		})
	}
}

func TestAnyAPIRequestRefreshesIdleTimeout(t *testing.T) {
	clk := newFakeClock()
	o := testOptions(clk)
	o.Authenticated = true
	c := newClient(t, startSim(t, o))
	for range 3 {
		clk.Advance(4 * time.Minute)
		c.obj("GET", "/v1/api/iserver/accounts", nil)
	}
	clk.Advance(4 * time.Minute)
	if a, _, _ := c.authStatus(); !a {
		t.Error("timed out although a request came every 4 minutes")
	}
}
