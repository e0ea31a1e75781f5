//go:build unix

package gateway

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// appEnv, set to "supervise", makes the test binary play the app: a
// supervisor of the gateway in SUPERVISE_DIR until a stop signal
// (superviseChild). Not childEnv: run.sh inherits the app's environment,
// and the gateway's own selector comes from SUPERVISE_GATEWAY_ENV.
const appEnv = "IBKR_TRAY_TEST_APP"

// superviseChild runs a supervisor the way the app does: under
// NotifyStop, with its record in SUPERVISE_STATE. It prints "RUNNING PID"
// on stdout each time the gateway is Running.
//
//	SUPERVISE_DIR          the distribution
//	SUPERVISE_STATE        the state folder ("" = none)
//	SUPERVISE_STOPWAIT     Config.StopWait
//	SUPERVISE_GATEWAY_ENV  the gateway's Config.Env, ";"-separated
//	SUPERVISE_PANIC=1      once Running, panic in a goroutine started with Go
//	SUPERVISE_CRASHLOG     RecordCrashes to this file first
func superviseChild() int {
	if path := os.Getenv("SUPERVISE_CRASHLOG"); path != "" {
		if err := RecordCrashes(path); err != nil {
			fmt.Fprintln(os.Stderr, "supervise:", err)
			return 1
		}
	}
	stopWait, _ := time.ParseDuration(os.Getenv("SUPERVISE_STOPWAIT"))
	c := Config{
		Dir:            os.Getenv("SUPERVISE_DIR"),
		StateDir:       os.Getenv("SUPERVISE_STATE"),
		Env:            strings.Split(os.Getenv("SUPERVISE_GATEWAY_ENV"), ";"),
		HealthInterval: 50 * time.Millisecond,
		HealthTimeout:  500 * time.Millisecond,
		StopWait:       stopWait,
	}
	s, err := NewSupervisor(c)
	if err != nil {
		fmt.Fprintln(os.Stderr, "supervise:", err)
		return 1
	}
	ctx, stop := NotifyStop(context.Background(), os.Stderr)
	defer stop()
	go func() {
		ch, _ := s.Subscribe()
		pid := 0
		for range ch {
			if st := s.Status(); st.State == Running && st.PID != pid {
				pid = st.PID
				fmt.Println("RUNNING", pid)
				if os.Getenv("SUPERVISE_PANIC") == "1" {
					Go(func() { panic("a test panic in a background goroutine") })
				}
			}
		}
	}()
	if err := s.Run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "supervise:", err)
		return 1
	}
	fmt.Fprintln(os.Stderr, "supervise: stopped cleanly")
	return 0
}

// appChild is the test binary playing the app.
type appChild struct {
	cmd     *exec.Cmd
	running chan int // the gateway's pid at each "RUNNING PID"
	exited  chan struct{}
	err     error // cmd.Wait's, set before exited closes

	mu     sync.Mutex
	stderr strings.Builder
}

// startAppChild starts the test binary as the app supervising dir; the
// gateway's environment is gatewayEnv, and extra is added to the app's.
func startAppChild(t *testing.T, dir, state string, stopWait time.Duration, gatewayEnv []string, extra ...string) *appChild {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	a := &appChild{cmd: exec.Command(exe), running: make(chan int, 8), exited: make(chan struct{})}
	a.cmd.Env = append(os.Environ(), appEnv+"=supervise", "SUPERVISE_DIR="+dir, "SUPERVISE_STATE="+state,
		"SUPERVISE_STOPWAIT="+stopWait.String(), "SUPERVISE_GATEWAY_ENV="+strings.Join(gatewayEnv, ";"))
	a.cmd.Env = append(a.cmd.Env, extra...)
	a.cmd.Stderr = &lockedWriter{a}
	out, err := a.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := a.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if pid, ok := strings.CutPrefix(sc.Text(), "RUNNING "); ok {
				n, _ := strconv.Atoi(pid)
				a.running <- n
			}
		}
		a.err = a.cmd.Wait()
		close(a.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-a.exited:
		default:
			_ = a.cmd.Process.Kill()
			<-a.exited
		}
	})
	return a
}

type lockedWriter struct{ a *appChild }

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.a.mu.Lock()
	defer w.a.mu.Unlock()
	return w.a.stderr.Write(p)
}

func (a *appChild) output() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.stderr.String()
}

// waitRunning waits for the app to report its gateway Running.
func (a *appChild) waitRunning(t *testing.T) int {
	t.Helper()
	select {
	case pid := <-a.running:
		return pid
	case <-a.exited:
		t.Fatalf("the app exited (%v) before its gateway ran:\n%s", a.err, a.output())
	case <-time.After(30 * time.Second):
		t.Fatalf("the app's gateway did not run within 30s:\n%s", a.output())
	}
	return 0
}

// waitOutput waits for the app's stderr to hold want.
func (a *appChild) waitOutput(t *testing.T, want string) {
	t.Helper()
	waitUntil(t, 30*time.Second, fmt.Sprintf("the app to say %q", want), func() bool {
		return strings.Contains(a.output(), want)
	})
}

// waitExit waits for the app to exit and returns its status.
func (a *appChild) waitExit(t *testing.T, d time.Duration) int {
	t.Helper()
	select {
	case <-a.exited:
	case <-time.After(d):
		t.Fatalf("the app did not exit within %s:\n%s", d, a.output())
	}
	var ee *exec.ExitError
	if errors.As(a.err, &ee) {
		return ee.ExitCode()
	}
	if a.err != nil {
		t.Fatal(a.err)
	}
	return 0
}

// killGroupAtCleanup leaves no gateway behind a failing test.
func killGroupAtCleanup(t *testing.T, pgid int) {
	t.Cleanup(func() {
		if groupAlive(pgid) {
			_ = killGroup(pgid)
		}
	})
}
