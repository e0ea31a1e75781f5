package login

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ibkr-tray/ibkr-tray/gateway/sim"
	"github.com/ibkr-tray/ibkr-tray/ui/desktoptest"
)

func TestRunSaysPageChangedWhenNoSelectorSetMatches(t *testing.T) {
	t.Parallel()
	s := startSim(t, nil, nil)
	a := attempt(t, s, nil)
	a.Selectors = []SelectorSet{{Version: "imaginary", Username: "#no-such-field", Password: "#no-such-field", Submit: "#no-such-button"}}
	a.formWait = 500 * time.Millisecond
	a.DiagnosticsDir = t.TempDir()
	_, err := run(t, a)
	var e *Error
	if !errors.As(err, &e) || e.Kind != PageChanged {
		t.Fatalf("err = %v, want PageChanged", err)
	}
	if e.Diagnostics == "" {
		t.Errorf("no diagnostics kept for a changed page")
	}
	if !strings.Contains(err.Error(), "selectors") {
		t.Errorf("message %q should point at the login selectors", err)
	}
}

func TestRunReportsASelectorThatIsNotCSS(t *testing.T) {
	t.Parallel()
	s := startSim(t, nil, nil)
	a := attempt(t, s, nil)
	a.Selectors = []SelectorSet{{Version: "typo", Username: "input[name=", Password: "#p", Submit: "#s"}}
	_, err := run(t, a)
	if KindOf(err) != PageChanged || !strings.Contains(err.Error(), `"input[name="`) {
		t.Fatalf("err = %v, want PageChanged naming the bad selector", err)
	}
}

func TestRunUsesSelectorsFromTheSettings(t *testing.T) {
	t.Parallel()
	// Only the 2022 set, renamed, as a user would paste it into the settings.
	raw := json.RawMessage(`[{"version": "mine", "username": "#user_name", "password": "#password",
		"submit": "#submitForm", "paperSwitch": "#toggle1", "paperToggle": "label[for=toggle1]",
		"devicePicker": "#sf_select", "code": "#chlginput", "error": "#ERRORMSG"}]`)
	sets, err := ParseSelectors(raw)
	if err != nil {
		t.Fatal(err)
	}
	s := startSim(t, nil, func(o *sim.Options) { o.PageVersion = sim.Page2022 })
	a := attempt(t, s, nil)
	a.Selectors = sets
	res, err := run(t, a)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if res.PageVersion != "mine" {
		t.Errorf("PageVersion = %q, want mine", res.PageVersion)
	}
}

func TestRunTimesOutWhenTheGatewayHangs(t *testing.T) {
	t.Parallel()
	s := startSim(t, nil, nil)
	s.Hang(time.Minute)
	a := attempt(t, s, nil)
	a.DiagnosticsDir = t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Second)
	defer cancel()
	start := time.Now()
	_, err := Run(ctx, a)
	if KindOf(err) != Timeout {
		t.Fatalf("err = %v, want Timeout", err)
	}
	if took := time.Since(start); took > 15*time.Second {
		t.Errorf("Run returned %v after its deadline", took-4*time.Second)
	}
}

func TestRunAsksForTheSecretWhenACodeIsNeededAndNoneIsStored(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, user string
		factor     SecondFactor
	}{
		// (liveuser on automatic would take IB Key, its other device.)
		{"the authenticator app is the only device", "onedevice", FactorAuto},
		{"the authenticator app is chosen", "liveuser", FactorTOTP},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := startSim(t, nil, nil)
			a := attempt(t, s, nil)
			a.Username, a.SecondFactor, a.TOTPSecret = tc.user, tc.factor, ""
			_, err := run(t, a)
			if KindOf(err) != BadCode || !strings.Contains(err.Error(), "no TOTP secret is stored") {
				t.Fatalf("err = %v, want BadCode saying no secret is stored", err)
			}
			if st := s.State(); st.FailedLogins[tc.user] != 0 || st.PushesSent != 0 {
				t.Errorf("the simulator counted %d failed logins and %d pushes; none was sent", st.FailedLogins[tc.user], st.PushesSent)
			}
		})
	}
}

