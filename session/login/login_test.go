package login

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ibkr-tray/ibkr-tray/gateway/sim"
	"github.com/ibkr-tray/ibkr-tray/ui/desktoptest"
)

// These tests log in with the real Chromium against the gateway simulator
// on a loopback port.

const (
	livePassword  = "live-pass-123"
	paperPassword = "paper-pass-456"
	liveSecret    = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
)

func testAccounts() []sim.Account {
	return []sim.Account{
		{Username: "liveuser", Password: livePassword, TOTPSecret: liveSecret, Devices: []string{sim.DeviceIBKey, sim.DeviceAuthenticatorApp}},
		{Username: "onedevice", Password: livePassword, TOTPSecret: liveSecret},
		{Username: "paperuser", Password: paperPassword, Paper: true},
	}
}

// startSim starts a simulator with test accounts and no delays; the clock,
// when given, is its TOTP and session clock.
func startSim(t *testing.T, clock *fakeClock, change func(*sim.Options)) *sim.Server {
	t.Helper()
	desktoptest.RequireTools(t, "chromium")
	o := sim.DefaultOptions()
	o.Accounts = testAccounts()
	o.AuthDelay = 0
	o.RateLimits = false
	o.MaxFailedLogins = 0
	if clock != nil {
		o.Now = clock.Now
	}
	if change != nil {
		change(&o)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s, err := sim.Start(ctx, "127.0.0.1:0", o)
	if err != nil {
		cancel()
		t.Fatalf("start the simulator: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		s.Close()
	})
	return s
}

// attempt is a live login for liveuser against s.
func attempt(t *testing.T, s *sim.Server, clock *fakeClock) Attempt {
	a := Attempt{
		GatewayURL: s.URL(),
		Username:   "liveuser",
		Password:   livePassword,
		TOTPSecret: liveSecret,
		Browser:    "/usr/bin/chromium",
		Logger:     slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if clock != nil {
		a.Now, a.Sleep = clock.LoginNow, clock.Sleep
	}
	return a
}

func run(t *testing.T, a Attempt) (Result, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	return Run(ctx, a)
}

func TestRunLogsInLiveUserWithTOTPThroughTheDevicePicker(t *testing.T) {
	t.Parallel()
	s := startSim(t, nil, nil)
	res, err := run(t, attempt(t, s, nil))
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	t.Logf("live TOTP login took %v (Chromium start included)", res.Took)
	st := s.State()
	if st.Session == nil || st.Session.User != "liveuser" || st.Session.Paper {
		t.Fatalf("simulator session = %+v, want a live session of liveuser", st.Session)
	}
	if res.PageVersion != "current" {
		t.Errorf("PageVersion = %q, want current", res.PageVersion)
	}
	if want := stepAt(time.Now()); res.Step < want-1 || res.Step > want+1 {
		t.Errorf("Step = %d, want about %d", res.Step, want)
	}
}

func TestRunLogsInLiveUserWithOneDeviceAndNoPicker(t *testing.T) {
	t.Parallel()
	s := startSim(t, nil, nil)
	a := attempt(t, s, nil)
	a.Username = "onedevice"
	if _, err := run(t, a); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if st := s.State(); st.Session == nil || st.Session.User != "onedevice" {
		t.Fatalf("simulator session = %+v, want onedevice", st.Session)
	}
}

func TestRunLogsInPaperUserThroughThePaperSwitch(t *testing.T) {
	t.Parallel()
	s := startSim(t, nil, nil)
	a := attempt(t, s, nil)
	a.Username, a.Password, a.TOTPSecret, a.Paper = "paperuser", paperPassword, "", true
	res, err := run(t, a)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if st := s.State(); st.Session == nil || !st.Session.Paper || st.Session.User != "paperuser" {
		t.Fatalf("simulator session = %+v, want a paper session of paperuser", st.Session)
	}
	if res.Step != 0 {
		t.Errorf("Step = %d, want 0: a paper login sends no code", res.Step)
	}
}

// The real gateway answers a login with the plain text "Client login
// succeeds" (Chromium shows it inside <pre>); older simulators, and perhaps
// other gateway builds, answer an HTML page. Both must count as success.
func TestRunSeesSuccessAsPlainTextAndAsHTMLPage(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		html bool
	}{
		{"plain text like the real gateway", false},
		{"an HTML page with a heading", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := startSim(t, nil, func(o *sim.Options) { o.SuccessHTML = tc.html })
			a := attempt(t, s, nil)
			a.Username, a.Password, a.TOTPSecret, a.Paper = "paperuser", paperPassword, "", true
			if _, err := run(t, a); err != nil {
				t.Fatalf("Run: %v", err)
			}
			if st := s.State(); st.Session == nil || st.Session.User != "paperuser" {
				t.Fatalf("simulator session = %+v, want paperuser", st.Session)
			}
		})
	}
}

