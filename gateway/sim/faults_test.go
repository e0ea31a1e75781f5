package sim

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestNonLoopbackGets404AccessDenied(t *testing.T) {
	s, err := New(testOptions(newFakeClock()))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, remote string }{
		{"documentation address", "192.0.2.1:4711"},
		{"LAN address", "192.168.1.20:4711"},
		{"IPv6 address", "[2001:db8::1]:4711"},
	} {
		for _, path := range []string{"/", "/v1/api/tickle", "/sso/Login", "/sim/state"} {
			t.Run(tc.name+" "+path, func(t *testing.T) {
				req := httptest.NewRequest("POST", path, nil)
				req.RemoteAddr = tc.remote
				rec := httptest.NewRecorder()
				s.Handler().ServeHTTP(rec, req)
				if rec.Code != 404 || rec.Body.String() != "Access Denied" {
					t.Errorf("got %d %q, want 404 Access Denied", rec.Code, rec.Body.String())
				}
			})
		}
	}
	req := httptest.NewRequest("GET", "/demo", nil)
	req.RemoteAddr = "[::1]:4711"
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	if rec.Code != 200 {
		t.Errorf("::1 got %d, want 200", rec.Code)
	}
}

func TestHangBlocksAPIButRootAnswers(t *testing.T) {
	s := startSim(t, testOptions(newFakeClock()))
	c := newClient(t, s)
	c.obj("POST", "/sim/hang?seconds=30", nil)
	if !s.State().Hanging {
		t.Fatal("State().Hanging = false after /sim/hang")
	}

	short := *c.http
	short.Timeout = 300 * time.Millisecond
	for _, path := range []string{"/v1/api/tickle", "/sso/Login"} {
		req, _ := http.NewRequest("POST", c.base+path, nil)
		start := time.Now()
		_, err := short.Do(req)
		var ne interface{ Timeout() bool }
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Errorf("%s during a hang: err %v, want a client timeout", path, err)
		}
		if time.Since(start) < 300*time.Millisecond {
			t.Errorf("%s returned before the client timeout", path)
		}
	}
	if status, _ := c.do("GET", "/", nil); status != http.StatusFound {
		t.Errorf("GET / during a hang: %d, want 302", status)
	}

	s.Hang(0)
	if status, _ := c.do("POST", "/v1/api/tickle", nil); status != 401 {
		t.Errorf("tickle after the hang: %d, want 401 (an answer)", status)
	}
}

func TestHangEndsByItself(t *testing.T) {
	s := startSim(t, testOptions(newFakeClock()))
	c := newClient(t, s)
	s.Hang(200 * time.Millisecond)
	start := time.Now()
	status, _ := c.do("POST", "/v1/api/tickle", nil) // client timeout 10 s
	if status != 401 || time.Since(start) < 200*time.Millisecond {
		t.Errorf("status %d after %v, want 401 after the 200 ms hang", status, time.Since(start))
	}
}

func TestErrorFault(t *testing.T) {
	clk := newFakeClock()
	o := testOptions(clk)
	o.Authenticated = true
	s := startSim(t, o)
	c := newClient(t, s)
	c.obj("POST", "/sim/error?status=503&seconds=60", nil)
	for _, p := range []string{"/v1/api/tickle", "/v1/portal/iserver/auth/status", "/sso/Login"} {
		if status, _ := c.do("POST", p, nil); status != 503 {
			t.Errorf("%s: %d, want 503", p, status)
		}
	}
	if status, _ := c.do("GET", "/", nil); status != 302 {
		t.Errorf("GET /: %d, want 302 (not forwarded, so no error)", status)
	}
	clk.Advance(61 * time.Second)
	if status, _ := c.do("POST", "/v1/api/tickle", nil); status != 200 {
		t.Errorf("after the error period: %d, want 200", status)
	}
}

func TestSimControls(t *testing.T) {
	clk := newFakeClock()
	o := testOptions(clk)
	o.Authenticated = true
	o.AuthDelay = 0
	s := startSim(t, o)
	c := newClient(t, s)
	state := func(path string) State {
		t.Helper()
		status, b := c.do("POST", path, nil)
		var st State
		if status != 200 || json.Unmarshal(b, &st) != nil {
			t.Fatalf("%s: %d %q", path, status, b)
		}
		return st
	}
	if st := state("/sim/expire-brokerage"); st.Session == nil || st.Session.Brokerage != BrokerageNone {
		t.Errorf("expire-brokerage: %+v", st.Session)
	}
	if st := state("/sim/compete"); st.Session == nil || !st.Session.Competing {
		t.Errorf("compete: %+v", st.Session)
	}
	if st := state("/sim/expire-sso"); st.Session != nil {
		t.Errorf("expire-sso left %+v", st.Session)
	}
	if st := state("/sim/login?user=demopaper"); st.Session == nil || st.Session.User != "demopaper" || !st.Session.Authenticated {
		t.Errorf("login: %+v", st.Session)
	}
	if st := state("/sim/reset"); st.Session != nil {
		t.Errorf("reset left %+v", st.Session)
	}
	if st := state("/sim/lock-user?user=demo"); len(st.LockedUsers) != 1 || st.LockedUsers[0] != "demo" {
		t.Errorf("lock-user: %v", st.LockedUsers)
	}
	if status, _ := c.do("POST", "/sim/login?user=demo", nil); status != 400 {
		t.Errorf("login of a locked user: %d, want 400", status)
	}
	if status, _ := c.do("POST", "/sim/hang?seconds=x", nil); status != 400 {
		t.Errorf("hang with bad seconds: %d, want 400", status)
	}
	c.do("POST", "/v1/api/tickle", nil)
	c.do("POST", "/v1/api/tickle", nil)
	status, b := c.do("GET", "/sim/state", nil)
	var st State
	if status != 200 || json.Unmarshal(b, &st) != nil {
		t.Fatalf("GET /sim/state: %d %q", status, b)
	}
	if st.Hits["POST /v1/api/tickle"] != 2 {
		t.Errorf("hits = %v, want 2 tickles", st.Hits)
	}
}

func TestCrashClosesServerInLibraryMode(t *testing.T) {
	s := startSim(t, testOptions(newFakeClock()))
	c := newClient(t, s)
	c.do("POST", "/sim/crash", nil)
	select {
	case <-s.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the server did not close after the crash fault")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", s.URL()+"/", nil)
	if _, err := c.http.Do(req); err == nil {
		t.Error("the server still answers after crashing")
	}
}

func TestCrashCallsExit(t *testing.T) {
	got := make(chan int, 1)
	o := testOptions(newFakeClock())
	o.Exit = func(code int) { got <- code }
	s := startSim(t, o)
	newClient(t, s).do("POST", "/sim/crash", nil)
	select {
	case code := <-got:
		if code != 1 {
			t.Errorf("Exit(%d), want Exit(1)", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Exit not called")
	}
}
