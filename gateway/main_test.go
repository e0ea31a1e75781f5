//go:build unix

package gateway

import (
	"context"
	"fmt"
	"github.com/ibkr-tray/ibkr-tray/gateway/sim/simtest"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ibkr-tray/ibkr-tray/gateway/sim"
)

// childEnv selects what the test binary does when run.sh starts it.
const childEnv = simtest.ChildEnv

// TestMain lets the test binary play the gateway: run.sh runs it with
// IBKR_TRAY_TEST_CHILD set (run.sh inherits the supervisor's environment).
//
//	sim:  the simulator, as `ibkr-tray sim --conf root/conf.yaml`
//	fake: a small fake gateway whose misbehaviour FAKE_* variables choose
func TestMain(m *testing.M) {
	simtest.RunChild()
	switch os.Getenv(childEnv) {
	case "fake":
		os.Exit(fakeGateway(os.Args[len(os.Args)-1]))
	}
	if os.Getenv(appEnv) == "supervise" {
		os.Exit(superviseChild())
	}
	os.Exit(m.Run())
}

// fakeGateway answers GET / with the gateway's redirect on the conf's port.
//
//	FAKE_PIDFILE=path     write its pid there first
//	FAKE_CRASH_AFTER=dur  exit with status 3 after dur (0: before listening)
//	FAKE_NEVER_READY=1    never listen
//	FAKE_IGNORE_TERM=1    ignore SIGTERM
//	FAKE_HANG_AFTER=dur   after dur, GET / is never answered
func fakeGateway(conf string) int {
	if p := os.Getenv("FAKE_PIDFILE"); p != "" {
		if err := os.WriteFile(p, []byte(strconv.Itoa(os.Getpid())), 0o600); err != nil {
			fmt.Fprintln(os.Stderr, "fake:", err)
			return 1
		}
	}
	if os.Getenv("FAKE_IGNORE_TERM") == "1" {
		signal.Ignore(syscall.SIGTERM)
	}
	fmt.Println("fake gateway starting with", conf)
	fmt.Fprintln(os.Stderr, "fake gateway: a line on stderr")
	if d, err := time.ParseDuration(os.Getenv("FAKE_CRASH_AFTER")); err == nil {
		time.AfterFunc(d, func() {
			fmt.Println("fake gateway crashing")
			os.Exit(3)
		})
	}
	if os.Getenv("FAKE_NEVER_READY") == "1" {
		time.Sleep(time.Hour) // the fake's behaviour: alive, never listening
		return 0
	}
	b, err := os.ReadFile(conf)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fake:", err)
		return 1
	}
	port, _, err := parseConf(b)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fake:", err)
		return 1
	}
	hangAt := time.Now().Add(time.Hour)
	if d, err := time.ParseDuration(os.Getenv("FAKE_HANG_AFTER")); err == nil {
		hangAt = time.Now().Add(d)
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if time.Now().After(hangAt) {
			<-r.Context().Done() // hung: never answers
			return
		}
		http.Redirect(w, r, "/sso/Login?forwardTo=22&RL=1&ip2loc=US", http.StatusFound)
	})
	fmt.Printf("Open http://localhost:%d to login\n", port)
	err = http.ListenAndServe("127.0.0.1:"+strconv.Itoa(port), h)
	fmt.Fprintln(os.Stderr, "fake:", err)
	return 1
}

