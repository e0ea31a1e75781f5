//go:build unix

package cli

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ibkr-tray/ibkr-tray/gateway"
	"github.com/ibkr-tray/ibkr-tray/gateway/sim"
	"github.com/ibkr-tray/ibkr-tray/gateway/sim/simtest"
	"github.com/ibkr-tray/ibkr-tray/session"
	"github.com/ibkr-tray/ibkr-tray/ui/config"
	"github.com/ibkr-tray/ibkr-tray/ui/desktoptest"
	"github.com/ibkr-tray/ibkr-tray/ui/runner"
)

// appEnv, set to "headless", makes the test binary run `ibkr-tray
// headless` with its arguments (TestMain). Not simtest.ChildEnv: run.sh
// inherits the app's environment and must still start the simulator.
const appEnv = "IBKR_TRAY_TEST_APP"

// slowStopEnv, set to "1" with appEnv, makes the gateway take 10 minutes
// to stop after SIGTERM (the simulator's term delay and the stop wait).
const slowStopEnv = "IBKR_TRAY_TEST_SLOW_STOP"

// TestMain lets run.sh start this test binary as the simulator, and the
// signal tests start it as `ibkr-tray headless` (appEnv).
func TestMain(m *testing.M) {
	simtest.RunChild()
	if os.Getenv(appEnv) == "headless" {
		// The gateway's run.sh starts this binary again, as the simulator.
		testGateway = func(c *gateway.Config) { c.Env = append(c.Env, simtest.ChildEnvVar) }
		if os.Getenv(slowStopEnv) == "1" {
			// The demo gateway takes far longer to stop than any test waits,
			// so a second signal surely comes while it stops.
			testSim = func(o *sim.Options) { o.TermDelay = 10 * time.Minute }
			testGateway = func(c *gateway.Config) {
				c.Env = append(c.Env, simtest.ChildEnvVar)
				c.StopWait = 10 * time.Minute
			}
		}
		os.Exit(Headless(os.Args[1:]))
	}
	os.Exit(m.Run())
}

// headlessEnv gives the test its own settings, state and runtime folders,
// and makes the simulator's run.sh start this binary as the simulator.
func headlessEnv(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	t.Setenv("XDG_RUNTIME_DIR", shortDir(t)) // the control socket's path is short
	t.Setenv(simtest.ChildEnv, "sim")
	// No Secret Service: the keyring answers at once that there is none.
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "disabled:")
}

// browserLoginEnv is headlessEnv for tests whose keeper logs in with
// Chromium: a short TMPDIR (Chromium's socket path), quick checks, a TOTP
// clock that never waits, and no user's browser.
func browserLoginEnv(t *testing.T) {
	t.Helper()
	desktoptest.RequireTools(t, "chromium")
	headlessEnv(t)
	tmp, err := os.MkdirTemp("", "ibt")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(tmp) })
	t.Setenv("TMPDIR", tmp)
	clock := &simtest.StepClock{}
	testKeeper = func(k *session.KeeperOptions) {
		k.TickleInterval = 1500 * time.Millisecond
		k.StatusPoll = 300 * time.Millisecond // the simulator allows 10 requests a second in all
		k.LoginAttempt.Now, k.LoginAttempt.Sleep = clock.Now, clock.Sleep
		k.OpenBrowser = func(string) error { return errors.New("no browser in tests") }
	}
	t.Cleanup(func() { testKeeper = nil })
}

// simDist writes a simulator distribution on a free port.
func simDist(t *testing.T) (dir string, port int) {
	t.Helper()
	o := sim.DefaultOptions()
	o.TermDelay = 0
	return simtest.FreeDist(t, o)
}

// inProcess is `headless` run in this process by a test.
type inProcess struct {
	t      *testing.T
	r      *runner.Runner
	log    *desktoptest.Buffer
	cancel context.CancelFunc
	exit   chan int
}