func TestRunLogsInOnThe2022Page(t *testing.T) {
	t.Parallel()
	s := startSim(t, nil, func(o *sim.Options) { o.PageVersion = sim.Page2022 })
	res, err := run(t, attempt(t, s, nil))
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if res.PageVersion != "2022" {
		t.Errorf("PageVersion = %q, want 2022", res.PageVersion)
	}
	if st := s.State(); st.Session == nil || st.Session.User != "liveuser" {
		t.Fatalf("simulator session = %+v, want liveuser", st.Session)
	}
}

func TestRunClassifiesTheLoginPagesErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		change   func(*Attempt)
		kind     FailureKind
		pageText string
	}{
		{"wrong password", func(a *Attempt) { a.Password = "wrong" }, BadCredentials, sim.TextInvalidCredentials},
		{"live user in paper mode", func(a *Attempt) { a.Paper = true }, WrongMode, sim.TextWrongModePaper},
		{"paper user in live mode", func(a *Attempt) { a.Username, a.Password, a.TOTPSecret = "paperuser", paperPassword, "" }, WrongMode, sim.TextWrongModeLive},
		{"locked user", func(a *Attempt) { a.Username = "lockeduser" }, UserLocked, sim.TextLocked},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := startSim(t, nil, func(o *sim.Options) {
				o.Accounts = append(o.Accounts, sim.Account{Username: "lockeduser", Password: livePassword})
			})
			s.LockUser("lockeduser")
			a := attempt(t, s, nil)
			tc.change(&a)
			_, err := run(t, a)
			if KindOf(err) != tc.kind {
				t.Fatalf("KindOf(%v) = %v, want %v", err, KindOf(err), tc.kind)
			}
			var e *Error
			if !errors.As(err, &e) || e.PageText != tc.pageText {
				t.Errorf("PageText = %q, want %q", e.PageText, tc.pageText)
			}
			if strings.Contains(err.Error(), a.Password) {
				t.Errorf("error %q contains the password", err)
			}
			if s.State().Session != nil {
				t.Errorf("a failed login left a session")
			}
		})
	}
}

// futureStep is a TOTP step a minute or so ahead: the tests jump the
// clocks into it (not further: the simulator's login attempts expire after
// 5 minutes of its time).
func futureStep() int64 { return stepAt(time.Now()) + 3 }

func TestRunNeverSendsACodeOfTheUsedStep(t *testing.T) {
	t.Parallel()
	step0 := futureStep()
	clock := jumpingTo(stepStart(step0).Add(5 * time.Second)) // 25 s left
	s := startSim(t, clock, nil)
	a := attempt(t, s, clock)
	a.UsedStep = step0
	res, err := run(t, a)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if res.Step != step0+1 {
		t.Errorf("Step = %d, want %d (the step after the used one)", res.Step, step0+1)
	}
	if slept := clock.Slept(); slept < 24900*time.Millisecond || slept > 25*time.Second {
		t.Errorf("waited %v for the next step, want the 25 s left of the used one", slept)
	}
}

func TestRunWaitsForTheNextStepWhenTheCodeIsNearItsEnd(t *testing.T) {
	t.Parallel()
	step0 := futureStep()
	clock := jumpingTo(stepStart(step0).Add(25 * time.Second)) // 5 s left
	s := startSim(t, clock, nil)
	res, err := run(t, attempt(t, s, clock))
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if res.Step != step0+1 {
		t.Errorf("Step = %d, want %d: a code with under 8 s left must not be sent", res.Step, step0+1)
	}
	if slept := clock.Slept(); slept < 4900*time.Millisecond || slept > 5*time.Second {
		t.Errorf("waited %v, want the 5 s to the next step", slept)
	}
}

func TestRunSendsACodeAtOnceWithTimeLeft(t *testing.T) {
	t.Parallel()
	step0 := futureStep()
	clock := jumpingTo(stepStart(step0).Add(21 * time.Second)) // 9 s left
	s := startSim(t, clock, nil)
	res, err := run(t, attempt(t, s, clock))
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if res.Step != step0 || clock.Slept() != 0 {
		t.Errorf("Step = %d after waiting %v; want %d at once", res.Step, clock.Slept(), step0)
	}
}

func TestRunWithoutABrowserSaysWhatToInstall(t *testing.T) {
	t.Parallel()
	a := Attempt{GatewayURL: "https://localhost:5000", Username: "u", Password: "p", Browser: "/nonexistent/chromium"}
	start := time.Now()
	_, err := Run(context.Background(), a)
	if KindOf(err) != NoBrowser {
		t.Fatalf("KindOf(%v) = %v, want NoBrowser", err, KindOf(err))
	}
	if msg := err.Error(); !strings.Contains(msg, "/nonexistent/chromium") || !strings.Contains(msg, "install") {
		t.Errorf("message %q should name the path and what to install", msg)
	}
	if time.Since(start) > 2*time.Second {
		t.Errorf("a missing browser should fail at once")
	}
}

