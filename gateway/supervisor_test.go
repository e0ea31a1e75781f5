//go:build unix

package gateway

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestStartsAndStopsTheSimulatorDistribution(t *testing.T) {
	port := freePort(t)
	dir := writeSimDist(t, port, 0)
	c := fastConfig(t, dir, childEnv+"=sim")
	r := startSupervisor(t, c)

	st := waitFor(t, r.Supervisor, 20*time.Second, "Running", inState(Running))
	if st.PID == 0 || st.Port != port || st.URL != "https://localhost:"+strconv.Itoa(port) || !st.Simulator || st.Started.IsZero() {
		t.Errorf("running status %+v", st)
	}
	if st.Version != "ibkr-tray-simulator 1.0" {
		t.Errorf("version %q, want the simulator's from its log", st.Version)
	}
	if code := getRoot(t, "https", port); code != http.StatusFound {
		t.Errorf("GET / answered %d, want 302", code)
	}
	waitFor(t, r.Supervisor, 5*time.Second, "run.sh's output in the ring", func(Status) bool {
		return strings.Contains(strings.Join(r.Output(), "\n"), "Open https://localhost:"+strconv.Itoa(port)+" to login")
	})
	if err := r.quit(t); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if groupAlive(st.PID) {
		t.Errorf("processes of group %d are left", st.PID)
	}
	if code := getRoot(t, "https", port); code != 0 {
		t.Errorf("GET / still answers %d after stop", code)
	}
	if got := r.Status(); got.State != Stopped || got.PID != 0 {
		t.Errorf("after Run: %+v", got)
	}
	logged, _ := os.ReadFile(c.LogFile)
	if !strings.Contains(string(logged), "stdout Open https://localhost:") {
		t.Errorf("the gateway's output is not in its log file:\n%s", logged)
	}
}

func TestStopLeavesNoOrphanOfRunSh(t *testing.T) {
	port := freePort(t)
	pidFile := filepath.Join(t.TempDir(), "child.pid")
	r := startSupervisor(t, fastConfig(t, writeFakeDist(t, port), childEnv+"=fake", "FAKE_PIDFILE="+pidFile))
	st := waitFor(t, r.Supervisor, 20*time.Second, "Running", inState(Running))
	child := readPID(t, pidFile)
	if child == st.PID {
		t.Fatalf("run.sh exec'd the child; the test needs bash -> child")
	}
	if pgid, _ := syscall.Getpgid(child); pgid != st.PID {
		t.Fatalf("the child is in group %d, want run.sh's %d", pgid, st.PID)
	}
	if err := r.quit(t); err != nil {
		t.Fatal(err)
	}
	if processAlive(child) {
		t.Errorf("the gateway's child %d outlived the stop", child)
	}
	if processAlive(st.PID) {
		t.Errorf("run.sh %d outlived the stop", st.PID)
	}
}

func TestGatewayIgnoringSIGTERMIsKilledAfterTheWait(t *testing.T) {
	port := freePort(t)
	pidFile := filepath.Join(t.TempDir(), "child.pid")
	c := fastConfig(t, writeFakeDist(t, port), childEnv+"=fake", "FAKE_PIDFILE="+pidFile, "FAKE_IGNORE_TERM=1")
	c.StopWait = 300 * time.Millisecond
	r := startSupervisor(t, c)
	waitFor(t, r.Supervisor, 20*time.Second, "Running", inState(Running))
	child := readPID(t, pidFile)
	start := time.Now()
	if err := r.quit(t); err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	if took < c.StopWait || took > c.StopWait+5*time.Second {
		t.Errorf("stop took %v; want the %v wait, then a kill", took, c.StopWait)
	}
	if processAlive(child) {
		t.Errorf("the gateway %d that ignores SIGTERM is still alive", child)
	}
}

func TestCrashingGatewayIsRestartedWithBackoffThenFails(t *testing.T) {
	port := freePort(t)
	c := fastConfig(t, writeFakeDist(t, port), childEnv+"=fake", "FAKE_CRASH_AFTER=100ms")
	c.FailureLimit = 3
	r := startSupervisor(t, c)
	var sawRestarting bool
	st := waitFor(t, r.Supervisor, 30*time.Second, "Failed", func(st Status) bool {
		sawRestarting = sawRestarting || st.State == Restarting && !st.RetryAt.IsZero()
		return st.State == Failed
	})
	if !sawRestarting {
		t.Errorf("never saw Restarting with a retry time")
	}
	if st.Restarts != 2 || st.LastExit != "exit status 3" {
		t.Errorf("restarts %d, last exit %q; want 2 and exit status 3", st.Restarts, st.LastExit)
	}
	if !strings.Contains(st.Reason, "failed 3 times") || !strings.Contains(strings.Join(st.LastLines, "\n"), "fake gateway crashing") {
		t.Errorf("Failed without the story: %q, last lines %q", st.Reason, st.LastLines)
	}

	// The user asks for a restart: Failed is cleared and it starts again.
	r.Restart()
	waitFor(t, r.Supervisor, 20*time.Second, "Running after Restart", inState(Running))
}

