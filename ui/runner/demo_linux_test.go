package runner

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/ibkr-tray/ibkr-tray/gateway/sim/simtest"
	"github.com/ibkr-tray/ibkr-tray/ui/desktoptest"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ibkr-tray/ibkr-tray/gateway"
	"github.com/ibkr-tray/ibkr-tray/gateway/sim"
	"github.com/ibkr-tray/ibkr-tray/session"
	"github.com/ibkr-tray/ibkr-tray/session/login"
	"github.com/ibkr-tray/ibkr-tray/session/secrets"
)

const chromium = "/usr/bin/chromium"

// loginWatch runs the real browser login, counts it, keeps the TOTP steps
// it used, and meanwhile reads the command lines and environments of the
// browser's processes.
type loginWatch struct {
	mu      sync.Mutex
	logins  int
	steps   []int64
	browser map[int]string // pid -> command line and environment
}

func (w *loginWatch) login(ctx context.Context, a login.Attempt) (login.Result, error) {
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			w.scan()
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	res, err := login.Run(ctx, a)
	close(stop)
	<-done
	step := res.Step
	var le *login.Error
	if errors.As(err, &le) {
		step = le.Step
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.logins++
	if step > 0 {
		w.steps = append(w.steps, step)
	}
	return res, err
}

func (w *loginWatch) scan() {
	for _, pid := range desktoptest.Descendants(os.Getpid()) {
		if comm, text := procText(pid); strings.Contains(comm, "chrom") {
			w.mu.Lock()
			w.browser[pid] = text
			w.mu.Unlock()
		}
	}
}

func (w *loginWatch) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.logins
}

// wrongFirst hands out a wrong password (the right one with an x added, so
// a copy of what was typed would still show the real one) the first time,
// then the right one: a failed login that leaves diagnostics behind.
type wrongFirst struct {
	secrets.Store
	fixed atomic.Bool // the user corrected the password
}

func (w *wrongFirst) Get(ctx context.Context, profile string) (secrets.Credentials, error) {
	c, err := w.Store.Get(ctx, profile)
	if !w.fixed.Load() {
		c.Password += "x"
	}
	return c, err
}