// startHeadless runs headless with args and returns once its runner is up.
func startHeadless(t *testing.T, args ...string) *inProcess {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	h := &inProcess{t: t, log: &desktoptest.Buffer{}, cancel: cancel, exit: make(chan int, 1)}
	started := make(chan *runner.Runner, 1)
	go func() {
		h.exit <- headless(ctx, args, h.log, func(r *runner.Runner) { started <- r })
	}()
	select {
	case h.r = <-started:
	case code := <-h.exit:
		t.Fatalf("headless %v exited %d: %s", args, code, h.log.String())
	case <-time.After(20 * time.Second):
		t.Fatalf("headless %v did not start within 20s", args)
	}
	return h
}

// stop cancels headless and wants it to exit 0 within 30 s.
func (h *inProcess) stop() {
	h.t.Helper()
	h.cancel()
	select {
	case code := <-h.exit:
		if code != 0 {
			h.t.Errorf("exit status %d, want 0", code)
		}
	case <-time.After(30 * time.Second):
		h.t.Fatal("headless did not stop within 30s")
	}
}

// poll calls f every 20ms until it reports true, failing after d.
func poll(t *testing.T, d time.Duration, what string, f func() bool) {
	t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for deadline := time.Now().Add(d); !f(); <-tick.C {
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s", d, what)
		}
	}
}

func httpGet(url string) (int, []byte) {
	c := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Get(url)
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	return resp.StatusCode, b.Bytes()
}