func TestBackoffWaitsDoubleOnTheClockUntilFailed(t *testing.T) {
	port := freePort(t)
	clock := newFakeClock()
	c := fastConfig(t, writeFakeDist(t, port), childEnv+"=fake", "FAKE_CRASH_AFTER=0s")
	c.Backoff = Backoff{} // the real 1s doubling to 60s, with jitter
	c.Clock = clock
	r := startSupervisor(t, c)
	var waits []time.Duration
	for range 4 {
		// A new Restarting: its retry time is still ahead on the clock.
		st := waitFor(t, r.Supervisor, 20*time.Second, "Restarting", func(st Status) bool {
			return st.State == Restarting && st.RetryAt.After(clock.Now())
		})
		d := clock.advance(t)
		if left := st.RetryAt.Sub(st.Since); left != d {
			t.Errorf("Restarting says %v left, the clock waits %v", left, d)
		}
		waits = append(waits, d)
	}
	for i, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second} {
		if d := waits[i]; d < want*9/10 || d > want*11/10 {
			t.Errorf("wait %d was %v, want %v ±10%%", i+1, d, want)
		}
	}
	st := waitFor(t, r.Supervisor, 20*time.Second, "Failed after the fifth", inState(Failed))
	if st.Restarts != 4 {
		t.Errorf("restarts %d, want 4", st.Restarts)
	}
}

func TestGatewayThatNeverAnswersIsAFailedStart(t *testing.T) {
	port := freePort(t)
	pidFile := filepath.Join(t.TempDir(), "child.pid")
	c := fastConfig(t, writeFakeDist(t, port), childEnv+"=fake", "FAKE_NEVER_READY=1", "FAKE_PIDFILE="+pidFile)
	c.ReadyTimeout = 300 * time.Millisecond
	c.FailureLimit = 1
	r := startSupervisor(t, c)
	st := waitFor(t, r.Supervisor, 20*time.Second, "Failed", inState(Failed))
	if !strings.Contains(st.Reason, "did not answer GET / within 300ms") || st.LastExit != "not ready within 300ms" {
		t.Errorf("reason %q, last exit %q", st.Reason, st.LastExit)
	}
	if child := readPID(t, pidFile); processAlive(child) {
		t.Errorf("the gateway that never became ready (%d) was left running", child)
	}
}

func TestHungGatewayIsRestarted(t *testing.T) {
	port := freePort(t)
	c := fastConfig(t, writeFakeDist(t, port), childEnv+"=fake", "FAKE_HANG_AFTER=300ms")
	c.HealthTimeout = 100 * time.Millisecond
	r := startSupervisor(t, c)
	first := waitFor(t, r.Supervisor, 20*time.Second, "Running", inState(Running))
	waitFor(t, r.Supervisor, 20*time.Second, "Unresponsive", inState(Unresponsive))
	st := waitFor(t, r.Supervisor, 20*time.Second, "Running again", func(st Status) bool {
		return st.State == Running && st.PID != first.PID
	})
	if st.Restarts != 1 || !strings.HasPrefix(st.LastExit, "hung: GET / unanswered 3 times") {
		t.Errorf("restarts %d, last exit %q", st.Restarts, st.LastExit)
	}
	if processAlive(first.PID) {
		t.Errorf("the hung gateway %d was left running", first.PID)
	}
}

func TestIBKRUnreachableIsNotAHang(t *testing.T) {
	port := freePort(t)
	c := fastConfig(t, writeSimDist(t, port, 0), childEnv+"=sim")
	c.HealthTimeout = 200 * time.Millisecond
	r := startSupervisor(t, c)
	first := waitFor(t, r.Supervisor, 20*time.Second, "Running", inState(Running))

	// The simulator's hang fault: /v1/api and /sso hang, / answers, as when
	// the gateway cannot reach IBKR.
	p := newProber()
	base := "https://127.0.0.1:" + strconv.Itoa(port)
	resp, err := p.client.Post(base+"/sim/hang?seconds=60", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/v1/api/tickle", nil)
	if resp, err := p.client.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("tickle answered %s during the hang fault; the test needs it to hang", resp.Status)
	}

	// Many more checks than make a hang: it stays Running, same process.
	checks := r.healthChecks.Load()
	waitUntil(t, 20*time.Second, "more health checks", func() bool {
		if st := r.Status(); st.State != Running || st.PID != first.PID {
			t.Fatalf("state %v pid %d during the IBKR outage; want Running %d", st.State, st.PID, first.PID)
		}
		return r.healthChecks.Load() >= checks+int64(2*c.withDefaults().HangChecks)
	})
	if st := r.Status(); st.State != Running || st.PID != first.PID || st.Restarts != 0 {
		t.Errorf("after the checks: %+v", st)
	}
}

func TestRestartCommandStartsANewProcess(t *testing.T) {
	port := freePort(t)
	r := startSupervisor(t, fastConfig(t, writeFakeDist(t, port), childEnv+"=fake"))
	first := waitFor(t, r.Supervisor, 20*time.Second, "Running", inState(Running))
	r.Restart()
	st := waitFor(t, r.Supervisor, 20*time.Second, "Running with a new pid", func(st Status) bool {
		return st.State == Running && st.PID != first.PID
	})
	if st.Restarts != 1 {
		t.Errorf("restarts %d, want 1", st.Restarts)
	}
	if processAlive(first.PID) {
		t.Errorf("the first gateway %d is still alive", first.PID)
	}
}
