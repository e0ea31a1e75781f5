package sim

import (
	"encoding/json"
	"io"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
)

func (c *client) authenticator(req authRequest) authAnswer {
	c.t.Helper()
	status, b := c.do("POST", "/sso/Authenticator", req)
	var a authAnswer
	if status != 200 || json.Unmarshal(b, &a) != nil {
		c.t.Fatalf("/sso/Authenticator: %d %q", status, b)
	}
	return a
}

// dispatch posts the token as the page's final form does.
func (c *client) dispatch(token string) (int, string) {
	c.t.Helper()
	resp, err := c.http.PostForm(c.base+"/sso/Dispatcher", url.Values{"loginToken": {token}})
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func code(t *testing.T, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(DemoTOTPSecret, at, totpOpts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func password(user, pw string, paper bool) authRequest {
	return authRequest{Step: "password", Username: user, Password: pw, Paper: paper}
}

func TestLoginPasswordStepErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		req  authRequest
		want string
	}{
		{"wrong password", password("demo", "nope", false), TextInvalidCredentials},
		{"unknown user", password("nobody", "demo", false), TextInvalidCredentials},
		{"paper user in live mode", password("demopaper", "demo", false), TextWrongModeLive},
		{"live user in paper mode", password("demo", "demo", true), TextWrongModePaper},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startSim(t, testOptions(newFakeClock()))
			a := newClient(t, s).authenticator(tc.req)
			if a.Result != "error" || a.Error != tc.want {
				t.Errorf("got %+v, want error %q", a, tc.want)
			}
			if s.State().Session != nil {
				t.Error("a session started after a failed login")
			}
		})
	}
}

func TestPaperLoginHasNoSecondFactor(t *testing.T) {
	clk := newFakeClock()
	s := startSim(t, testOptions(clk))
	c := newClient(t, s)
	a := c.authenticator(password("DemoPaper", "demo", true))
	if a.Result != "ok" || a.Token == "" {
		t.Fatalf("paper login: %+v, want ok with a token", a)
	}
	status, page := c.dispatch(a.Token)
	if status != 200 || !strings.Contains(page, "Client login succeeds") {
		t.Fatalf("Dispatcher: %d %q", status, page)
	}
	if st := s.State(); st.Session == nil || !st.Session.Paper || st.Session.User != "demopaper" {
		t.Fatalf("session after paper login: %+v", st.Session)
	}
	clk.Advance(3 * time.Second)
	if a, _, _ := c.authStatus(); !a {
		t.Error("not authenticated AuthDelay after the paper login")
	}
}

func TestLiveLoginWithTOTP(t *testing.T) {
	clk := newFakeClock()
	s := startSim(t, testOptions(clk))
	c := newClient(t, s)

	a := c.authenticator(password("demo", "demo", false))
	if a.Result != "2fa" || len(a.Devices) != 2 || a.Attempt == "" {
		t.Fatalf("password step: %+v, want 2fa with two devices", a)
	}
	if got := c.authenticator(authRequest{Step: "code", Attempt: a.Attempt, Device: DeviceIBKey}); got.Result != "push" {
		t.Errorf("IB Key picked: %+v, want the push sent", got)
	}
	if got := c.authenticator(authRequest{Step: "code", Attempt: a.Attempt, Device: "4", Code: "000000"}); got.Error != TextIncorrectCode {
		t.Errorf("wrong code: %+v, want %q", got, TextIncorrectCode)
	}
	good := code(t, clk.Now())
	ok := c.authenticator(authRequest{Step: "code", Attempt: a.Attempt, Device: "4", Code: good})
	if ok.Result != "ok" {
		t.Fatalf("right code: %+v", ok)
	}
	if status, page := c.dispatch(ok.Token); status != 200 || !strings.Contains(page, TextLoginSucceeded) {
		t.Fatalf("Dispatcher: %d %q", status, page)
	}
	if a, _, _ := c.authStatus(); a {
		t.Error("authenticated before AuthDelay")
	}
	clk.Advance(3 * time.Second)
	if a, _, _ := c.authStatus(); !a {
		t.Error("not authenticated after AuthDelay")
	}
	if n := s.State().FailedLogins["demo"]; n != 0 {
		t.Errorf("failed logins after success = %d, want 0", n)
	}

	// The same code again, still inside its window, is refused.
	a = c.authenticator(password("demo", "demo", false))
	if got := c.authenticator(authRequest{Step: "code", Attempt: a.Attempt, Device: "4", Code: good}); got.Error != TextIncorrectCode {
		t.Errorf("reused code: %+v, want %q", got, TextIncorrectCode)
	}
	// The token is single-use too.
	if status, _ := c.dispatch(ok.Token); status != 400 {
		t.Errorf("reused Dispatcher token: %d, want 400", status)
	}
}

