package cli

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ibkr-tray/ibkr-tray/gateway/sim/simtest"
)

// appProcess is the test binary running as `ibkr-tray headless`.
type appProcess struct {
	cmd    *exec.Cmd
	mu     sync.Mutex
	stderr bytes.Buffer
	lines  chan string
	exited chan struct{}
	err    error // cmd.Wait's, set before exited closes
}

// startApp runs `ibkr-tray headless ARGS` as a child with its own settings,
// state and runtime folders (env is added to the environment).
func startApp(t *testing.T, env []string, args ...string) *appProcess {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	a := &appProcess{cmd: exec.Command(exe, args...), lines: make(chan string, 256), exited: make(chan struct{})}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, simtest.ChildEnv+"=") { // the app is not the simulator
			a.cmd.Env = append(a.cmd.Env, kv)
		}
	}
	a.cmd.Env = append(a.cmd.Env,
		appEnv+"=headless",
		"XDG_CONFIG_HOME="+t.TempDir(), "XDG_STATE_HOME="+t.TempDir(), "XDG_RUNTIME_DIR="+t.TempDir(),
		"DBUS_SESSION_BUS_ADDRESS=disabled:")
	a.cmd.Env = append(a.cmd.Env, env...)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	a.cmd.Stderr = w
	if err := a.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	read := make(chan struct{})
	go func() {
		defer close(read)
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			a.mu.Lock()
			a.stderr.WriteString(sc.Text() + "\n")
			a.mu.Unlock()
			select {
			case a.lines <- sc.Text():
			default:
			}
		}
	}()
	go func() {
		a.err = a.cmd.Wait()
		// The app's last lines may still be in the pipe: output() after
		// exited must hold them. (Bounded: a gateway left running could
		// hold the pipe open; the tests look for that themselves.)
		select {
		case <-read:
		case <-time.After(5 * time.Second):
		}
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

func (a *appProcess) output() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.stderr.String()
}

// waitLine waits for a line of the app's log that holds want.
func (a *appProcess) waitLine(t *testing.T, d time.Duration, want string) {
	t.Helper()
	deadline := time.After(d)
	for {
		select {
		case l := <-a.lines:
			if strings.Contains(l, want) {
				return
			}
		case <-a.exited:
			t.Fatalf("the app exited (%v) before logging %q:\n%s", a.err, want, a.output())
		case <-deadline:
			t.Fatalf("waited %s for the app to log %q:\n%s", d, want, a.output())
		}
	}
}

// waitExit waits for the app to exit and returns its exit status.
func (a *appProcess) waitExit(t *testing.T, d time.Duration) int {
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

// procStat reads a process's parent and process group from /proc.
func procStat(pid int) (ppid, pgid int, ok bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, false
	}
	i := bytes.LastIndexByte(b, ')')
	f := bytes.Fields(b[i+1:])
	if len(f) < 3 || string(f[0]) == "Z" || string(f[0]) == "X" {
		return 0, 0, false
	}
	ppid, _ = strconv.Atoi(string(f[1]))
	pgid, _ = strconv.Atoi(string(f[2]))
	return ppid, pgid, true
}

