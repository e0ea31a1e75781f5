package session_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ibkr-tray/ibkr-tray/gateway/sim"
	"github.com/ibkr-tray/ibkr-tray/session"
)

// These tests drive the client against the gateway simulator over real
// HTTPS on loopback: every endpoint, and every fault the simulator has.

// simOptions are a logged-in "demo" gateway that answers at once and does
// not rate-limit, reset or time out during a test.
func simOptions() sim.Options {
	o := sim.DefaultOptions()
	o.Authenticated = true
	o.AuthDelay = 0
	o.ReauthDelay = 0
	o.RateLimits = false
	o.ResetAt = ""
	return o
}

// startSim serves a simulator with o on a free loopback port and returns it
// with a client for it.
func startSim(t *testing.T, o sim.Options, co session.ClientOptions) (*sim.Server, *session.Client) {
	t.Helper()
	s, err := sim.Start(t.Context(), "127.0.0.1:0", o)
	if err != nil {
		t.Fatalf("sim.Start: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	if co.BaseURL == "" {
		co.BaseURL = s.URL()
	}
	c, err := session.NewClient(co)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return s, c
}

// wantKind fails the test unless err is of kind want.
func wantKind(t *testing.T, what string, err error, want session.ErrorKind) {
	t.Helper()
	if got := session.KindOf(err); got != want {
		t.Fatalf("%s: error %v has kind %v, want %v", what, err, got, want)
	}
}

func must[T any](t *testing.T, what string) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return v
	}
}

func TestSimLoggedInAnswersEveryEndpoint(t *testing.T) {
	s, c := startSim(t, simOptions(), session.ClientOptions{})
	ctx := t.Context()

	if err := c.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	if want := s.URL() + "/sso/Login?forwardTo=22&RL=1&ip2loc=US"; c.LoginURL() != want {
		t.Errorf("LoginURL = %q, want %q", c.LoginURL(), want)
	}

	tk := must[session.Tickle](t, "Tickle")(c.Tickle(ctx))
	if tk.Session == "" || tk.UserID == 0 || tk.Collision {
		t.Errorf("tickle identity: %+v", tk)
	}
	if tk.SSOExpires <= 23*time.Hour || tk.SSOExpires > 24*time.Hour {
		t.Errorf("tickle SSOExpires = %v, want just under 24h", tk.SSOExpires)
	}
	if !tk.HasAuth || !tk.Auth.Authenticated || !tk.Auth.Connected || tk.Auth.Competing || tk.Auth.ServerName == "" {
		t.Errorf("tickle auth: %+v", tk)
	}

	st := must[session.AuthStatus](t, "AuthStatus")(c.AuthStatus(ctx))
	if !st.Authenticated || !st.Connected || st.Competing || st.MAC == "" || st.ServerVersion == "" {
		t.Errorf("auth status: %+v", st)
	}

	v := must[session.SSOValidate](t, "Validate")(c.Validate(ctx))
	if v.UserName != "demo" || !v.Result || v.Paper() || v.LoginType != 1 || v.UserID != tk.UserID {
		t.Errorf("validate: %+v", v)
	}
	if time.Since(v.AuthTime) > time.Minute || time.Since(v.AuthTime) < 0 || v.Expires <= 23*time.Hour {
		t.Errorf("validate times: authTime %v, expires %v", v.AuthTime, v.Expires)
	}

	a := must[session.Accounts](t, "Accounts")(c.Accounts(ctx))
	if !slices.Equal(a.Accounts, []string{"U1234567", "U7654321"}) || a.Selected != "U1234567" || a.IsPaper {
		t.Errorf("accounts: %+v", a)
	}
	if err := c.SelectAccount(ctx, "U7654321"); err != nil {
		t.Fatalf("SelectAccount: %v", err)
	}
	if a := must[session.Accounts](t, "Accounts")(c.Accounts(ctx)); a.Selected != "U7654321" {
		t.Errorf("after SelectAccount the selected account is %q", a.Selected)
	}
	err := c.SelectAccount(ctx, "U0000000")
	wantKind(t, "SelectAccount of someone else's account", err, session.KindUnexpected)
	if !strings.Contains(err.Error(), "not one of this user's accounts") {
		t.Errorf("SelectAccount error does not carry the gateway's reason: %v", err)
	}

	p := must[[]session.PortfolioAccount](t, "PortfolioAccounts")(c.PortfolioAccounts(ctx))
	if len(p) != 2 || p[0].AccountID != "U1234567" || p[1].ID != "U7654321" || p[0].Currency != "USD" || p[0].Type == "" {
		t.Errorf("portfolio accounts: %+v", p)
	}

	if err := c.Logout(ctx); err != nil {
		t.Fatalf("Logout: %v", err)
	}
	_, err = c.Tickle(ctx)
	wantKind(t, "Tickle after Logout", err, session.KindNoSession)

	hits := s.State().Hits
	for _, h := range []string{
		"GET /", "POST /v1/api/tickle", "POST /v1/api/iserver/auth/status", "GET /v1/api/sso/validate",
		"GET /v1/api/iserver/accounts", "POST /v1/api/iserver/account", "GET /v1/api/portfolio/accounts", "POST /v1/api/logout",
	} {
		if hits[h] == 0 {
			t.Errorf("the simulator saw no %q (hits %v)", h, hits)
		}
	}
}

