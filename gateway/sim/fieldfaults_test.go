package sim

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// simState is GET /sim/state over HTTPS.
func (c *client) simState() State {
	c.t.Helper()
	status, b := c.do("GET", "/sim/state", nil)
	var st State
	if status != 200 || json.Unmarshal(b, &st) != nil {
		c.t.Fatalf("GET /sim/state: %d %q", status, b)
	}
	return st
}

// post sends a fault control that must answer 200.
func (c *client) post(path string) State {
	c.t.Helper()
	status, b := c.do("POST", path, nil)
	var st State
	if status != 200 || json.Unmarshal(b, &st) != nil {
		c.t.Fatalf("POST %s: %d %q", path, status, b)
	}
	return st
}

// paperLogin logs demopaper in through the login page's endpoints, as the
// browser does.
func (c *client) paperLogin() {
	c.t.Helper()
	a := c.authenticator(password("demopaper", "demo", true))
	if a.Result != "ok" {
		c.t.Fatalf("paper login: %+v", a)
	}
	if status, page := c.dispatch(a.Token); status != 200 || page != TextLoginSucceeded {
		c.t.Fatalf("Dispatcher: %d %q", status, page)
	}
}

func fault(st State, name string) *ActiveFault {
	for i := range st.Faults {
		if st.Faults[i].Name == name {
			return &st.Faults[i]
		}
	}
	return nil
}

func TestRefuseBrokerageLoginsSucceedButNeverAuthenticate(t *testing.T) {
	clk := newFakeClock()
	s := startSim(t, testOptions(clk))
	c := newClient(t, s)
	st := c.post("/sim/refuse-brokerage")
	if f := fault(st, "refuse-brokerage"); f == nil || f.Until != nil {
		t.Fatalf("state faults %+v, want refuse-brokerage until /sim/reset", st.Faults)
	}

	c.paperLogin()
	clk.Advance(time.Minute) // well past AuthDelay
	check := func(after string) {
		t.Helper()
		if a, conn, comp := c.authStatus(); a || !conn || comp {
			t.Errorf("after %s: authenticated %v connected %v competing %v, want false true false", after, a, conn, comp)
		}
		tk := c.obj("POST", "/v1/api/tickle", nil)
		if auth := tk["iserver"].(map[string]any)["authStatus"].(map[string]any); auth["authenticated"] != false || auth["connected"] != true {
			t.Errorf("after %s: tickle's authStatus %v", after, auth)
		}
	}
	check("the login")
	if m := c.obj("POST", "/v1/api/iserver/reauthenticate", nil); m["message"] != "triggered" {
		t.Errorf("reauthenticate: %v", m)
	}
	clk.Advance(time.Minute)
	check("reauthenticate")
	c.obj("POST", "/v1/api/iserver/auth/ssodh/init", map[string]any{"publish": true, "compete": true})
	clk.Advance(time.Minute)
	check("ssodh/init with compete")
	if status, _ := c.do("GET", "/v1/api/iserver/accounts", nil); status != 401 {
		t.Errorf("iserver/accounts: %d, want 401 without a brokerage session", status)
	}
	c.paperLogin() // a fresh login does not help either
	clk.Advance(time.Minute)
	check("a second login")

	st = c.simState()
	if st.Logins != 2 || st.RefusedLogins != 2 {
		t.Errorf("logins %d, refused %d; want both 2 (refused logins count like others)", st.Logins, st.RefusedLogins)
	}
	if st.Session == nil || st.Session.Brokerage != BrokerageRefused {
		t.Errorf("session %+v, want brokerage refused", st.Session)
	}

	st = c.post("/sim/reset")
	if len(st.Faults) != 0 || st.Session != nil {
		t.Fatalf("after reset: faults %+v session %+v, want none", st.Faults, st.Session)
	}
	c.paperLogin()
	clk.Advance(3 * time.Second)
	if a, _, _ := c.authStatus(); !a {
		t.Error("a login after /sim/reset is not authenticated")
	}
}

