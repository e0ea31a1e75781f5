package gateway

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// StopSignals stop the app cleanly, stopping the gateway it started:
// Ctrl-C, SIGTERM (systemd, kill) and SIGHUP (the terminal was closed or
// the ssh connection dropped). SIGHUP's default would end the app at once
// and leave run.sh and java running under PID 1. (Windows delivers only
// Ctrl-C; the other two are never sent there.)
var StopSignals = []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP}

// ForcedExit is the exit status after a second stop signal.
const ForcedExit = 1

// exit ends the process after a forced stop.
var exit = os.Exit

// NotifyStop returns a context that ends at the first of StopSignals: the
// app then stops the gateway in order, which can take the gateway's stop
// wait. A second signal while stopping forces the stop: every gateway this
// process started is killed, one line on w says so, and the process exits
// at once with status ForcedExit. Call stop once the app has stopped:
// signals then act as by default again. When a forced stop has begun, stop
// waits for it instead, so the process ends with ForcedExit.
func NotifyStop(parent context.Context, w io.Writer) (ctx context.Context, stop context.CancelFunc) {
	ctx, cancel := context.WithCancel(parent)
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, StopSignals...)
	done := make(chan struct{})
	// mu orders a second signal against stop: the first to come wins. A
	// forced stop must not lose the race to the app's own exit (status 0,
	// or mid-cleanup, which left the demo's folder half removed), and after
	// stop a late signal forces nothing.
	var mu sync.Mutex
	stopped := false
	forced := make(chan struct{}) // closed when a forced stop begins
	forceDone := make(chan struct{})
	Go(func() {
		select {
		case <-sigs:
			fmt.Fprintln(w, "ibkr-tray: stopping the gateway; press Ctrl-C again (or send another SIGTERM) to kill it at once")
			cancel()
		case <-done:
			return
		}
		select {
		case sig := <-sigs:
			mu.Lock()
			if stopped {
				mu.Unlock()
				return
			}
			close(forced)
			mu.Unlock()
			defer close(forceDone)
			n := KillAll()
			runAbruptExit()
			fmt.Fprintf(w, "ibkr-tray: a second stop signal (%v) while stopping: killed the gateway (%d process group(s)) without waiting, exiting now\n", sig, n)
			exit(ForcedExit)
		case <-done:
		}
	})
	var once sync.Once
	return ctx, func() {
		once.Do(func() {
			mu.Lock()
			stopped = true
			mu.Unlock()
			signal.Stop(sigs)
			close(done)
			cancel()
		})
		select {
		case <-forced:
			<-forceDone // the process ends in there
		default:
		}
	}
}

// abrupt holds what an abrupt exit (a forced stop, a panic) must still do
// after the gateways are gone, since no deferred cleanup runs then.
var abrupt struct {
	mu    sync.Mutex // guards funcs and next
	funcs map[int]func()
	next  int
}

// OnAbruptExit adds f to what a forced stop (a second signal) or a panic
// runs after stopping the gateways and before the process ends: the demo
// removes its temporary folder.
//
// The normal cleanup calls run instead of f itself: f runs once, by
// whichever comes first, and the other waits until it has finished. So a
// forced stop that comes while the normal cleanup is removing the folder
// does not end the process halfway through it (which left bin/run.sh
// behind), and one that comes after finds nothing left to do.
func OnAbruptExit(f func()) (run func()) {
	var once sync.Once
	do := func() { once.Do(f) }
	abrupt.mu.Lock()
	defer abrupt.mu.Unlock()
	if abrupt.funcs == nil {
		abrupt.funcs = map[int]func(){}
	}
	id := abrupt.next
	abrupt.next++
	abrupt.funcs[id] = do
	return func() {
		do()
		abrupt.mu.Lock()
		defer abrupt.mu.Unlock()
		delete(abrupt.funcs, id)
	}
}

// runAbruptExit runs (once each) the funcs OnAbruptExit holds, waiting for
// any the normal cleanup is running at the time.
func runAbruptExit() {
	abrupt.mu.Lock()
	fs := abrupt.funcs
	abrupt.funcs = nil
	abrupt.mu.Unlock()
	for _, f := range fs {
		f()
	}
}