func TestSimPaperLoginReadsAsPaper(t *testing.T) {
	o := simOptions()
	o.Authenticated = false
	s, c := startSim(t, o, session.ClientOptions{})
	if err := s.LoginAs("demopaper"); err != nil {
		t.Fatal(err)
	}
	v := must[session.SSOValidate](t, "Validate")(c.Validate(t.Context()))
	if !v.Paper() || v.PaperUserName != "demopaper" {
		t.Errorf("validate: %+v", v)
	}
	a := must[session.Accounts](t, "Accounts")(c.Accounts(t.Context()))
	if !a.IsPaper || !slices.Equal(a.Accounts, []string{"DU1234567"}) {
		t.Errorf("accounts: %+v", a)
	}
}

func TestSimWithoutSession(t *testing.T) {
	o := simOptions()
	o.Authenticated = false
	_, c := startSim(t, o, session.ClientOptions{})
	o200 := o
	o200.NoSessionAs200 = true
	_, c200 := startSim(t, o200, session.ClientOptions{})

	tests := []struct {
		name string
		call func(context.Context) error
		want session.ErrorKind // 0: no error
	}{
		{"tickle 401 is no session", func(ctx context.Context) error { _, err := c.Tickle(ctx); return err }, session.KindNoSession},
		{"tickle 200 no session is no session", func(ctx context.Context) error { _, err := c200.Tickle(ctx); return err }, session.KindNoSession},
		{"validate is no session", func(ctx context.Context) error { _, err := c.Validate(ctx); return err }, session.KindNoSession},
		{"reauthenticate is not logged in", c.Reauthenticate, session.KindNotLoggedIn},
		{"init brokerage is no session", func(ctx context.Context) error { _, err := c.InitBrokerage(ctx, true); return err }, session.KindNoSession},
		{"accounts is no session", func(ctx context.Context) error { _, err := c.Accounts(ctx); return err }, session.KindNoSession},
		{"select account is no session", func(ctx context.Context) error { return c.SelectAccount(ctx, "U1234567") }, session.KindNoSession},
		{"portfolio accounts is no session", func(ctx context.Context) error { _, err := c.PortfolioAccounts(ctx); return err }, session.KindNoSession},
		{"logout without a session is fine", c.Logout, 0},
		{"ping answers", c.Ping, 0},
		{"auth status answers not authenticated", func(ctx context.Context) error {
			st, err := c.AuthStatus(ctx)
			if err == nil && (st.Authenticated || st.Connected || st.MAC == "") {
				t.Errorf("auth status without a session: %+v", st)
			}
			return err
		}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call(t.Context())
			if tt.want == 0 && err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			wantKind(t, tt.name, err, tt.want)
		})
	}
}