func TestRefuseBrokerageForSecondsThenRemediesWork(t *testing.T) {
	clk := newFakeClock()
	o := testOptions(clk)
	o.Authenticated = true
	o.AuthDelay = 0
	s := startSim(t, o)
	c := newClient(t, s)
	st := c.post("/sim/refuse-brokerage?seconds=60")
	f := fault(st, "refuse-brokerage")
	if f == nil || f.Until == nil || !f.Until.Equal(clk.Now().Add(time.Minute)) {
		t.Fatalf("faults %+v, want refuse-brokerage until a minute from now", st.Faults)
	}
	if a, _, _ := c.authStatus(); !a {
		t.Error("the brokerage session open before the fault was closed by it")
	}
	c.post("/sim/expire-brokerage")
	c.obj("POST", "/v1/api/iserver/reauthenticate", nil)
	clk.Advance(10 * time.Second)
	if a, conn, _ := c.authStatus(); a || !conn {
		t.Errorf("during the fault: authenticated %v connected %v, want false true", a, conn)
	}
	clk.Advance(51 * time.Second)
	if len(c.simState().Faults) != 0 {
		t.Error("the fault is still listed after its 60 s")
	}
	c.obj("POST", "/v1/api/iserver/reauthenticate", nil)
	clk.Advance(3 * time.Second)
	if a, _, _ := c.authStatus(); !a {
		t.Error("reauthenticate after the fault ended did not authenticate")
	}
	if st := s.State(); st.RefusedLogins != 0 || st.Logins != 1 {
		t.Errorf("logins %d refused %d, want 1 and 0 (no login during the fault)", st.Logins, st.RefusedLogins)
	}
}

func TestBrokerageLateOpensAfterTheDelay(t *testing.T) {
	clk := newFakeClock()
	s := startSim(t, testOptions(clk))
	c := newClient(t, s)
	st := c.post("/sim/brokerage-late?seconds=30")
	if f := fault(st, "brokerage-late"); f == nil || f.Seconds != 30 {
		t.Fatalf("faults %+v, want brokerage-late 30 s", st.Faults)
	}
	c.paperLogin()
	clk.Advance(29 * time.Second)
	if a, _, _ := c.authStatus(); a {
		t.Error("authenticated 29 s after the login, want only after 30 s")
	}
	clk.Advance(2 * time.Second)
	if a, _, _ := c.authStatus(); !a {
		t.Error("not authenticated 31 s after the login")
	}

	c.post("/sim/expire-brokerage")
	c.obj("POST", "/v1/api/iserver/reauthenticate", nil)
	clk.Advance(29 * time.Second)
	if a, _, _ := c.authStatus(); a {
		t.Error("authenticated 29 s after reauthenticate, want only after 30 s")
	}
	clk.Advance(2 * time.Second)
	if a, _, _ := c.authStatus(); !a {
		t.Error("not authenticated 31 s after reauthenticate")
	}

	s.BrokerageLate(0)
	c.post("/sim/expire-brokerage")
	c.obj("POST", "/v1/api/iserver/reauthenticate", nil)
	clk.Advance(3 * time.Second) // ReauthDelay again
	if a, _, _ := c.authStatus(); !a {
		t.Error("BrokerageLate(0) did not end the delay")
	}
}

func TestValidateFalseWhileAuthenticated(t *testing.T) {
	clk := newFakeClock()
	o := testOptions(clk)
	o.Authenticated = true
	s := startSim(t, o)
	c := newClient(t, s)
	st := c.post("/sim/validate-false?seconds=10")
	if f := fault(st, "validate-false"); f == nil || f.Until == nil {
		t.Fatalf("faults %+v, want validate-false for 10 s", st.Faults)
	}
	if v := c.obj("GET", "/v1/api/sso/validate", nil); v["RESULT"] != false || v["USER_NAME"] != "demo" {
		t.Errorf("sso/validate during the fault: %v, want RESULT false for demo", v)
	}
	if a, _, _ := c.authStatus(); !a {
		t.Error("auth/status not authenticated during validate-false")
	}
	tk := c.obj("POST", "/v1/api/tickle", nil)
	if tk["iserver"].(map[string]any)["authStatus"].(map[string]any)["authenticated"] != true {
		t.Errorf("tickle during validate-false: %v", tk)
	}
	clk.Advance(11 * time.Second)
	if v := c.obj("GET", "/v1/api/sso/validate", nil); v["RESULT"] != true {
		t.Errorf("sso/validate after the fault: %v", v["RESULT"])
	}
	s.ValidateFalse(0) // until Reset
	if v := c.obj("GET", "/v1/api/sso/validate", nil); v["RESULT"] != false {
		t.Error("ValidateFalse(0) did not last")
	}
	s.Reset()
	if len(s.State().Faults) != 0 {
		t.Error("Reset left validate-false on")
	}
}