func TestHeadlessStopsTheGatewayOnSIGTERM(t *testing.T) {
	headlessEnv(t)
	dir, port := simDist(t)
	statusPort, _ := sim.FreePort()
	base := "http://127.0.0.1:" + strconv.Itoa(statusPort)
	exit := make(chan int, 1)
	go func() {
		exit <- Headless([]string{"--gateway-dir", dir, "--status-addr", "127.0.0.1:" + strconv.Itoa(statusPort)})
	}()
	var st runner.Status
	var public runner.PublicStatus
	poll(t, 20*time.Second, "the gateway Running", func() bool {
		_, body := httpGet(base + "/status")
		return json.Unmarshal(body, &public) == nil && public.Gateway.State == gateway.Running
	})
	// The details come over the profile's control socket.
	paths, err := config.PathsFor(config.DefaultProfile)
	if err != nil {
		t.Fatal(err)
	}
	if st, err = (&remote{socket: paths.ControlSocket, http: runner.ControlClient(paths.ControlSocket, 5*time.Second)}).status(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st.Gateway.State != gateway.Running || st.Gateway.Port != port || st.Gateway.PID == 0 {
		t.Fatalf("/status gateway = %+v", st.Gateway)
	}
	// Headless has registered for SIGTERM before its endpoint answered.
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-exit:
		if code != 0 {
			t.Errorf("exit status %d after SIGTERM, want 0", code)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("headless did not stop within 30s of SIGTERM")
	}
	if err := syscall.Kill(st.Gateway.PID, 0); err == nil {
		t.Errorf("the gateway's run.sh %d is still alive", st.Gateway.PID)
	}
	if code, _ := httpGet("https://127.0.0.1:" + strconv.Itoa(port) + "/"); code != 0 {
		t.Errorf("the gateway still answers %d after headless stopped", code)
	}
}

func TestHeadlessLogsStateChangesAndRefusesASecondCopy(t *testing.T) {
	headlessEnv(t)
	dir, _ := simDist(t)
	h := startHeadless(t, "--gateway-dir", dir, "--status-addr", "127.0.0.1:0")
	r := h.r
	poll(t, 20*time.Second, "the gateway Running and the keeper's verdict", func() bool {
		st := r.Status()
		return st.Gateway.State == gateway.Running && st.Session.State == session.NeedsManualLogin
	})
	// No credentials can be read (no keyring here): not ready.
	if code, body := httpGet("http://" + r.Addr() + "/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(string(body), "NeedsManualLogin") {
		t.Errorf("/readyz = %d %s with no session", code, body)
	}
	// The commands find the app by its profile alone, as a user runs them.
	var said bytes.Buffer
	stdout = &said
	t.Cleanup(func() { stdout = os.Stdout })
	if code := Status(nil); code != exitNotAuthenticated {
		t.Errorf("status exit %d with no session, want %d", code, exitNotAuthenticated)
	}
	if code := Logout(nil); code != 0 || !strings.Contains(said.String(), "Logged out.") {
		t.Errorf("logout exit %d, said %q", code, said.String())
	}
	poll(t, 10*time.Second, "logged out", func() bool { return r.Status().Session.State != session.NeedsManualLogin })
	if code, body := httpGet("http://" + r.Addr() + "/logout"); code != http.StatusNotFound && code != http.StatusMethodNotAllowed {
		t.Errorf("GET /logout over TCP = %d %s", code, body)
	}

	var second desktoptest.Buffer
	code := headless(context.Background(), []string{"--gateway-dir", dir, "--status-addr", "127.0.0.1:0"}, &second, nil)
	want := "ibkr-tray is already running for profile default (pid " + strconv.Itoa(os.Getpid()) + "); quit it first or use --profile"
	if code != 1 || !strings.Contains(second.String(), want) {
		t.Errorf("second copy: exit %d, said %q; want 1 and %q", code, second.String(), want)
	}

	h.stop()
	out := h.log.String()
	for _, want := range []string{"msg=status gateway=Starting", "msg=status gateway=Running", "msg=status session=NeedsManualLogin reason=", "msg=\"ibkr-tray headless stopped\""} {
		if !strings.Contains(out, want) {
			t.Errorf("the log lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "msg=status gateway=Running"); n != 1 {
		t.Errorf("Running logged %d times, want once per change", n)
	}
	if _, err := os.Stat(filepath.Join(os.Getenv("XDG_STATE_HOME"), "ibkr-tray", "default", "gateway.log")); err != nil {
		t.Errorf("no gateway log in the state folder: %v", err)
	}
}

func TestHeadlessExplainsConfigProblems(t *testing.T) {
	headlessEnv(t)
	noRunSh := t.TempDir()
	os.MkdirAll(filepath.Join(noRunSh, "root"), 0o755)
	os.WriteFile(filepath.Join(noRunSh, "root", "conf.yaml"), []byte("listenPort: 5000\n"), 0o644)
	dir, _ := simDist(t)
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"help", []string{"-h"}, 0, "Usage: ibkr-tray headless"},
		{"unknown flag", []string{"--nope"}, 2, "flag provided but not defined"},
		{"no gateway folder", nil, 1, "no gateway folder is configured; pass --gateway-dir DIR"},
		{"folder without run.sh", []string{"--gateway-dir", noRunSh}, 1, "has no bin/run.sh"},
		{"status endpoint off loopback", []string{"--gateway-dir", dir, "--status-addr", "0.0.0.0:5480"}, 1, "not on loopback"},
		{"port out of range", []string{"--gateway-dir", dir, "--port", "70000"}, 1, "not a TCP port"},
		{"demo with a gateway folder", []string{"--demo", "--gateway-dir", dir}, 2, "--demo runs the built-in simulator; it takes no --gateway-dir or --port"},
		{"demo status endpoint off loopback", []string{"--demo", "--status-addr", "0.0.0.0:5481"}, 1, "not on loopback"},
	}
	// An unknown key is reported by name and file, before the other checks.
	settings := filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "ibkr-tray", "config.json")
	os.MkdirAll(filepath.Dir(settings), 0o700)
	if err := os.WriteFile(settings, []byte(`{"gatewayDirectory": "/opt/gw"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests = append(tests, struct {
		name string
		args []string
		code int
		want string
	}{"an unknown settings key", nil, 1, `The settings file ` + settings + ` has a setting ibkr-tray does not know, "gatewayDirectory"`})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out desktoptest.Buffer
			code := headless(context.Background(), tt.args, &out, nil)
			if code != tt.code || !strings.Contains(out.String(), tt.want) {
				t.Errorf("exit %d, said %q; want %d and %q", code, out.String(), tt.code, tt.want)
			}
		})
	}
}
