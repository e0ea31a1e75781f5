package gateway

import (
	"errors"
	"sync"
	"time"
)

// live holds every gateway process group this process started and has not
// stopped yet, across supervisors: what a forced stop (KillAll) or a panic
// (StopAll) must end before the app dies, because no deferred stop runs then.
var live struct {
	mu    sync.Mutex // guards procs and ending
	procs map[*proc]struct{}
	// ending is set by KillAll and StopAll: the process is about to exit,
	// and a supervisor still running must not start another gateway.
	ending bool
}

// errEnding refuses a start while the app is exiting.
var errEnding = errors.New("the app is exiting")

// register adds a started gateway to live. It reports false when the app
// is exiting: the caller must kill the gateway at once.
func register(p *proc) bool {
	live.mu.Lock()
	defer live.mu.Unlock()
	if live.ending {
		return false
	}
	if live.procs == nil {
		live.procs = map[*proc]struct{}{}
	}
	live.procs[p] = struct{}{}
	return true
}

// ending reports whether the app is exiting (KillAll or StopAll ran).
func ending() bool {
	live.mu.Lock()
	defer live.mu.Unlock()
	return live.ending
}

// unregister drops a gateway that is gone.
func unregister(p *proc) {
	live.mu.Lock()
	defer live.mu.Unlock()
	delete(live.procs, p)
}

// stopped forgets a gateway that is gone: in live and in the state folder.
func stopped(p *proc) {
	unregister(p)
	removeRecord(p.record)
}

// endAll marks the app as exiting and returns live's gateways.
func endAll() []*proc {
	live.mu.Lock()
	live.ending = true
	live.mu.Unlock()
	return liveProcs()
}

// liveProcs is a copy of live's gateways.
func liveProcs() []*proc {
	live.mu.Lock()
	defer live.mu.Unlock()
	ps := make([]*proc, 0, len(live.procs))
	for p := range live.procs {
		ps = append(ps, p)
	}
	return ps
}

// KillAll kills every gateway this process started and has not stopped
// (SIGKILL to each process group, taskkill /F on Windows), waits a moment
// for them to go, and returns how many there were. For a forced stop:
// nothing waits for the gateway to stop by itself.
func KillAll() int {
	ps := endAll()
	for _, p := range ps {
		_ = killGroup(p.pid)
	}
	for _, p := range ps {
		if waitGone(p.pid, 2*time.Second) {
			stopped(p)
		}
	}
	return len(ps)
}

// waitGone polls until no process of the group is left, or d passed. A
// started gateway's run.sh is reaped by its Wait goroutine meanwhile.
func waitGone(pgid int, d time.Duration) bool {
	deadline := time.Now().Add(d)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for groupAlive(pgid) {
		if time.Now().After(deadline) {
			return false
		}
		<-tick.C
	}
	return true
}