func TestFlap503AlternatesAndEnds(t *testing.T) {
	clk := newFakeClock()
	o := testOptions(clk)
	o.Authenticated = true
	o.BrokerageTimeout = time.Hour
	s := startSim(t, o)
	c := newClient(t, s)
	st := c.post("/sim/flap-503?on=10&off=10&seconds=300")
	f := fault(st, "flap-503")
	if f == nil || f.OnSeconds != 10 || f.OffSeconds != 10 || !f.Failing || f.Until == nil || st.FailStatus != 503 {
		t.Fatalf("state %+v faults %+v, want flap-503 failing now, until 300 s", st.FailStatus, st.Faults)
	}
	tickle := func() int {
		t.Helper()
		status, _ := c.do("POST", "/v1/api/tickle", nil)
		return status
	}
	start := clk.Now()
	for _, tc := range []struct {
		at   time.Duration // since the fault began
		want int
	}{
		{0, 503}, {5 * time.Second, 503}, {11 * time.Second, 200}, {19 * time.Second, 200},
		{21 * time.Second, 503}, {31 * time.Second, 200}, {281 * time.Second, 503},
		{301 * time.Second, 200}, {321 * time.Second, 200},
	} {
		clk.Advance(start.Add(tc.at).Sub(clk.Now()))
		if got := tickle(); got != tc.want {
			t.Errorf("tickle %v into the flapping: %d, want %d", tc.at, got, tc.want)
		}
		if tc.want == 503 {
			if status, _ := c.do("GET", "/v1/api/iserver/accounts", nil); status != 503 {
				t.Errorf("iserver/accounts %v into the flapping: %d, want 503", tc.at, status)
			}
			if status, _ := c.do("GET", "/", nil); status != 302 {
				t.Errorf("GET / during a 503 spell: %d, want 302 (the gateway itself answers)", status)
			}
		}
	}
	if len(c.simState().Faults) != 0 {
		t.Error("flap-503 still listed after its 300 s")
	}

	c.post("/sim/flap-503?on=10&off=10")
	if tickle() != 503 {
		t.Error("flap-503 without seconds did not start")
	}
	c.post("/sim/reset")
	if tickle() == 503 {
		t.Error("/sim/reset did not end flap-503")
	}
	for _, bad := range []string{"on=0&off=10", "on=10", "on=x&off=1", "on=10&off=10&seconds=-1"} {
		if status, _ := c.do("POST", "/sim/flap-503?"+bad, nil); status != 400 {
			t.Errorf("flap-503?%s: %d, want 400", bad, status)
		}
	}
}

// A weekend-length outage with --speed: the hang's seconds are simulated,
// so at speed 1000 two days pass in about three minutes. Shown here at a
// length a test can wait for, and the 48-hour form checked in /sim/state.
func TestHangAndErrorFollowSimulatedTime(t *testing.T) {
	o := DefaultOptions()
	o.RateLimits = false
	o.Speed = 1000
	o.Authenticated = true
	o.BrokerageTimeout = 24 * time.Hour
	o.SSOLifetime = 30 * 24 * time.Hour
	o.ResetAt = ""
	s := startSim(t, o)
	c := newClient(t, s)

	st := c.post("/sim/hang?seconds=172800")
	f := fault(st, "hang")
	if !st.Hanging || f == nil || f.Until == nil {
		t.Fatalf("state %+v, want a hang with an end", st)
	}
	if d := f.Until.Sub(st.SimTime); d < 47*time.Hour || d > 49*time.Hour {
		t.Errorf("the 172800 s hang ends %v of simulated time from now, want 48 h", d)
	}
	s.Hang(0)

	start := time.Now()
	c.post("/sim/hang?seconds=500") // 0.5 s of real time
	status, _ := c.do("POST", "/v1/api/tickle", nil)
	took := time.Since(start)
	if status != 200 || took < 400*time.Millisecond || took > 8*time.Second {
		t.Errorf("tickle during a 500 s hang at speed 1000: %d after %v, want 200 after about 0.5 s", status, took)
	}
	if st := c.simState(); st.Hanging || fault(st, "hang") != nil {
		t.Errorf("still hanging after the hang: %+v", st.Faults)
	}

	c.post("/sim/error?status=503&seconds=500")
	if status, _ := c.do("POST", "/v1/api/tickle", nil); status != 503 {
		t.Errorf("tickle during the error fault: %d", status)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		status, _ := c.do("POST", "/v1/api/tickle", nil)
		if status == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a 500 s error fault at speed 1000 still answers after 10 s of real time")
		}
		time.Sleep(50 * time.Millisecond) // polling a server we do not control
	}
}

