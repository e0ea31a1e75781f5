package gateway

import (
	"errors"
	"runtime"
	"strconv"
	"syscall"
	"time"
)

// wsaeconnrefused is Windows' "connection refused" (WSAECONNREFUSED).
// syscall.ECONNREFUSED is a made-up value there that no dial returns.
const wsaeconnrefused = syscall.Errno(10061)

// connRefused reports whether a dial error on goos means nothing listens
// on the port: the one answer that lets the supervisor start a gateway
// there. Anything else (a timeout, a reset) is "in use by another program".
func connRefused(err error, goos string) bool {
	if goos == "windows" {
		var errno syscall.Errno
		return errors.As(err, &errno) && errno == wsaeconnrefused
	}
	return errors.Is(err, syscall.ECONNREFUSED)
}

// stopStep is one step of stopping a gateway's process tree: a signal to
// its process group (unix) or a command to run (Windows), then up to wait
// for every process of it to go.
type stopStep struct {
	signal syscall.Signal // unix: sent to the process group
	cmd    []string       // Windows: run
	wait   time.Duration
	// byHand is what the user can run when even the last step failed.
	byHand string
}

// stopSteps is how the gateway started as pid is stopped on goos.
//
// Unix: SIGTERM to the process group (java exits within about 2 s), up to
// stopWait, then SIGKILL.
//
// Windows has no SIGTERM for a console program: taskkill without /F only
// asks a program's windows to close, and the gateway has none, so that
// step would wait out the whole stopWait for nothing; CTRL_BREAK makes
// java print a thread dump rather than exit. So taskkill /T /F at once:
// the tree (cmd.exe, run.bat, java) ends together.
func stopSteps(goos string, pid int, stopWait time.Duration) []stopStep {
	p := strconv.Itoa(pid)
	if goos == "windows" {
		kill := []string{"taskkill", "/T", "/F", "/PID", p}
		return []stopStep{{cmd: kill, wait: 5 * time.Second, byHand: "taskkill /T /F /PID " + p}}
	}
	return []stopStep{
		{signal: syscall.SIGTERM, wait: stopWait},
		{signal: syscall.SIGKILL, wait: 5 * time.Second, byHand: "kill -9 -- -" + p},
	}
}

// termGroup asks every process of the group to stop (the first step).
func termGroup(pid int) error { return runStopStep(stopSteps(runtime.GOOS, pid, 0)[0], pid) }

// killGroup ends every process of the group at once (the last step).
func killGroup(pid int) error {
	steps := stopSteps(runtime.GOOS, pid, 0)
	return runStopStep(steps[len(steps)-1], pid)
}
