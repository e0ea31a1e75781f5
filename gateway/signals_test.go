//go:build unix

package gateway

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestASecondSignalWhileStoppingKillsTheGatewayAtOnce(t *testing.T) {
	port := freePort(t)
	pidFile := filepath.Join(t.TempDir(), "child.pid")
	const stopWait = time.Minute // the gateway ignores SIGTERM: a clean stop would wait this long
	a := startAppChild(t, writeFakeDist(t, port), "", stopWait,
		[]string{childEnv + "=fake", "FAKE_IGNORE_TERM=1", "FAKE_PIDFILE=" + pidFile})
	group := a.waitRunning(t)
	killGroupAtCleanup(t, group)
	child := readPID(t, pidFile)

	if err := a.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	a.waitOutput(t, "press Ctrl-C again")
	// The first stop waits on the gateway, which ignores SIGTERM.
	select {
	case <-a.exited:
		t.Fatalf("the app exited (%v) on the first signal, before its stop wait:\n%s", a.err, a.output())
	case <-time.After(200 * time.Millisecond):
	}
	start := time.Now()
	if err := a.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	code := a.waitExit(t, 10*time.Second)
	took := time.Since(start)
	if code != ForcedExit {
		t.Errorf("exit status %d after the second signal, want %d", code, ForcedExit)
	}
	if took > 5*time.Second {
		t.Errorf("the forced stop took %s", took)
	}
	if processAlive(child) || groupAlive(group) {
		t.Errorf("the gateway (group %d, child %d) outlived the forced stop", group, child)
	}
	out := a.output()
	if n := strings.Count(out, "a second stop signal (interrupt) while stopping: killed the gateway (1 process group(s))"); n != 1 {
		t.Errorf("want one line saying the stop was forced, got %d:\n%s", n, out)
	}
}

// The app's own exit must not win the race against a forced stop under
// way: it exited 0 (or halfway through the demo's cleanup) while the
// forced stop was still killing the gateway.
func TestStoppingWaitsForAForcedStopUnderWay(t *testing.T) {
	entered, release := make(chan int, 1), make(chan struct{})
	exit = func(code int) {
		entered <- code
		<-release
	}
	t.Cleanup(func() {
		exit = os.Exit
		live.mu.Lock()
		live.ending = false // KillAll ran: let the other tests start gateways
		live.mu.Unlock()
	})
	ctx, stop := NotifyStop(context.Background(), io.Discard)
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ctx.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the first signal did not end the context")
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-entered:
		if code != ForcedExit {
			t.Errorf("the forced stop exits with %d, want %d", code, ForcedExit)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the second signal did not force the stop")
	}
	stopped := make(chan struct{})
	go func() {
		stop()
		close(stopped)
	}()
	select {
	case <-stopped:
		t.Fatal("stop returned while the forced stop was under way: the app would exit 0 before it")
	case <-time.After(50 * time.Millisecond): // a wrong answer shows within this
	}
	close(release)
	select {
	case <-stopped:
	case <-time.After(10 * time.Second):
		t.Fatal("stop did not return after the forced stop ended")
	}
}