// fakeBrowser is a script that records its arguments and environment and
// exits, as a broken browser would.
func fakeBrowser(t *testing.T) (exe, args, env string) {
	dir := t.TempDir()
	args, env = filepath.Join(dir, "args"), filepath.Join(dir, "env")
	exe = filepath.Join(dir, "chromium")
	script := fmt.Sprintf("#!/bin/sh\nprintf '%%s\\n' \"$@\" > %s\nenv > %s\necho 'not a browser' >&2\nexit 3\n", args, env)
	if err := os.WriteFile(exe, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	return exe, args, env
}

func TestBrowserGetsTheFlagsAndNoSecrets(t *testing.T) {
	t.Setenv("IBKR_PASSWORD", "s3cret-from-env") // as a user's shell might have it
	// A local HTTPS server stands in for the gateway: the login reads its
	// certificate before starting the browser.
	gw := httptest.NewTLSServer(http.NotFoundHandler())
	t.Cleanup(gw.Close)
	cases := []struct {
		name     string
		gateway  string
		remote   bool
		insecure bool
	}{
		{"loopback gateway", gw.URL, false, true},
		{"remote gateway", "https://gateway.example.com:5000", true, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			exe, argsFile, envFile := fakeBrowser(t)
			a := Attempt{GatewayURL: tc.gateway, AllowRemote: tc.remote, Username: "u", Password: "pass-word-typed-only",
				TOTPSecret: liveSecret, Browser: exe, Logger: slog.New(slog.DiscardHandler)}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			_, err := Run(ctx, a)
			if KindOf(err) != NoBrowser || !strings.Contains(err.Error(), "not a browser") {
				t.Fatalf("err = %v, want NoBrowser with the browser's output", err)
			}
			argsB, err := os.ReadFile(argsFile)
			if err != nil {
				t.Fatal(err)
			}
			envB, err := os.ReadFile(envFile)
			if err != nil {
				t.Fatal(err)
			}
			args, env := strings.Split(string(argsB), "\n"), strings.Split(string(envB), "\n")
			for _, want := range []string{"--headless", "--disable-quic", "--disable-component-update",
				"--disable-background-networking", "--disable-sync", "--no-first-run", "--password-store=basic"} {
				if !contains(args, want) {
					t.Errorf("browser arguments lack %s: %q", want, args)
				}
			}
			if contains(args, "--ignore-certificate-errors") {
				t.Errorf("--ignore-certificate-errors present: certificate errors ignored for every site")
			}
			pin := "--ignore-certificate-errors-spki-list=" + spkiHash(gw.Certificate())
			if got := contains(args, pin); got != tc.insecure {
				t.Errorf("%s present=%v, want %v: %q", pin, got, tc.insecure, args)
			}
			var profile string
			for _, arg := range args {
				if p, ok := strings.CutPrefix(arg, "--user-data-dir="); ok {
					profile = p
				}
			}
			if !strings.Contains(profile, "ibkr-tray-login-") {
				t.Errorf("no fresh --user-data-dir: %q", args)
			} else if _, err := os.Stat(profile); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("profile folder %s left behind: %v", profile, err)
			}
			if !contains(env, "DBUS_SESSION_BUS_ADDRESS=disabled:") {
				t.Errorf("browser environment lacks DBUS_SESSION_BUS_ADDRESS=disabled:")
			}
			for _, secret := range []string{"s3cret-from-env", a.Password, liveSecret} {
				if strings.Contains(string(argsB)+string(envB), secret) {
					t.Errorf("the browser's arguments or environment contain %q", secret)
				}
			}
		})
	}
}

func TestRunRemovesTheBrowserProfileAfterARealBrowser(t *testing.T) {
	desktoptest.RequireTools(t, "chromium")
	b, err := startBrowser(context.Background(), "/usr/bin/chromium", "", false, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(b.profile); err != nil {
		t.Fatalf("profile folder missing while the browser runs: %v", err)
	}
	b.close()
	if _, err := os.Stat(b.profile); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("profile folder %s left behind: %v", b.profile, err)
	}
	b.close() // a second close is harmless
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestRunEndsWithItsContextEvenWhileTheBrowserStarts(t *testing.T) {
	t.Parallel()
	desktoptest.RequireTools(t, "chromium")
	cases := []struct {
		name     string
		deadline time.Duration
	}{
		{"already expired", -time.Second},
		{"expires while Chromium starts", 200 * time.Millisecond},
	}
	gw := httptest.NewTLSServer(http.NotFoundHandler())
	t.Cleanup(gw.Close)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(tc.deadline))
			defer cancel()
			start := time.Now()
			_, err := Run(ctx, Attempt{GatewayURL: gw.URL, Username: "u", Password: "p", Browser: "/usr/bin/chromium"})
			if KindOf(err) != Timeout {
				t.Fatalf("err = %v, want Timeout", err)
			}
			if took := time.Since(start); took > 10*time.Second {
				t.Errorf("took %v after the deadline", took)
			}
		})
	}
}

func TestRunVisibleWithoutADisplaySaysSo(t *testing.T) {
	desktoptest.RequireTools(t, "chromium")
	t.Setenv("DISPLAY", "")
	t.Setenv("WAYLAND_DISPLAY", "")
	gw := httptest.NewTLSServer(http.NotFoundHandler())
	t.Cleanup(gw.Close)
	_, err := Run(context.Background(), Attempt{GatewayURL: gw.URL, Username: "u", Password: "p",
		Browser: "/usr/bin/chromium", Visible: true, Timeout: 20 * time.Second})
	if KindOf(err) != NoBrowser || !strings.Contains(err.Error(), "needs a display") {
		t.Fatalf("err = %v, want NoBrowser saying a display is needed", err)
	}
}

func TestRunRefusesMissingCredentialsBeforeStartingABrowser(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		a    Attempt
		kind FailureKind
	}{
		{"no password", Attempt{Username: "u"}, BadCredentials},
		{"no username", Attempt{Password: "p"}, BadCredentials},
		{"secret not base32", Attempt{Username: "u", Password: "p", TOTPSecret: "not-base32-0189"}, BadCode},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.a.GatewayURL = "https://localhost:5000"
			tc.a.Browser = "/nonexistent/chromium" // never reached
			_, err := Run(context.Background(), tc.a)
			if KindOf(err) != tc.kind || !strings.Contains(err.Error(), "ibkr-tray secrets set") {
				t.Errorf("err = %v, want %v pointing at `ibkr-tray secrets set`", err, tc.kind)
			}
		})
	}
}

func TestRunRefusesAnUnknownSecondFactorBeforeStartingABrowser(t *testing.T) {
	t.Parallel()
	a := Attempt{GatewayURL: "https://localhost:5000", Username: "u", Password: "p", SecondFactor: "sms", Browser: "/nonexistent/chromium"}
	_, err := Run(context.Background(), a)
	if KindOf(err) != Unknown || !strings.Contains(err.Error(), `"sms"`) || !strings.Contains(err.Error(), "settings") {
		t.Errorf("err = %v, want a sentence naming the setting", err)
	}
}