// allPIDs lists the live processes of the machine.
func allPIDs() []int {
	ents, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range ents {
		if pid, err := strconv.Atoi(e.Name()); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}

// gatewayGroup finds the gateway the app started: its child that leads a
// process group of its own (run.sh).
func gatewayGroup(t *testing.T, app int) int {
	t.Helper()
	for _, pid := range allPIDs() {
		if ppid, pgid, ok := procStat(pid); ok && ppid == app && pgid == pid {
			return pid
		}
	}
	t.Fatalf("the app %d has no child leading a process group (no gateway)", app)
	return 0
}

// groupMembers lists the live processes of a process group.
func groupMembers(pgid int) []int {
	var left []int
	for _, pid := range allPIDs() {
		if _, g, ok := procStat(pid); ok && g == pgid {
			left = append(left, pid)
		}
	}
	return left
}

// killGroupAtCleanup makes sure a failing test leaves no gateway behind.
func killGroupAtCleanup(t *testing.T, pgid int) {
	t.Cleanup(func() {
		if left := groupMembers(pgid); len(left) > 0 {
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
		}
	})
}

func TestHeadlessStopsTheGatewayOnSIGHUP(t *testing.T) {
	dir, _ := simDist(t)
	a := startApp(t, nil, "--gateway-dir", dir, "--status-addr", "127.0.0.1:0")
	a.waitLine(t, 30*time.Second, "msg=status gateway=Running")
	group := gatewayGroup(t, a.cmd.Process.Pid)
	killGroupAtCleanup(t, group)
	if len(groupMembers(group)) < 2 {
		t.Fatalf("the gateway's group %d has %v; want run.sh and the simulator below it", group, groupMembers(group))
	}

	if err := a.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	if code := a.waitExit(t, 30*time.Second); code != 0 {
		t.Errorf("exit status %d after SIGHUP, want 0:\n%s", code, a.output())
	}
	if left := groupMembers(group); len(left) > 0 {
		t.Errorf("processes %v of the gateway's group %d outlived the app", left, group)
	}
	if out := a.output(); !strings.Contains(out, "ibkr-tray headless stopped") {
		t.Errorf("the app did not stop cleanly:\n%s", out)
	}
}

func TestHeadlessDemoRemovesItsFolderOnSIGHUP(t *testing.T) {
	tmp := t.TempDir()
	// No browser on PATH: the demo starts logged in and launches none. run.sh
	// needs only bash (by its path) and dirname.
	bin := t.TempDir()
	if err := os.Symlink("/usr/bin/dirname", filepath.Join(bin, "dirname")); err != nil {
		t.Fatal(err)
	}
	a := startApp(t, []string{"TMPDIR=" + tmp, "PATH=" + bin}, "--demo", "--fault-every", "0", "--status-addr", "127.0.0.1:0")
	a.waitLine(t, 30*time.Second, "msg=status gateway=Running")
	group := gatewayGroup(t, a.cmd.Process.Pid)
	killGroupAtCleanup(t, group)
	demoDirs, _ := filepath.Glob(filepath.Join(tmp, "ibkr-tray-demo-*"))
	if len(demoDirs) != 1 {
		t.Fatalf("want one demo folder in %s, found %v", tmp, demoDirs)
	}

	if err := a.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	if code := a.waitExit(t, 30*time.Second); code != 0 {
		t.Errorf("exit status %d after SIGHUP, want 0:\n%s", code, a.output())
	}
	if left := groupMembers(group); len(left) > 0 {
		t.Errorf("processes %v of the demo gateway's group %d outlived the app", left, group)
	}
	if _, err := os.Stat(demoDirs[0]); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the demo's folder %s is left (%v)", demoDirs[0], err)
	}
}

func TestHeadlessDemoForcedStopStillRemovesItsFolder(t *testing.T) {
	tmp := t.TempDir()
	bin := t.TempDir()
	if err := os.Symlink("/usr/bin/dirname", filepath.Join(bin, "dirname")); err != nil {
		t.Fatal(err)
	}
	// The gateway takes 10 minutes to stop: the second signal surely comes
	// while the app waits on it.
	a := startApp(t, []string{"TMPDIR=" + tmp, "PATH=" + bin, slowStopEnv + "=1"}, "--demo", "--fault-every", "0", "--status-addr", "127.0.0.1:0")
	a.waitLine(t, 30*time.Second, "msg=status gateway=Running")
	group := gatewayGroup(t, a.cmd.Process.Pid)
	killGroupAtCleanup(t, group)
	demoDirs, _ := filepath.Glob(filepath.Join(tmp, "ibkr-tray-demo-*"))
	if len(demoDirs) != 1 {
		t.Fatalf("want one demo folder in %s, found %v", tmp, demoDirs)
	}

	// The second signal forces the stop, which skips the deferred cleanup.
	if err := a.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	a.waitLine(t, 10*time.Second, "press Ctrl-C again")
	if err := a.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if code := a.waitExit(t, 30*time.Second); code != 1 {
		t.Errorf("exit status %d after a second signal, want 1:\n%s", code, a.output())
	}
	if !strings.Contains(a.output(), "a second stop signal (interrupt) while stopping") {
		t.Errorf("the app does not say the stop was forced:\n%s", a.output())
	}
	if left := groupMembers(group); len(left) > 0 {
		t.Errorf("processes %v of the demo gateway's group %d outlived the app", left, group)
	}
	if _, err := os.Stat(demoDirs[0]); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the demo's folder %s is left after a forced stop (%v)", demoDirs[0], err)
	}
}
