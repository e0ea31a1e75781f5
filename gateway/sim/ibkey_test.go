package sim

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// pushFor logs username in up to the IB Key push, as the page does.
func pushFor(t *testing.T, c *client, username string) string {
	t.Helper()
	a := c.authenticator(password(username, "demo", false))
	if a.Result != "2fa" || a.Attempt == "" {
		t.Fatalf("password step of %s: %+v, want 2fa", username, a)
	}
	if got := c.authenticator(authRequest{Step: "code", Attempt: a.Attempt, Device: DeviceIBKey}); got.Result != "push" {
		t.Fatalf("IB Key picked: %+v, want the push sent", got)
	}
	return a.Attempt
}

func (c *client) poll(attempt string) authAnswer {
	c.t.Helper()
	return c.authenticator(authRequest{Step: "poll", Attempt: attempt})
}

func TestIBKeyOnlyUserIsAskedForNothingButTheTap(t *testing.T) {
	clk := newFakeClock()
	s := startSim(t, testOptions(clk))
	c := newClient(t, s)

	a := c.authenticator(password(DemoIBKeyUser, "demo", false))
	if a.Result != "2fa" || len(a.Devices) != 1 || a.Devices[0] != DeviceIBKey {
		t.Fatalf("password step: %+v, want 2fa with IB Key alone", a)
	}
	// A code for the authenticator app the user does not have is refused,
	// and is not a failed login.
	if got := c.authenticator(authRequest{Step: "code", Attempt: a.Attempt, Device: DeviceAuthenticatorApp, Code: "123456"}); got.Result != "error" {
		t.Errorf("authenticator-app code: %+v, want an error", got)
	}
	if got := c.authenticator(authRequest{Step: "code", Attempt: a.Attempt, Device: DeviceIBKey}); got.Result != "push" {
		t.Fatalf("IB Key: %+v, want push", got)
	}
	if got := c.poll(a.Attempt); got.Result != "pending" {
		t.Fatalf("poll before the tap: %+v, want pending", got)
	}
	st := c.simState()
	if len(st.Pushes) != 1 || st.Pushes[0].State != PushPending || st.Pushes[0].User != DemoIBKeyUser || st.PushesSent != 1 {
		t.Fatalf("state: pushes %+v sent %d, want one pending push of %s", st.Pushes, st.PushesSent, DemoIBKeyUser)
	}
	if !st.Pushes[0].Sent.Equal(clk.Now()) {
		t.Errorf("sent %v, want %v", st.Pushes[0].Sent, clk.Now())
	}

	// The tap, through the HTTP control.
	status, b := c.do("POST", "/sim/approve?user="+url.QueryEscape(DemoIBKeyUser), nil)
	if status != 200 {
		t.Fatalf("POST /sim/approve: %d %q", status, b)
	}
	ok := c.poll(a.Attempt)
	if ok.Result != "ok" || ok.Token == "" {
		t.Fatalf("poll after the tap: %+v, want ok", ok)
	}
	if status, page := c.dispatch(ok.Token); status != 200 || !strings.Contains(page, TextLoginSucceeded) {
		t.Fatalf("Dispatcher: %d %q", status, page)
	}
	st = s.State()
	if st.Session == nil || st.Session.User != DemoIBKeyUser || st.Logins != 1 {
		t.Fatalf("session %+v, logins %d; want %s logged in once", st.Session, st.Logins, DemoIBKeyUser)
	}
	if st.Pushes[0].State != PushApproved || st.PushesApproved != 1 || st.Pushes[0].Answered == nil {
		t.Errorf("push %+v approved %d, want approved once", st.Pushes[0], st.PushesApproved)
	}
	// Nothing is left to approve.
	if status, _ := c.do("POST", "/sim/approve", nil); status != http.StatusConflict {
		t.Errorf("approve with nothing pending: %d, want 409", status)
	}
}

func TestIBKeyDenialIsNotAFailedLogin(t *testing.T) {
	clk := newFakeClock()
	o := testOptions(clk)
	o.MaxFailedLogins = 1 // one counted failure would lock
	s := startSim(t, o)
	c := newClient(t, s)

	attempt := pushFor(t, c, "demo") // both devices: picked IB Key
	if err := s.Deny("DEMO"); err != nil {
		t.Fatalf("Deny: %v", err)
	}
	got := c.poll(attempt)
	if got.Result != "error" || got.Error != TextIBKeyDenied || !got.Restart {
		t.Fatalf("poll after the denial: %+v, want %q and back to the password", got, TextIBKeyDenied)
	}
	st := s.State()
	if len(st.FailedLogins) != 0 || len(st.LockedUsers) != 0 {
		t.Errorf("failed %v locked %v after a denial, want none", st.FailedLogins, st.LockedUsers)
	}
	if st.PushesDenied != 1 || st.Pushes[0].State != PushDenied || st.Session != nil {
		t.Errorf("state %+v, want one denied push and no session", st.Pushes)
	}
	// The attempt is over: a poll now says so.
	if again := c.poll(attempt); again.Error != TextLoginExpired {
		t.Errorf("poll of the denied attempt: %+v, want %q", again, TextLoginExpired)
	}
	// The user can log in again at once.
	next := pushFor(t, c, "demo")
	if err := s.Approve(""); err != nil {
		t.Fatal(err)
	}
	if ok := c.poll(next); ok.Result != "ok" {
		t.Fatalf("second push approved: %+v", ok)
	}
}

