package gateway

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"time"
)

// crashLogMax is the size past which the crash log is moved to .old
// before a run appends to it.
const crashLogMax = 1 << 20

// RecordCrashes makes the report of a fatal panic (the panic value and
// every goroutine's stack) go to path too, besides standard error, which
// nobody reads for a tray app started at login. The file is mode 0600; the
// report holds no secret (the code never puts one in a panic), but stacks
// are nobody else's business. Call it first in main.
func RecordCrashes(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	if st, err := os.Stat(path); err == nil && st.Size() > crashLogMax {
		_ = os.Rename(path, path+".old")
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer f.Close() // SetCrashOutput keeps its own copy of the descriptor
	if err := f.Chmod(0o600); err != nil {
		return err
	}
	return debug.SetCrashOutput(f, debug.CrashOptions{})
}

// Go runs f in a goroutine that, if f panics, stops every gateway this
// process started before the panic ends the process (StopOnPanic). Use it
// for the app's background loops.
func Go(f func()) {
	go func() {
		defer StopOnPanic()
		f()
	}()
}

// StopOnPanic, deferred at the top of a goroutine (or of main), stops
// every gateway this process started when that goroutine panics, then
// panics again with the same value: the process still dies with the
// report, but leaves no gateway behind. It must be deferred directly
// (defer gateway.StopOnPanic()) for recover to see the panic.
func StopOnPanic() {
	r := recover()
	if r == nil {
		return
	}
	if n := StopAll(3 * time.Second); n > 0 {
		fmt.Fprintf(os.Stderr, "ibkr-tray: panic: stopped the gateway (%d process group(s)) before exiting\n", n)
	}
	runAbruptExit()
	panic(r)
}

// StopAll stops every gateway this process started and has not stopped:
// SIGTERM to each group, up to wait for them to go, then SIGKILL. It
// returns how many there were.
func StopAll(wait time.Duration) int {
	ps := endAll()
	for _, p := range ps {
		_ = termGroup(p.pid)
	}
	deadline := time.Now().Add(wait)
	for _, p := range ps {
		if waitGone(p.pid, time.Until(deadline)) {
			stopped(p)
		}
	}
	if left := liveProcs(); len(left) > 0 {
		KillAll()
	}
	return len(ps)
}