func TestFindBrowserWithNothingInstalledNamesThePackage(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := FindBrowser()
	if _, statErr := os.Stat("/snap/bin/chromium"); statErr == nil {
		t.Skip("/snap/bin/chromium exists")
	}
	if KindOf(err) != NoBrowser || !strings.Contains(err.Error(), "chromium") {
		t.Fatalf("FindBrowser() err = %v, want NoBrowser naming the chromium package", err)
	}
}

func TestRunRefusesAGatewayOffThisComputer(t *testing.T) {
	t.Parallel()
	cases := []struct {
		url      string
		remote   bool
		ok       bool
		insecure bool
	}{
		{"https://localhost:5000", false, true, true},
		{"https://127.0.0.1:5000/sso/Login?x=1", false, true, true},
		{"https://[::1]:5000", false, true, true},
		{"https://gateway.example.com:5000", false, false, false},
		{"https://10.0.0.5:5000", false, false, false},
		{"https://gateway.example.com:5000", true, true, false},
		{"ftp://localhost:5000", false, false, false},
		{"localhost:5000", false, false, false},
	}
	for _, tc := range cases {
		page, insecure, err := loginURL(tc.url, tc.remote)
		if (err == nil) != tc.ok {
			t.Errorf("loginURL(%q, remote=%v) err = %v, want ok=%v", tc.url, tc.remote, err, tc.ok)
			continue
		}
		if err == nil && (insecure != tc.insecure || !strings.HasSuffix(page, "/")) {
			t.Errorf("loginURL(%q) = %q, insecure=%v; want insecure=%v and the root page", tc.url, page, insecure, tc.insecure)
		}
	}
}

func TestRunKeepsDiagnosticsWithoutSecrets(t *testing.T) {
	t.Parallel()
	s := startSim(t, nil, nil)
	a := attempt(t, s, nil)
	a.DiagnosticsDir = filepath.Join(t.TempDir(), "diagnostics")
	a.TOTPSecret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" // wrong: fails after the code is typed
	_, err := run(t, a)
	var e *Error
	if !errors.As(err, &e) || e.Kind != BadCode || e.PageText != sim.TextIncorrectCode {
		t.Fatalf("err = %v, want BadCode with the page's text", err)
	}
	if e.Step == 0 {
		t.Errorf("Step = 0; the step of the refused code must be reported so it is not sent again")
	}
	if !strings.HasSuffix(e.Diagnostics, ".png") || !strings.Contains(err.Error(), e.Diagnostics) {
		t.Fatalf("Diagnostics = %q in %q, want a screenshot named in the message", e.Diagnostics, err)
	}
	png, err := os.ReadFile(e.Diagnostics)
	if err != nil || !strings.HasPrefix(string(png), "\x89PNG") {
		t.Fatalf("screenshot: %v, %d bytes, want a PNG", err, len(png))
	}
	html, err := os.ReadFile(strings.TrimSuffix(e.Diagnostics, ".png") + ".html")
	if err != nil {
		t.Fatalf("page HTML: %v", err)
	}
	if !strings.Contains(string(html), sim.TextIncorrectCode) {
		t.Errorf("the saved HTML lacks the page's error text")
	}
	code, _, _, _ := Code(a.TOTPSecret, time.Unix(e.Step*30, 0))
	for what, secret := range map[string]string{"password": a.Password, "secret": a.TOTPSecret, "code": code} {
		if strings.Contains(string(html), secret) {
			t.Errorf("the saved HTML contains the %s", what)
		}
	}
	for _, f := range []string{e.Diagnostics, strings.TrimSuffix(e.Diagnostics, ".png") + ".html"} {
		if info, err := os.Stat(f); err != nil || info.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, %v; want 0600", f, info.Mode().Perm(), err)
		}
	}
}

func TestPruneDiagnosticsKeepsTheLastTen(t *testing.T) {
	dir := t.TempDir()
	var names []string
	for i := range 13 {
		base := diagPrefix + time.Date(2026, 1, 1, 0, 0, i, 0, time.UTC).Format("20060102-150405.000") + "-bad-code"
		names = append(names, base)
		for _, ext := range []string{".png", ".html"} {
			if err := os.WriteFile(filepath.Join(dir, base+ext), nil, 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	pruneDiagnostics(dir, keepDiagnostics, slog.New(slog.DiscardHandler))
	for i, base := range names {
		_, err := os.Stat(filepath.Join(dir, base+".png"))
		if kept := err == nil; kept != (i >= 3) {
			t.Errorf("%s kept=%v, want %v", base, kept, i >= 3)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "notes.txt")); err != nil {
		t.Errorf("a file that is not a diagnostic was removed")
	}
}

// testWriter sends log lines to t.Log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
