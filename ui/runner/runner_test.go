//go:build unix

package runner

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"github.com/ibkr-tray/ibkr-tray/gateway/sim/simtest"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ibkr-tray/ibkr-tray/gateway"
	"github.com/ibkr-tray/ibkr-tray/gateway/sim"
	"github.com/ibkr-tray/ibkr-tray/session"
	"github.com/ibkr-tray/ibkr-tray/session/login"
	"github.com/ibkr-tray/ibkr-tray/session/secrets"
	"github.com/ibkr-tray/ibkr-tray/ui/config"
)

// TestMain lets run.sh start this test binary as the simulator.
func TestMain(m *testing.M) {
	dialChild()
	simtest.RunChild()
	os.Exit(m.Run())
}

func TestStatusAddrMustBeLoopback(t *testing.T) {
	tests := []struct {
		addr, want, err string
	}{
		{"", config.DefaultStatusAddr, ""},
		{"127.0.0.1:5480", "127.0.0.1:5480", ""},
		{"[::1]:6000", "[::1]:6000", ""},
		{"localhost:6000", "localhost:6000", ""},
		{"0.0.0.0:5480", "", "not on loopback"},
		{"192.168.1.5:5480", "", "not on loopback"},
		{":5480", "", "not on loopback"},
		{"127.0.0.1:5000", "", "which gateways use"},
		{"127.0.0.1", "", "not host:port"},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			got, err := CheckStatusAddr(tt.addr)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Errorf("CheckStatusAddr(%q) = %q, %v; want an error saying %q", tt.addr, got, err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("CheckStatusAddr(%q) = %q, %v", tt.addr, got, err)
			}
		})
	}
}

func TestSecondInstanceIsRefused(t *testing.T) {
	path := t.TempDir() + "/run/ibkr-tray/work.lock"
	first, err := Lock(path, "work")
	if err != nil {
		t.Fatal(err)
	}
	_, err = Lock(path, "work")
	want := "ibkr-tray is already running for profile work (pid " + strconv.Itoa(os.Getpid()) + "); quit it first or use --profile"
	if err == nil || err.Error() != want {
		t.Fatalf("second Lock: %v\nwant: %s", err, want)
	}
	if err := first.Release(); err != nil {
		t.Fatal(err)
	}
	again, err := Lock(path, "work")
	if err != nil {
		t.Fatalf("Lock after Release: %v", err)
	}
	again.Release()
}

// simRunner makes a runner of a simulator distribution with a status
// endpoint on a random loopback port. With sess nil it runs a real keeper
// with no stored credentials that never opens a browser.
func simRunner(t *testing.T, sess Session, adjust ...func(*Options)) *Runner {
	t.Helper()
	o := sim.DefaultOptions()
	o.TermDelay = 0
	return simRunnerOf(t, o, sess, adjust...)
}

// simRunnerOf is simRunner with the simulator's options.
func simRunnerOf(t *testing.T, o sim.Options, sess Session, adjust ...func(*Options)) *Runner {
	t.Helper()
	dir, _ := simtest.FreeDist(t, o)
	c := config.Default()
	c.GatewayDir = dir
	c.StatusAddr = "127.0.0.1:0"
	opts := Options{
		Config:      c,
		Paths:       config.Paths{Profile: "test", StateDir: t.TempDir(), ControlSocket: filepath.Join(shortDir(t), "ibkr-tray", "test.sock")},
		Logger:      slog.New(slog.NewTextHandler(io.Discard, nil)),
		Session:     sess,
		Credentials: secrets.Memory(secrets.Credentials{}),
		Gateway: func(g *gateway.Config) {
			g.Env = []string{simtest.ChildEnvVar}
			g.HealthInterval = 100 * time.Millisecond
		},
		Keeper: func(k *session.KeeperOptions) {
			k.TickleInterval = 1500 * time.Millisecond
			k.OpenBrowser = func(string) error { return errors.New("no browser in tests") }
		},
	}
	for _, f := range adjust {
		f(&opts)
	}
	r, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// shortDir is a fresh folder with a short path, as /run/user/UID is: a
// unix socket's path must stay under 104 bytes, and t.TempDir's names the
// test.
func shortDir(t *testing.T) string {
	t.Helper()
	d, err := os.MkdirTemp("", "ibt")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

// run runs r until the test ends (or stop is called) and returns stop.
func run(t *testing.T, r *Runner) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-done:
			case <-time.After(30 * time.Second):
				t.Fatal("Run did not return within 30s")
			}
		})
		return err
	}
	t.Cleanup(func() { stop() })
	select {
	case <-r.Listening():
	case err := <-done:
		once.Do(func() { cancel() }) // Run is over: stop has nothing to wait for
		t.Fatalf("Run: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("the status endpoint did not listen within 10s")
	}
	return stop
}