func TestResetEndsEveryLastingFault(t *testing.T) {
	clk := newFakeClock()
	o := testOptions(clk)
	o.Authenticated = true
	s := startSim(t, o)
	c := newClient(t, s)
	for _, p := range []string{"hang?seconds=600", "error?status=500&seconds=600", "flap-503?on=1&off=1",
		"refuse-brokerage", "brokerage-late?seconds=30", "validate-false"} {
		c.post("/sim/" + p)
	}
	st := c.simState()
	var names []string
	for _, f := range st.Faults {
		names = append(names, f.Name)
	}
	if got := strings.Join(names, " "); got != "hang error flap-503 refuse-brokerage brokerage-late validate-false" {
		t.Errorf("faults listed %q", got)
	}
	s.LockUser("demo")
	st = c.post("/sim/reset")
	if len(st.Faults) != 0 || st.Hanging || st.FailStatus != 0 {
		t.Errorf("after reset: %+v", st)
	}
	if len(st.LockedUsers) != 1 {
		t.Errorf("reset unlocked %v; IBKR does not unlock users at night", st.LockedUsers)
	}
	if status, _ := c.do("POST", "/v1/api/tickle", nil); status != 401 {
		t.Errorf("tickle after reset: %d, want 401 (no session, no fault)", status)
	}
}

func TestDispatcherAnswersPlainTextLikeTheRealGateway(t *testing.T) {
	for _, tc := range []struct {
		name        string
		html        bool
		contentType string
	}{
		{"plain text, as the real gateway", false, "text/plain"},
		{"an HTML page with SuccessHTML", true, "text/html"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := testOptions(newFakeClock())
			o.SuccessHTML = tc.html
			s := startSim(t, o)
			c := newClient(t, s)
			a := c.authenticator(password("demopaper", "demo", true))
			resp, err := c.http.PostForm(c.base+"/sso/Dispatcher", url.Values{"loginToken": {a.Token}})
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), tc.contentType) {
				t.Errorf("status %d Content-Type %q, want 200 %s", resp.StatusCode, resp.Header.Get("Content-Type"), tc.contentType)
			}
			if tc.html && !strings.Contains(string(b), "<h2>"+TextLoginSucceeded) {
				t.Errorf("body %q, want an HTML heading", b)
			}
			if !tc.html && string(b) != TextLoginSucceeded {
				t.Errorf("body %q, want exactly %q", b, TextLoginSucceeded)
			}
		})
	}
}

// RefuseBrokerage from the start is how a distribution keeps the fault
// across a restart of its gateway (root/sim.json carries it).
func TestRefuseBrokerageFromTheStartSurvivesTheSettingsFile(t *testing.T) {
	o := testOptions(newFakeClock())
	o.RefuseBrokerage = true
	back, err := toSettings(o).options()
	if err != nil || !back.RefuseBrokerage {
		t.Fatalf("settings round trip: %v, RefuseBrokerage %v", err, back.RefuseBrokerage)
	}
	back.Now = o.Now
	s := startSim(t, back)
	c := newClient(t, s)
	if f := fault(c.simState(), "refuse-brokerage"); f == nil || f.Until != nil {
		t.Fatalf("faults %+v, want refuse-brokerage until reset", c.simState().Faults)
	}
	c.paperLogin()
	if a, conn, _ := c.authStatus(); a || !conn {
		t.Errorf("authenticated %v connected %v, want false true", a, conn)
	}
}

// A distribution's accounts replace the demo accounts whole: a live second
// account stayed paper when decoded over the demo's paper second account.
func TestSettingsFileAccountsReplaceTheDefaults(t *testing.T) {
	dir := t.TempDir()
	o := DefaultOptions()
	o.Accounts = []Account{{Username: "first", Password: "p", Paper: true}, {Username: "second", Password: "p", TOTPSecret: DemoTOTPSecret}}
	if err := WriteDist(dir, DistOptions{Port: 5999, SSL: true, Command: []string{"true"}, Options: o}); err != nil {
		t.Fatal(err)
	}
	got, _, code, err := loadServeSettings([]string{"--conf", dir + "/root/conf.yaml"}, io.Discard)
	if err != nil || code != 0 {
		t.Fatalf("loadServeSettings: %d %v", code, err)
	}
	if len(got.Accounts) != 2 || !got.Accounts[0].Paper || got.Accounts[1].Paper || got.Accounts[1].Devices != nil {
		t.Errorf("accounts %+v, want first paper, second live with its own fields only", got.Accounts)
	}
}