func TestSimFaults(t *testing.T) {
	frozen := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		options func(*sim.Options)
		timeout time.Duration
		run     func(t *testing.T, s *sim.Server, c *session.Client)
	}{
		{"expire brokerage then reauthenticate is authenticated again", nil, 0, func(t *testing.T, s *sim.Server, c *session.Client) {
			ctx := t.Context()
			s.ExpireBrokerage()
			if st := must[session.AuthStatus](t, "AuthStatus")(c.AuthStatus(ctx)); st.Authenticated {
				t.Fatalf("still authenticated after expire-brokerage: %+v", st)
			}
			_, err := c.Accounts(ctx)
			wantKind(t, "Accounts without brokerage", err, session.KindNoSession)
			if err := c.Reauthenticate(ctx); err != nil {
				t.Fatalf("Reauthenticate: %v", err)
			}
			if st := must[session.AuthStatus](t, "AuthStatus")(c.AuthStatus(ctx)); !st.Authenticated {
				t.Errorf("not authenticated after reauthenticate: %+v", st)
			}
		}},
		{"expire sso then reauthenticate needs a login", nil, 0, func(t *testing.T, s *sim.Server, c *session.Client) {
			s.ExpireSSO()
			wantKind(t, "Reauthenticate", c.Reauthenticate(t.Context()), session.KindNotLoggedIn)
			_, err := c.Tickle(t.Context())
			wantKind(t, "Tickle", err, session.KindNoSession)
		}},
		{"compete then init brokerage with compete takes it back", nil, 0, func(t *testing.T, s *sim.Server, c *session.Client) {
			ctx := t.Context()
			s.Compete()
			st := must[session.AuthStatus](t, "AuthStatus")(c.AuthStatus(ctx))
			if !st.Competing || st.Authenticated {
				t.Fatalf("after compete: %+v", st)
			}
			if tk := must[session.Tickle](t, "Tickle")(c.Tickle(ctx)); !tk.Auth.Competing {
				t.Errorf("tickle does not show competing: %+v", tk)
			}
			if err := c.Reauthenticate(ctx); err != nil {
				t.Fatalf("Reauthenticate: %v", err)
			}
			if st := must[session.AuthStatus](t, "InitBrokerage")(c.InitBrokerage(ctx, false)); !st.Competing || st.Authenticated {
				t.Fatalf("without compete the session was taken back: %+v", st)
			}
			st = must[session.AuthStatus](t, "InitBrokerage")(c.InitBrokerage(ctx, true))
			if !st.Established || st.Competing {
				t.Errorf("InitBrokerage(compete) answer: %+v", st)
			}
			if st := must[session.AuthStatus](t, "AuthStatus")(c.AuthStatus(ctx)); !st.Authenticated || st.Competing {
				t.Errorf("not taken back: %+v", st)
			}
		}},
		{"reset drops both sessions", nil, 0, func(t *testing.T, s *sim.Server, c *session.Client) {
			s.Reset()
			_, err := c.Tickle(t.Context())
			wantKind(t, "Tickle", err, session.KindNoSession)
			_, err = c.Validate(t.Context())
			wantKind(t, "Validate", err, session.KindNoSession)
			wantKind(t, "Reauthenticate", c.Reauthenticate(t.Context()), session.KindNotLoggedIn)
		}},
		{"hang times out API calls while ping answers", nil, 200 * time.Millisecond, func(t *testing.T, s *sim.Server, c *session.Client) {
			s.Hang(time.Minute)
			_, err := c.Tickle(t.Context())
			wantKind(t, "Tickle", err, session.KindTimeout)
			_, err = c.Validate(t.Context())
			wantKind(t, "Validate", err, session.KindTimeout)
			if err := c.Ping(t.Context()); err != nil {
				t.Fatalf("Ping during a hang: %v", err)
			}
			s.Hang(0)
			if _, err := c.Tickle(t.Context()); err != nil {
				t.Errorf("Tickle after the hang ended: %v", err)
			}
		}},
		{"error 503 is a server error", nil, 0, func(t *testing.T, s *sim.Server, c *session.Client) {
			s.Fail(503, time.Minute)
			_, err := c.Tickle(t.Context())
			wantKind(t, "Tickle", err, session.KindServerError)
			if !strings.Contains(err.Error(), "503") {
				t.Errorf("error does not give the status: %v", err)
			}
			if err := c.Ping(t.Context()); err != nil {
				t.Errorf("Ping during the error fault: %v", err)
			}
			s.Fail(0, 0)
			if _, err := c.Tickle(t.Context()); err != nil {
				t.Errorf("Tickle after the error fault: %v", err)
			}
		}},
		{"error 500 is a server error", nil, 0, func(t *testing.T, s *sim.Server, c *session.Client) {
			s.Fail(500, time.Minute)
			_, err := c.AuthStatus(t.Context())
			wantKind(t, "AuthStatus", err, session.KindServerError)
		}},
		{"rate limit answers rate limited", func(o *sim.Options) {
			o.RateLimits = true
			o.Now = func() time.Time { return frozen } // simulated time stands still: the second call is always too soon
		}, 0, func(t *testing.T, s *sim.Server, c *session.Client) {
			if _, err := c.Tickle(t.Context()); err != nil {
				t.Fatalf("first Tickle: %v", err)
			}
			_, err := c.Tickle(t.Context())
			wantKind(t, "second Tickle in the same second", err, session.KindRateLimited)
			if _, err := c.Validate(t.Context()); err != nil {
				t.Fatalf("first Validate: %v", err)
			}
			_, err = c.Validate(t.Context())
			wantKind(t, "second Validate in the same minute", err, session.KindRateLimited)
		}},
		{"crash leaves the gateway down", nil, 0, func(t *testing.T, s *sim.Server, c *session.Client) {
			s.Crash()
			<-s.Done()
			s.Close() // waits for the crash's close to finish
			wantKind(t, "Ping", c.Ping(t.Context()), session.KindGatewayDown)
			_, err := c.Tickle(t.Context())
			wantKind(t, "Tickle", err, session.KindGatewayDown)
		}},
		{"lock user stops logins and the client sees no session", nil, 0, func(t *testing.T, s *sim.Server, c *session.Client) {
			s.Reset()
			s.LockUser("demo")
			if err := s.LoginAs("demo"); err == nil {
				t.Fatal("a locked user logged in")
			}
			_, err := c.Tickle(t.Context())
			wantKind(t, "Tickle", err, session.KindNoSession)
			if !slices.Contains(s.State().LockedUsers, "demo") {
				t.Errorf("state does not list the locked user: %+v", s.State().LockedUsers)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := simOptions()
			if tt.options != nil {
				tt.options(&o)
			}
			s, c := startSim(t, o, session.ClientOptions{Timeout: tt.timeout})
			tt.run(t, s, c)
		})
	}
}