// get sends a request to the loopback TCP address (anyone's door).
func get(t *testing.T, r *Runner, method, path string, header ...string) (int, string) {
	t.Helper()
	return send(t, http.DefaultClient, "http://"+r.Addr(), method, path, header...)
}

// ctl sends a request over the control socket (the user's door).
func ctl(t *testing.T, r *Runner, method, path string, header ...string) (int, string) {
	t.Helper()
	return send(t, ControlClient(r.ControlSocket(), 10*time.Second), ControlURL, method, path, header...)
}

func send(t *testing.T, c *http.Client, base, method, path string, header ...string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, base+path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		if header[i] == "Host" {
			req.Host = header[i+1]
		} else {
			req.Header.Set(header[i], header[i+1])
		}
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// waitStatus waits until the runner's status satisfies ok.
func waitStatus(t *testing.T, r *Runner, what string, ok func(Status) bool) Status {
	t.Helper()
	ch, unsub := r.Subscribe()
	defer unsub()
	deadline := time.After(20 * time.Second)
	for {
		select {
		case <-ch:
			if st := r.Status(); ok(st) {
				return st
			}
		case <-deadline:
			t.Fatalf("waited 20s for %s; status %+v", what, r.Status())
		}
	}
}

func TestRunnerServesTheGatewayStatusAndStopsIt(t *testing.T) {
	r := simRunner(t, nil)
	stop := run(t, r)
	if code, _ := get(t, r, "GET", "/livez"); code != http.StatusOK {
		t.Errorf("/livez = %d", code)
	}
	first := waitStatus(t, r, "gateway Running, keeper asking for a login", func(st Status) bool {
		return st.Gateway.State == gateway.Running && st.Session.State == session.NeedsManualLogin
	})
	if code, body := get(t, r, "GET", "/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "the session is NeedsManualLogin") {
		t.Errorf("/readyz = %d %s with the gateway running and no session", code, body)
	}
	code, body := ctl(t, r, "GET", "/status")
	var st Status
	if err := json.Unmarshal([]byte(body), &st); err != nil || code != http.StatusOK {
		t.Fatalf("/status = %d %s (%v)", code, body, err)
	}
	if st.Gateway.State != gateway.Running || st.Gateway.PID != first.Gateway.PID || !strings.Contains(body, `"state": "Running"`) || !strings.Contains(body, `"state": "NeedsManualLogin"`) {
		t.Errorf("/status = %s", body)
	}

	tests := []struct {
		name   string
		method string
		path   string
		header []string
		want   int
	}{
		{"a web page's POST is refused", "POST", "/restart", []string{"Origin", "https://evil.example"}, http.StatusForbidden},
		{"a rebound host name is refused", "GET", "/status", []string{"Host", "evil.example:5480"}, http.StatusForbidden},
		{"a web page's login is refused", "POST", "/login", []string{"Origin", "null"}, http.StatusForbidden},
		{"GET /restart is not a command", "GET", "/restart", nil, http.StatusMethodNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if code, body := ctl(t, r, tt.method, tt.path, tt.header...); code != tt.want {
				t.Errorf("%s %s = %d %s, want %d", tt.method, tt.path, code, body, tt.want)
			}
			if code, body := get(t, r, tt.method, tt.path, tt.header...); code != tt.want && code != http.StatusNotFound {
				t.Errorf("over TCP: %s %s = %d %s, want %d or 404", tt.method, tt.path, code, body, tt.want)
			}
		})
	}
	if s := r.Status(); s.Gateway.PID != first.Gateway.PID {
		t.Fatalf("a refused request restarted the gateway")
	}

	if code, _ := ctl(t, r, "POST", "/restart"); code != http.StatusAccepted {
		t.Errorf("POST /restart = %d", code)
	}
	second := waitStatus(t, r, "a new gateway", func(st Status) bool {
		return st.Gateway.State == gateway.Running && st.Gateway.PID != first.Gateway.PID
	})
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if err := syscall.Kill(second.Gateway.PID, 0); err == nil {
		t.Errorf("run.sh %d is still alive after Run returned", second.Gateway.PID)
	}
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	if resp, err := client.Get("https://127.0.0.1:" + strconv.Itoa(second.Gateway.Port) + "/"); err == nil {
		resp.Body.Close()
		t.Errorf("the gateway still answers after Run returned")
	}
}