func TestTOTPWindowAndSkew(t *testing.T) {
	for _, tc := range []struct {
		name     string
		skew     time.Duration
		codeAt   time.Duration // code made this far from the fake now
		accepted bool
	}{
		{"current step", 0, 0, true},
		{"previous step", 0, -30 * time.Second, true},
		{"next step", 0, 30 * time.Second, true},
		{"two steps old", 0, -60 * time.Second, false},
		{"two steps ahead", 0, 60 * time.Second, false},
		{"simulator clock ahead: current code too old", 90 * time.Second, 0, false},
		{"simulator clock ahead: its own time's code", 90 * time.Second, 90 * time.Second, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := newFakeClock() // on a step boundary + 0 s
			clk.Advance(15 * time.Second)
			o := testOptions(clk)
			o.TOTPSkew = tc.skew
			o.Speed = 1000 // TOTP must ignore the sped-up clock
			c := newClient(t, startSim(t, o))
			a := c.authenticator(password("demo", "demo", false))
			got := c.authenticator(authRequest{Step: "code", Attempt: a.Attempt, Device: "4", Code: code(t, clk.Now().Add(tc.codeAt))})
			if (got.Result == "ok") != tc.accepted {
				t.Errorf("got %+v, accepted want %v", got, tc.accepted)
			}
		})
	}
}

func TestLockAfterMaxFailedLogins(t *testing.T) {
	for _, tc := range []struct {
		name string
		fail func(c *client)
	}{
		{"wrong passwords", func(c *client) { c.authenticator(password("demo", "bad", false)) }},
		{"wrong codes", func(c *client) {
			a := c.authenticator(password("demo", "demo", false))
			c.authenticator(authRequest{Step: "code", Attempt: a.Attempt, Device: "4", Code: "000000"})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := newFakeClock()
			o := testOptions(clk)
			o.MaxFailedLogins = 3
			s := startSim(t, o)
			c := newClient(t, s)
			for range 2 {
				tc.fail(c)
			}
			if st := s.State(); st.FailedLogins["demo"] != 2 || len(st.LockedUsers) != 0 {
				t.Fatalf("after 2 failures: failed %v locked %v", st.FailedLogins, st.LockedUsers)
			}
			tc.fail(c)
			if st := s.State(); len(st.LockedUsers) != 1 || st.LockedUsers[0] != "demo" {
				t.Fatalf("after 3 failures: locked %v, want demo", st.LockedUsers)
			}
			if got := c.authenticator(password("demo", "demo", false)); got.Error != TextLocked {
				t.Errorf("right password when locked: %+v, want %q", got, TextLocked)
			}
			if err := s.LoginAs("demo"); err == nil {
				t.Error("LoginAs a locked user succeeded")
			}
		})
	}
}

func TestLoginAttemptExpires(t *testing.T) {
	clk := newFakeClock()
	s := startSim(t, testOptions(clk))
	c := newClient(t, s)
	a := c.authenticator(password("demo", "demo", false))
	clk.Advance(attemptLifetime + time.Second)
	got := c.authenticator(authRequest{Step: "code", Attempt: a.Attempt, Device: "4", Code: code(t, clk.Now())})
	if got.Error != TextLoginExpired || !got.Restart {
		t.Errorf("code after the attempt expired: %+v", got)
	}
}

func TestDispatcherRefusesUnknownToken(t *testing.T) {
	s := startSim(t, testOptions(newFakeClock()))
	c := newClient(t, s)
	if status, page := c.dispatch("forged"); status != 400 || strings.Contains(page, TextLoginSucceeded) {
		t.Errorf("forged token: %d %q", status, page)
	}
	if s.State().Session != nil {
		t.Error("a forged token started a session")
	}
}

// The browser tests (session/login) drive the page; here the page's
// elements are checked per version, inside the template the script renders.
func TestLoginPageElementsPerVersion(t *testing.T) {
	for _, tc := range []struct {
		version string
		want    []string
		absent  []string
	}{
		{PageCurrent, []string{
			`id="xyz-field-username" name="username"`, `id="xyz-field-password" name="password"`,
			`<form class="xyzform-submit"`, `class="btn btn-lg btn-primary xyz-button-login">Login<`,
			`id="toggle1" name="paperSwitch"`, `<label for="toggle1">`, `class="xyz-errormessage"`,
			`class="xyzblock-multiplesf"`, `class="form-control xyz-multipleselect"`,
			`<option value="">Select Type</option>`, `<option value="5.2a">IB Key</option>`,
			`<option value="4">Mobile Authenticator App</option>`, `id="twofactbase"`,
			`id="xyz-field-silver-response" name="silver-response"`, `placeholder="Security Code"`,
		}, []string{`user_name`, `submitForm`}},
		{Page2022, []string{
			`id="user_name" name="user_name"`, `id="submitForm"`, `id="chlginput"`, `id="sf_select"`,
			`id="ERRORMSG" class="alert alert-danger margin-top-10"`, `id="toggle1" name="paperSwitch"`,
		}, []string{`xyz-field-username`, `xyz-errormessage`}},
	} {
		t.Run(tc.version, func(t *testing.T) {
			o := testOptions(newFakeClock())
			o.PageVersion = tc.version
			c := newClient(t, startSim(t, o))
			status, b := c.do("GET", "/sso/Login?forwardTo=22&RL=1&ip2loc=US", nil)
			page := string(b)
			if status != 200 {
				t.Fatalf("status %d", status)
			}
			tmpl := page[strings.Index(page, "<template"):strings.Index(page, "</template>")]
			for _, w := range tc.want {
				if !strings.Contains(tmpl, w) {
					t.Errorf("the form lacks %s", w)
				}
			}
			for _, w := range tc.absent {
				if strings.Contains(page, w) {
					t.Errorf("the %s page has %s", tc.version, w)
				}
			}
			if status, js := c.do("GET", "/sso/static/login.js", nil); status != 200 || !strings.Contains(string(js), "setTimeout(render") {
				t.Errorf("login.js: %d", status)
			}
		})
	}
}