// freePort is a loopback port nobody listens on just now.
func freePort(t testing.TB) int {
	t.Helper()
	p, err := sim.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// writeFakeDist writes a distribution whose run.sh runs the fake gateway
// as a child of bash (like the real run.sh, which does not exec java).
func writeFakeDist(t testing.TB, port int) string {
	t.Helper()
	dir := t.TempDir()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"bin/run.sh": "#!/bin/bash\ncd \"$(dirname \"$0\")/..\" || exit 1\necho \"fake run.sh starting\"\n'" + exe + "' fake \"$1\"\nexit $?\n",
		"root/conf.yaml": "ip2loc: \"US\"\nlistenPort: " + strconv.Itoa(port) + "\nlistenSsl: false\n" +
			"# the fake gateway needs no Java\n",
		"root/SIMULATOR": "fake\n",
	}
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// writeSimDist writes a simulator distribution that runs this test binary
// as `ibkr-tray sim`.
func writeSimDist(t testing.TB, port int, termDelay time.Duration) string {
	t.Helper()
	o := sim.DefaultOptions()
	o.TermDelay = termDelay
	return simtest.Dist(t, port, o)
}

// testLogger sends the supervisor's log to the test's log.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// fastConfig is a config with the waits of a test.
func fastConfig(t testing.TB, dir string, env ...string) Config {
	return Config{
		Dir:            dir,
		Logger:         testLogger(t),
		Env:            env,
		ReadyTimeout:   20 * time.Second,
		Backoff:        Backoff{Min: 10 * time.Millisecond, Max: 40 * time.Millisecond},
		HealthInterval: 50 * time.Millisecond,
		HealthTimeout:  500 * time.Millisecond,
		StopWait:       5 * time.Second,
		LogFile:        filepath.Join(t.TempDir(), "gateway.log"),
	}
}

// running is a supervisor whose Run goroutine the test controls.
type running struct {
	*Supervisor
	cancel context.CancelFunc
	done   chan error
}

func startSupervisor(t testing.TB, c Config) *running {
	t.Helper()
	s, err := NewSupervisor(c)
	if err != nil {
		t.Fatal(err)
	}
	return startSupervisorFrom(t, s)
}

// startSupervisorFrom runs a supervisor made by the test.
func startSupervisorFrom(t testing.TB, s *Supervisor) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{Supervisor: s, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- s.Run(ctx) }()
	t.Cleanup(func() { r.quit(t) })
	return r
}

// quit ends Run and returns its error (once; later calls return nil).
func (r *running) quit(t testing.TB) error {
	t.Helper()
	r.cancel()
	select {
	case err, ok := <-r.done:
		if ok {
			close(r.done)
		}
		return err
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return within 30s of cancel")
		return nil
	}
}

// waitFor waits until the status satisfies ok, failing after d.
func waitFor(t testing.TB, s *Supervisor, d time.Duration, what string, ok func(Status) bool) Status {
	t.Helper()
	ch, unsub := s.Subscribe()
	defer unsub()
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	for {
		select {
		case <-ch:
			if st := s.Status(); ok(st) {
				return st
			}
		case <-deadline.C:
			t.Fatalf("waited %s for %s; status: %+v\noutput:\n%s", d, what, s.Status(), strings.Join(s.Output(), "\n"))
		}
	}
}

// waitUntil polls cond (for what publishes no change), failing after d.
func waitUntil(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s", d, what)
		}
		<-tick.C
	}
}

func inState(want State) func(Status) bool { return func(st Status) bool { return st.State == want } }

// getRoot asks GET / of a port and returns the status code (0: no answer).
func getRoot(t testing.TB, scheme string, port int) int {
	t.Helper()
	p := newProber()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, probeURL(scheme, port), nil)
	resp, err := p.client.Do(req)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// readPID reads a pid file the fake gateway wrote, waiting for it.
func readPID(t testing.TB, path string) int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for tick := time.NewTicker(10 * time.Millisecond); ; <-tick.C {
		if b, err := os.ReadFile(path); err == nil && len(b) > 0 {
			pid, err := strconv.Atoi(string(b))
			if err != nil {
				t.Fatal(err)
			}
			return pid
		}
		if time.Now().After(deadline) {
			t.Fatalf("no pid in %s after 10s", path)
		}
	}
}

// fakeClock is a Clock whose back-off waits end when the test says.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waits   []time.Duration
	pending []chan time.Time
	woken   chan struct{} // a new wait was asked for
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC), woken: make(chan struct{}, 16)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) (<-chan time.Time, func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	c.waits = append(c.waits, d)
	c.pending = append(c.pending, ch)
	c.woken <- struct{}{}
	return ch, func() {}
}

// advance moves time on by the pending wait and ends it.
func (c *fakeClock) advance(t testing.TB) time.Duration {
	t.Helper()
	select {
	case <-c.woken:
	case <-time.After(20 * time.Second):
		t.Fatal("the supervisor asked for no back-off wait within 20s")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	d := c.waits[len(c.waits)-1]
	c.now = c.now.Add(d)
	for _, ch := range c.pending {
		ch <- c.now
	}
	c.pending = nil
	return d
}

// plainServer serves h on a loopback port (a gateway we did not start, or
// another program on the gateway's port).
func plainServer(t testing.TB, h http.Handler) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ErrorLog: nil}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return l.Addr().(*net.TCPAddr).Port
}