// fakeKeeper is a Session whose state the test sets.
type fakeKeeper struct {
	mu       sync.Mutex
	state    session.State
	ready    time.Time // ReadyUntil
	facts    []session.GatewayFacts
	commands []string // the newer commands, by name
	ch       chan struct{}
	checks   atomic.Int32
	logins   atomic.Int32
	ran      atomic.Bool
	finished atomic.Bool
	// settings are the Reconfigure calls, in order.
	settings []session.Settings
}

func (k *fakeKeeper) Run(ctx context.Context) error {
	k.ran.Store(true)
	<-ctx.Done()
	k.finished.Store(true)
	return ctx.Err()
}

func (k *fakeKeeper) Status() session.Status {
	k.mu.Lock()
	defer k.mu.Unlock()
	return session.Status{State: k.state, ReadyUntil: k.ready}
}

// set moves to s; an authenticated session is confirmed for a minute.
func (k *fakeKeeper) set(s session.State) {
	k.mu.Lock()
	k.state = s
	k.ready = time.Time{}
	if s == session.Authenticated {
		k.ready = time.Now().Add(time.Minute)
	}
	k.mu.Unlock()
	select {
	case k.ch <- struct{}{}:
	default:
	}
}

func (k *fakeKeeper) Subscribe() (<-chan struct{}, func()) { return k.ch, func() {} }
func (k *fakeKeeper) Login()                               { k.logins.Add(1) }
func (k *fakeKeeper) Logout()                              {}
func (k *fakeKeeper) SelectAccount(string)                 {}
func (k *fakeKeeper) CheckNow()                            { k.checks.Add(1) }
func (k *fakeKeeper) ResetLoginCap()                       {}
func (k *fakeKeeper) RetryLogin()                          { k.record("retry") }
func (k *fakeKeeper) LoginInBrowser()                      { k.record("login-browser") }
func (k *fakeKeeper) CancelLogin()                         { k.record("cancel-login") }
func (k *fakeKeeper) CredentialsChanged()                  { k.record("credentials-changed") }
func (k *fakeKeeper) Reconfigure(s session.Settings) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.settings = append(k.settings, s)
}

func (k *fakeKeeper) GatewayChanged(f session.GatewayFacts) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.facts = append(k.facts, f)
}

func (k *fakeKeeper) record(name string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.commands = append(k.commands, name)
}

// stale makes the last good check of an authenticated session too old.
func (k *fakeKeeper) stale() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.ready = time.Now().Add(-time.Second)
}

func TestReadyzWaitsForTheSessionWhenAKeeperRuns(t *testing.T) {
	k := &fakeKeeper{state: session.NotAuthenticated, ch: make(chan struct{}, 1)}
	r := simRunner(t, k)
	run(t, r)
	waitStatus(t, r, "gateway Running", func(st Status) bool { return st.Gateway.State == gateway.Running })
	if code, body := get(t, r, "GET", "/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "NotAuthenticated") {
		t.Errorf("/readyz = %d %q with the session not authenticated", code, body)
	}
	// The relay tells the keeper as it sees the change; wait for it.
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for deadline := time.Now().Add(10 * time.Second); k.checks.Load() < 1; <-tick.C {
		if time.Now().After(deadline) {
			t.Fatal("the keeper was not told that the gateway came up")
		}
	}
	if code, _ := ctl(t, r, "POST", "/login"); code != http.StatusAccepted || k.logins.Load() != 1 {
		t.Errorf("POST /login = %d, logins %d", code, k.logins.Load())
	}
	k.set(session.Authenticated)
	waitStatus(t, r, "session Authenticated", func(st Status) bool { return st.Session.State == session.Authenticated })
	if code, body := get(t, r, "GET", "/readyz"); code != http.StatusOK {
		t.Errorf("/readyz = %d %q with the session authenticated", code, body)
	}
	// Issue 8, defect 4: still Authenticated, but no good check for too
	// long (IBKR answering 503): not ready.
	k.stale()
	if code, body := get(t, r, "GET", "/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "not been confirmed") {
		t.Errorf("/readyz = %d %q with the last good check too old", code, body)
	}
	if !k.ran.Load() {
		t.Errorf("the keeper was not run")
	}
}

