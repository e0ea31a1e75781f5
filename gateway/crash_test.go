//go:build unix

package gateway

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestAPanicInABackgroundGoroutineStopsTheGatewayAndIsLogged(t *testing.T) {
	port := freePort(t)
	state := t.TempDir()
	crashLog := filepath.Join(state, "crash.log")
	// A crash log left world-readable by something else is made private.
	if err := os.WriteFile(crashLog, []byte("an earlier crash\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	pidFile := filepath.Join(t.TempDir(), "child.pid")
	a := startAppChild(t, writeFakeDist(t, port), state, 5*time.Second,
		[]string{childEnv + "=fake", "FAKE_PIDFILE=" + pidFile},
		"SUPERVISE_PANIC=1", "SUPERVISE_CRASHLOG="+crashLog)
	group := a.waitRunning(t)
	killGroupAtCleanup(t, group)
	child := readPID(t, pidFile)

	if code := a.waitExit(t, 20*time.Second); code != 2 {
		t.Errorf("exit status %d after the panic, want Go's 2:\n%s", code, a.output())
	}
	if groupAlive(group) || processAlive(child) {
		t.Errorf("the gateway (group %d, child %d) outlived the panic", group, child)
	}
	if _, err := os.Stat(filepath.Join(state, RecordFile)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the gateway record is left after the gateway was stopped (%v)", err)
	}
	b, err := os.ReadFile(crashLog)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"an earlier crash\n", "panic: a test panic in a background goroutine", "goroutine "} {
		if !strings.Contains(string(b), want) {
			t.Errorf("crash.log lacks %q:\n%s", want, b)
		}
	}
	if st, err := os.Stat(crashLog); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("crash.log mode %v (%v), want 0600", st.Mode().Perm(), err)
	}
	if !strings.Contains(a.output(), "stopped the gateway (1 process group(s)) before exiting") {
		t.Errorf("stderr does not say the gateway was stopped:\n%s", a.output())
	}
}

func TestNoGatewayIsStartedOnceStopAllRan(t *testing.T) {
	t.Cleanup(func() { // StopAll is for a process about to die; this one goes on
		live.mu.Lock()
		live.ending = false
		live.mu.Unlock()
	})
	port := freePort(t)
	pidFile := filepath.Join(t.TempDir(), "child.pid")
	r := startSupervisor(t, fastConfig(t, writeFakeDist(t, port), childEnv+"=fake", "FAKE_PIDFILE="+pidFile))
	st := waitFor(t, r.Supervisor, 20*time.Second, "Running", inState(Running))
	readPID(t, pidFile)
	if err := os.Remove(pidFile); err != nil {
		t.Fatal(err)
	}

	// A panic elsewhere stops the gateways; this supervisor sees its
	// gateway exit and would start another before the process dies.
	if n := StopAll(3 * time.Second); n != 1 {
		t.Errorf("StopAll stopped %d gateways, want 1", n)
	}
	if groupAlive(st.PID) {
		t.Errorf("group %d outlived StopAll", st.PID)
	}
	got := waitFor(t, r.Supervisor, 20*time.Second, "Failed", inState(Failed))
	if !strings.Contains(got.Reason, "the app is exiting") {
		t.Errorf("reason %q", got.Reason)
	}
	if _, err := os.Stat(pidFile); err == nil {
		t.Errorf("a new gateway was started after StopAll")
	}
}