// TestDemoKeepsTheSessionThroughFaultsAndLeaksNoSecret runs the demo
// backend for real: the simulator as a gateway process, the keeper, and
// browser logins in Chromium with a TOTP code. It breaks the session the
// ways the demo does, logs out, stops, and then looks for the password,
// (typed wrong once, so that a failed login leaves its diagnostics),
// the TOTP secret and every code used in everything the app wrote or
// showed: logs, files, the status endpoint, and the command lines and
// environments of the gateway's and the browser's processes.
func TestDemoKeepsTheSessionThroughFaultsAndLeaksNoSecret(t *testing.T) {
	if testing.Short() {
		t.Skip("drives Chromium against the simulator")
	}
	desktoptest.RequireTools(t, "chromium")
	home := t.TempDir()
	for _, v := range []string{"XDG_CONFIG_HOME", "XDG_STATE_HOME"} {
		d := filepath.Join(home, strings.ToLower(v))
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
		t.Setenv(v, d)
	}
	t.Setenv("XDG_RUNTIME_DIR", shortDir(t)) // the control socket's path is short
	// A short TMPDIR of its own (Chromium's socket path must stay under
	// 108 bytes), searched at the end like the rest.
	tmp, err := os.MkdirTemp("", "ibt")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(tmp) })
	t.Setenv("TMPDIR", tmp)
	password := "pw-" + rand.Text()
	secret := randomTOTPSecret()
	var logs desktoptest.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	clock := &simtest.StepClock{}
	watch := &loginWatch{browser: map[int]string{}}
	var wrong *wrongFirst
	start := time.Now()
	r, cleanup, err := NewDemo(DemoOptions{
		StatusAddr: "127.0.0.1:0",
		FaultEvery: -1, // the test injects them
		Browser:    chromium,
		Logger:     log,
		Password:   password,
		TOTPSecret: secret,
		Gateway: func(g *gateway.Config) {
			g.Env = append(g.Env, simtest.ChildEnvVar)
			g.HealthInterval = 100 * time.Millisecond
		},
		Keeper: func(k *session.KeeperOptions) {
			k.TickleInterval = 1500 * time.Millisecond
			k.StatusPoll = 300 * time.Millisecond // the simulator allows 10 requests a second in all
			k.LoginAttempt.Now, k.LoginAttempt.Sleep = clock.Now, clock.Sleep
			k.BrowserLogin = watch.login
			wrong = &wrongFirst{Store: k.Credentials}
			k.Credentials = wrong
			k.OpenBrowser = func(string) error { return errors.New("no browser in tests") }
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cleanup) // after stop, which run registers next
	stop := run(t, r)
	dist := r.Supervisor().Status().Dir

	refused := waitStatus(t, r, "the wrong password refused", func(st Status) bool { return st.Session.State == session.NeedsManualLogin })
	if refused.Session.FailedLoginsInRow != 1 || !strings.Contains(refused.Session.Reason, "password") {
		t.Errorf("after a wrong password: %d failed in a row, reason %q", refused.Session.FailedLoginsInRow, refused.Session.Reason)
	}
	diags, _ := filepath.Glob(filepath.Join(os.Getenv("XDG_STATE_HOME"), "ibkr-tray", DemoProfile, "diagnostics", "*.html"))
	if len(diags) == 0 {
		t.Error("the failed login left no diagnostics to search")
	}
	// Issue 8: the rejected password is not sent again, whatever is
	// posted; a corrected one is tried by itself.
	if code, _ := ctl(t, r, "POST", "/login"); code != http.StatusAccepted {
		t.Errorf("POST /login = %d", code)
	}
	if code, _ := ctl(t, r, "POST", "/retry"); code != http.StatusAccepted {
		t.Errorf("POST /retry = %d", code)
	}
	waitStatus(t, r, "the browser login offered", func(st Status) bool { return st.Session.State == session.WaitingForManualLogin })
	if code, _ := ctl(t, r, "POST", "/cancel-login"); code != http.StatusAccepted {
		t.Errorf("POST /cancel-login = %d", code)
	}
	waitStatus(t, r, "back to the refusal", func(st Status) bool {
		return st.Session.State == session.NeedsManualLogin && st.Session.Cause == session.CauseBadCredentials
	})
	if n := watch.count(); n != 1 {
		t.Errorf("%d browser logins after Log in and Retry with the rejected password, want 1", n)
	}
	wrong.fixed.Store(true)
	if code, _ := ctl(t, r, "POST", "/credentials-changed"); code != http.StatusAccepted {
		t.Errorf("POST /credentials-changed = %d", code)
	}
	first := waitStatus(t, r, "the first login", func(st Status) bool { return st.Session.State == session.Authenticated })
	t.Logf("authenticated %s after start", time.Since(start).Round(time.Millisecond))
	if !first.Demo || first.Session.LastLoginMethod != "browser" || !slices.Contains(first.Session.Accounts, "U7654321") {
		t.Errorf("after the first login: demo %v, method %q, accounts %v", first.Demo, first.Session.LastLoginMethod, first.Session.Accounts)
	}
	if code, body := get(t, r, "GET", "/readyz"); code != http.StatusOK {
		t.Errorf("/readyz = %d %q while authenticated", code, body)
	}
	gatewayPIDs := append([]int{first.Gateway.PID}, desktoptest.Descendants(first.Gateway.PID)...)
	var gatewayProcs strings.Builder
	for _, pid := range gatewayPIDs {
		_, text := procText(pid)
		gatewayProcs.WriteString(text + "\n")
	}
	if len(gatewayPIDs) < 2 || !strings.Contains(gatewayProcs.String(), "--conf") {
		t.Fatalf("did not find run.sh and the simulator below pid %d: %q", first.Gateway.PID, gatewayProcs.String())
	}

	inj := FaultInjector{SimURL: "https://127.0.0.1:" + strconv.Itoa(first.Gateway.Port)}
	ctx := context.Background()
	t0 := time.Now()
	if err := inj.inject(ctx, "expire-sso"); err != nil {
		t.Fatal(err)
	}
	sso := waitStatus(t, r, "a new login after expire-sso", func(st Status) bool {
		return st.Session.State == session.Authenticated && st.Session.LastLogin.After(first.Session.LastLogin)
	})
	t.Logf("expire-sso recovered in %s", time.Since(t0).Round(time.Millisecond))
	if sso.Session.LastLoginMethod != "browser" || watch.count() != 3 {
		t.Errorf("after expire-sso: method %q, %d browser logins; want browser, 3", sso.Session.LastLoginMethod, watch.count())
	}

	t0 = time.Now()
	if err := inj.inject(ctx, "expire-brokerage"); err != nil {
		t.Fatal(err)
	}
	reauth := waitStatus(t, r, "the session back after expire-brokerage", func(st Status) bool {
		return st.Session.State == session.Authenticated && st.Session.LastLogin.After(sso.Session.LastLogin)
	})
	t.Logf("expire-brokerage recovered in %s", time.Since(t0).Round(time.Millisecond))
	if reauth.Session.LastLoginMethod != "reauthenticate" || watch.count() != 3 {
		t.Errorf("after expire-brokerage: method %q, %d browser logins; want reauthenticate and no new login", reauth.Session.LastLoginMethod, watch.count())
	}

	if code, _ := ctl(t, r, "POST", "/logout"); code != http.StatusAccepted {
		t.Errorf("POST /logout = %d", code)
	}
	// Issue 8, defect 3: a logout is LoggedOut (was NotAuthenticated), and
	// nothing needs the user.
	out := waitStatus(t, r, "logged out", func(st Status) bool { return st.Session.State == session.LoggedOut })
	if out.Session.NeedsYou || out.Session.Cause != session.CauseLoggedOut || !out.Session.Offers.Login {
		t.Errorf("after logout: needsYou %v, cause %q, offers %+v", out.Session.NeedsYou, out.Session.Cause, out.Session.Offers)
	}
	if code, body := get(t, r, "GET", "/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "LoggedOut") {
		t.Errorf("/readyz = %d %q after logout", code, body)
	}
	_, statusJSON := ctl(t, r, "GET", "/status")
	if simState(t, inj.SimURL).Session != nil {
		t.Errorf("the simulator still has a session after logout (last error %q)", r.Status().Session.LastError)
	}

	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	for _, pid := range gatewayPIDs {
		if alive(pid) {
			t.Errorf("gateway process %d is alive after Run returned: %s", pid, procState(pid))
		}
	}
	// The simulator's files, read before cleanup removes them. sim.json is
	// where the secrets are meant to be: 0600, in a folder that goes.
	if fi, err := os.Stat(filepath.Join(dist, "root", "sim.json")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("root/sim.json: %v, %v; want mode 0600", fi, err)
	}
	distFiles := readTree(t, dist, filepath.Join(dist, "root", "sim.json"))
	cleanup()
	if _, err := os.Stat(dist); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the demo folder %s is still there after cleanup (%v)", dist, err)
	}

	watch.mu.Lock()
	var browserProcs strings.Builder
	for _, text := range watch.browser {
		browserProcs.WriteString(text + "\n")
	}
	steps := slices.Clone(watch.steps)
	watch.mu.Unlock()
	if browserProcs.Len() == 0 || len(steps) != 2 {
		t.Fatalf("caught %d browser processes and %d TOTP steps; want some and 2", len(watch.browser), len(steps))
	}
	places := map[string]string{
		"the log":                 logs.String(),
		"GET /status":             statusJSON,
		"the gateway's processes": gatewayProcs.String(),
		"the browser's processes": browserProcs.String(),
	}
	for name, text := range distFiles {
		places["the demo gateway's "+name] = text
	}
	for _, dir := range []string{home, tmp} {
		for name, text := range readTree(t, dir, "") {
			places[name] = text
		}
	}
	for _, want := range []string{"gateway.log", "session-state.json"} {
		if _, ok := places[filepath.Join(os.Getenv("XDG_STATE_HOME"), "ibkr-tray", DemoProfile, want)]; !ok {
			t.Errorf("the demo wrote no %s to search", want)
		}
	}
	secrets := map[string]*regexp.Regexp{
		"the password":    regexp.MustCompile(regexp.QuoteMeta(password)),
		"the TOTP secret": regexp.MustCompile("(?i)" + regexp.QuoteMeta(secret)),
	}
	for _, step := range steps {
		code, _, _, err := login.Code(secret, time.Unix(step*30, 0))
		if err != nil {
			t.Fatal(err)
		}
		secrets[fmt.Sprintf("the TOTP code of step %d", step)] = regexp.MustCompile(`(^|\D)` + code + `(\D|$)`)
	}
	for what, re := range secrets {
		for where, text := range places {
			if re.MatchString(text) {
				t.Errorf("%s appears in %s", what, where)
			}
		}
	}
	t.Logf("searched %d places for %d secrets; whole test %s", len(places), len(secrets), time.Since(start).Round(time.Millisecond))
}

// readTree reads every regular file under dir except skip.
func readTree(t *testing.T, dir, skip string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() || path == skip {
			return nil
		}
		b, err := os.ReadFile(path)
		if err == nil {
			files[path] = string(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// simState reads the simulator's GET /sim/state.
func simState(t *testing.T, simURL string) sim.State {
	t.Helper()
	resp, err := simClient.Get(simURL + "/sim/state")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st sim.State
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	return st
}