// TestControlRoutesReachTheKeeper: the issue-8 commands have routes beside
// /login, and the keeper hears every change of the supervisor.
func TestControlRoutesReachTheKeeper(t *testing.T) {
	k := &fakeKeeper{state: session.NotAuthenticated, ch: make(chan struct{}, 1)}
	r := simRunner(t, k)
	run(t, r)
	waitStatus(t, r, "gateway Running", func(st Status) bool { return st.Gateway.State == gateway.Running })
	want := []string{"retry", "login-browser", "cancel-login", "credentials-changed"}
	for _, path := range want {
		if code, _ := ctl(t, r, "POST", "/"+path); code != http.StatusAccepted {
			t.Errorf("POST /%s = %d", path, code)
		}
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if !slices.Equal(k.commands, want) {
		t.Errorf("the keeper got %v, want %v", k.commands, want)
	}
	if len(k.facts) < 2 || !k.facts[0].Starting || !k.facts[len(k.facts)-1].Up || k.facts[len(k.facts)-1].BaseURL == "" {
		t.Errorf("gateway facts passed on: %+v; want starting first, up with its URL last", k.facts)
	}
}

func TestGatewayFactsNeverContradictTheSupervisor(t *testing.T) {
	cases := []struct {
		st   gateway.Status
		want session.GatewayFacts
	}{
		{gateway.Status{State: gateway.Stopped}, session.GatewayFacts{Starting: true}},
		{gateway.Status{State: gateway.Starting, URL: "https://localhost:5000"}, session.GatewayFacts{Starting: true, BaseURL: "https://localhost:5000"}},
		{gateway.Status{State: gateway.Restarting}, session.GatewayFacts{Starting: true}},
		{gateway.Status{State: gateway.Running, URL: "https://localhost:5001"}, session.GatewayFacts{Up: true, BaseURL: "https://localhost:5001"}},
		{gateway.Status{State: gateway.Failed, Reason: "port 5000 is in use by another program"}, session.GatewayFacts{Problem: "port 5000 is in use by another program"}},
		{gateway.Status{State: gateway.Stopped, Reason: "the app stopped supervising the gateway"}, session.GatewayFacts{Problem: "the app stopped supervising the gateway"}},
		{gateway.Status{State: gateway.Unresponsive}, session.GatewayFacts{}},
	}
	for _, tc := range cases {
		if got := GatewayFacts(tc.st); got != tc.want {
			t.Errorf("%v %q: %+v, want %+v", tc.st.State, tc.st.Reason, got, tc.want)
		}
	}
}

// TestSessionIsGatewayDownAsSoonAsTheGatewayDies: the keeper checks at
// once when the supervisor loses the gateway, not at its next tickle (30 s
// away here), so the session never shows a stale state while the
// gateway waits out its restart back-off.
func TestSessionIsGatewayDownAsSoonAsTheGatewayDies(t *testing.T) {
	r := simRunner(t, nil, func(o *Options) {
		gw := o.Gateway
		o.Gateway = func(g *gateway.Config) {
			gw(g)
			g.Backoff = gateway.Backoff{Min: 3 * time.Second, Max: 3 * time.Second}
		}
		kp := o.Keeper
		o.Keeper = func(k *session.KeeperOptions) {
			kp(k)
			k.TickleInterval = 30 * time.Second
		}
	})
	run(t, r)
	first := waitStatus(t, r, "gateway Running, keeper asking for a login", func(st Status) bool {
		return st.Gateway.State == gateway.Running && st.Session.State == session.NeedsManualLogin
	})
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	resp, err := client.Post("https://127.0.0.1:"+strconv.Itoa(first.Gateway.Port)+"/sim/crash", "", nil)
	if err == nil {
		resp.Body.Close()
	}
	// Issue 8: while the supervisor restarts it, the session says the
	// gateway is starting (it said "not running ... start it").
	down := waitStatus(t, r, "session waiting for the gateway", func(st Status) bool { return st.Session.Cause == session.CauseStarting })
	if down.Gateway.State != gateway.Restarting && down.Gateway.State != gateway.Starting {
		t.Errorf("the session said %q with the gateway %s; want it seen during the 3s back-off", down.Session.Reason, down.Gateway.State)
	}
	if down.Session.State != session.Connecting || strings.Contains(down.Session.Reason, "start it") {
		t.Errorf("while the gateway restarts: %v %q", down.Session.State, down.Session.Reason)
	}
	waitStatus(t, r, "a new gateway and the keeper asking for a login again", func(st Status) bool {
		return st.Gateway.State == gateway.Running && st.Gateway.PID != first.Gateway.PID && st.Session.State == session.NeedsManualLogin
	})
}

// TestStartDemoRunsUntilCanceledAndLeavesNothing: the tray's entry to the
// demo. The browser login is left out (a stub refuses): this is about the
// lifecycle, the folder and the lock.
func TestStartDemoRunsUntilCanceledAndLeavesNothing(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	t.Setenv("XDG_RUNTIME_DIR", shortDir(t))
	opts := DemoOptions{
		StatusAddr: "127.0.0.1:0",
		FaultEvery: -1,
		Browser:    "/nonexistent/chromium",
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
		Gateway:    func(g *gateway.Config) { g.Env = []string{simtest.ChildEnvVar} },
		Keeper: func(k *session.KeeperOptions) {
			k.BrowserLogin = func(context.Context, login.Attempt) (login.Result, error) {
				return login.Result{}, &login.Error{Kind: login.NoBrowser}
			}
		},
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r, done, err := StartDemo(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	st := waitStatus(t, r, "the demo gateway Running", func(st Status) bool { return st.Gateway.State == gateway.Running })
	if !st.Demo || !st.Gateway.Simulator {
		t.Errorf("status: demo %v, simulator %v", st.Demo, st.Gateway.Simulator)
	}
	if _, _, err := NewDemo(opts); err == nil || !strings.Contains(err.Error(), "already running for profile demo") {
		t.Errorf("a second demo: %v; want refused by the lock", err)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the demo did not stop within 30s of cancel")
	}
	if _, err := os.Stat(st.Gateway.Dir); !os.IsNotExist(err) {
		t.Errorf("the demo folder %s is still there (%v)", st.Gateway.Dir, err)
	}
	if alive := syscall.Kill(st.Gateway.PID, 0) == nil; alive {
		t.Errorf("run.sh %d is alive after done", st.Gateway.PID)
	}
	again, cleanup, err := NewDemo(opts)
	if err != nil {
		t.Fatalf("a demo after the first stopped: %v", err)
	}
	cleanup()
	if _, err := os.Stat(again.Supervisor().Status().Dir); !os.IsNotExist(err) {
		t.Errorf("cleanup without Run left the folder (%v)", err)
	}
}

func TestStartReturnsWhyTheEndpointCannotListen(t *testing.T) {
	first := simRunner(t, &fakeKeeper{ch: make(chan struct{}, 1)})
	run(t, first)
	second := simRunner(t, &fakeKeeper{ch: make(chan struct{}, 1)}, func(o *Options) { o.Config.StatusAddr = first.Addr() })
	err := second.Start(context.Background())
	if err == nil || !strings.Contains(err.Error(), "the status endpoint cannot listen on "+first.Addr()) {
		t.Fatalf("Start on a taken address: %v", err)
	}
	select {
	case <-second.Done():
	default:
		t.Error("Done is not closed after Start failed")
	}
}