func TestIBKeyPushExpiresInSimulatedTime(t *testing.T) {
	for _, tc := range []struct {
		name     string
		lifetime time.Duration
		want     time.Duration
	}{
		{"default three minutes", 0, DefaultPushLifetime},
		{"the option", 20 * time.Second, 20 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := newFakeClock()
			o := testOptions(clk)
			o.PushLifetime = tc.lifetime
			o.MaxFailedLogins = 1
			s := startSim(t, o)
			c := newClient(t, s)
			attempt := pushFor(t, c, DemoIBKeyUser)

			clk.Advance(tc.want - time.Second)
			if got := c.poll(attempt); got.Result != "pending" {
				t.Fatalf("poll a second before expiry: %+v, want pending", got)
			}
			clk.Advance(time.Second)
			st := c.simState()
			if st.Pushes[0].State != PushExpired || st.PushesExpired != 1 {
				t.Fatalf("state at expiry: %+v, want expired", st.Pushes)
			}
			if got := c.poll(attempt); got.Error != TextIBKeyExpired || !got.Restart {
				t.Fatalf("poll after expiry: %+v, want %q", got, TextIBKeyExpired)
			}
			if err := s.Approve(DemoIBKeyUser); err == nil {
				t.Error("an expired push could still be approved")
			}
			if st := s.State(); len(st.FailedLogins) != 0 || len(st.LockedUsers) != 0 {
				t.Errorf("failed %v locked %v after an expiry, want none", st.FailedLogins, st.LockedUsers)
			}
		})
	}
}

func TestApproveAndDenyPickTheNewestPendingPush(t *testing.T) {
	clk := newFakeClock()
	s := startSim(t, testOptions(clk))
	first := newClient(t, s)
	second := newClient(t, s)

	old := pushFor(t, first, DemoIBKeyUser)
	clk.Advance(time.Second)
	// A new push of the same user replaces the pending one.
	renewed := pushFor(t, second, DemoIBKeyUser)
	if got := first.poll(old); got.Error != TextIBKeyExpired {
		t.Errorf("the replaced push: %+v, want %q", got, TextIBKeyExpired)
	}
	clk.Advance(time.Second)
	other := pushFor(t, first, "demo")

	if err := s.Deny("nobody"); err == nil || !strings.Contains(err.Error(), "nobody") {
		t.Errorf("Deny of a user without a push = %v, want an error naming them", err)
	}
	if err := s.Approve(DemoIBKeyUser); err != nil {
		t.Fatal(err)
	}
	if got := second.poll(renewed); got.Result != "ok" {
		t.Errorf("the named user's push: %+v, want approved", got)
	}
	if got := first.poll(other); got.Result != "pending" {
		t.Errorf("the other user's push: %+v, want still pending", got)
	}
	status, b := first.do("POST", "/sim/deny", nil) // the newest pending: demo's
	if status != 200 {
		t.Fatalf("POST /sim/deny: %d %q", status, b)
	}
	if got := first.poll(other); got.Error != TextIBKeyDenied {
		t.Errorf("after /sim/deny: %+v, want %q", got, TextIBKeyDenied)
	}
	st := s.State()
	if st.PushesSent != 3 || st.PushesApproved != 1 || st.PushesDenied != 1 || st.PushesExpired != 1 {
		t.Errorf("counters sent %d approved %d denied %d expired %d, want 3 1 1 1",
			st.PushesSent, st.PushesApproved, st.PushesDenied, st.PushesExpired)
	}
}

func TestTOTPCodeWithdrawsThePushOfItsAttempt(t *testing.T) {
	clk := newFakeClock()
	s := startSim(t, testOptions(clk))
	c := newClient(t, s)
	attempt := pushFor(t, c, "demo")
	ok := c.authenticator(authRequest{Step: "code", Attempt: attempt, Device: DeviceAuthenticatorApp, Code: code(t, clk.Now())})
	if ok.Result != "ok" {
		t.Fatalf("code after picking IB Key first: %+v", ok)
	}
	if st := s.State(); st.Pushes[0].State != PushExpired {
		t.Errorf("push %+v after the code, want withdrawn (expired)", st.Pushes[0])
	}
}

func TestIBKeyPromoShowsAfterTheFormAndCountsSkips(t *testing.T) {
	o := testOptions(newFakeClock())
	o.IBKeyPromo = true
	s := startSim(t, o)
	c := newClient(t, s)
	if !c.simState().IBKeyPromo {
		t.Fatal("state: ibkeyPromo false with the option on")
	}
	a := c.authenticator(password("demopaper", "demo", true))
	if a.Result != "ok" || !a.Promo {
		t.Fatalf("paper login with the promotion on: %+v, want ok with promo", a)
	}
	resp, err := c.http.PostForm(c.base+"/sso/Dispatcher", url.Values{"loginToken": {a.Token}, "ibkeyPromo": {"skipped"}})
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("Dispatcher after the skip: %v %v", resp, err)
	}
	resp.Body.Close()
	st := s.State()
	if st.PromosShown != 1 || st.PromosSkipped != 1 || st.Session == nil {
		t.Errorf("shown %d skipped %d session %v, want 1 1 and a session", st.PromosShown, st.PromosSkipped, st.Session)
	}

	if status, b := c.do("POST", "/sim/ibkey-promo?on=false", nil); status != 200 || strings.Contains(string(b), `"ibkeyPromo":true`) {
		t.Fatalf("POST /sim/ibkey-promo?on=false: %d %s", status, b)
	}
	if a := c.authenticator(password("demopaper", "demo", true)); a.Promo {
		t.Errorf("promotion still shown after it was switched off")
	}
	if status, _ := c.do("POST", "/sim/ibkey-promo?on=maybe", nil); status != http.StatusBadRequest {
		t.Errorf("on=maybe: %d, want 400", status)
	}
}