func TestSimCertificatesAndSchemes(t *testing.T) {
	t.Run("expired self-signed certificate is accepted on loopback", func(t *testing.T) {
		o := simOptions()
		o.ExpiredCert = true
		s, c := startSim(t, o, session.ClientOptions{})
		if s.Certificate().NotAfter.After(time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)) {
			t.Fatalf("the simulator's certificate is not expired: %v", s.Certificate().NotAfter)
		}
		if _, err := c.Tickle(t.Context()); err != nil {
			t.Fatalf("Tickle: %v", err)
		}
	})
	t.Run("localhost reaches the simulator", func(t *testing.T) {
		s, _ := startSim(t, simOptions(), session.ClientOptions{})
		c, err := session.NewClient(session.ClientOptions{BaseURL: strings.Replace(s.URL(), "127.0.0.1", "localhost", 1)})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Ping(t.Context()); err != nil {
			t.Fatalf("Ping via localhost: %v", err)
		}
	})
	t.Run("plain http gateway with http address works", func(t *testing.T) {
		o := simOptions()
		o.PlainHTTP = true
		s, c := startSim(t, o, session.ClientOptions{})
		if !strings.HasPrefix(s.URL(), "http://") {
			t.Fatalf("sim URL %q", s.URL())
		}
		if _, err := c.Tickle(t.Context()); err != nil {
			t.Fatalf("Tickle: %v", err)
		}
	})
	t.Run("plain http gateway with https address is refused with a hint", func(t *testing.T) {
		o := simOptions()
		o.PlainHTTP = true
		s, _ := startSim(t, o, session.ClientOptions{})
		c, err := session.NewClient(session.ClientOptions{BaseURL: strings.Replace(s.URL(), "http://", "https://", 1)})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Tickle(t.Context())
		wantKind(t, "Tickle", err, session.KindRefused)
		if !strings.Contains(err.Error(), "http://") {
			t.Errorf("no hint about http://: %v", err)
		}
	})
	t.Run("https gateway with http address closes with a hint", func(t *testing.T) {
		s, _ := startSim(t, simOptions(), session.ClientOptions{})
		c, err := session.NewClient(session.ClientOptions{BaseURL: strings.Replace(s.URL(), "https://", "http://", 1)})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Tickle(t.Context())
		wantKind(t, "Tickle", err, session.KindGatewayDown)
		if !strings.Contains(err.Error(), "https://") {
			t.Errorf("no hint about https://: %v", err)
		}
	})
}
