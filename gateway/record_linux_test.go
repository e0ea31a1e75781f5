package gateway

import (
	"encoding/json"
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// killedApp runs the app (a child) on dir with its record in state until
// its gateway runs, then kills the app with SIGKILL: no deferred stop runs,
// its gateway is left running. It returns the gateway's group.
func killedApp(t *testing.T, dir, state string, gatewayEnv ...string) int {
	t.Helper()
	a := startAppChild(t, dir, state, 5*time.Second, gatewayEnv)
	group := a.waitRunning(t)
	killGroupAtCleanup(t, group)
	if err := a.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	a.waitExit(t, 10*time.Second)
	if !groupAlive(group) {
		t.Fatalf("the gateway %d died with the app; the test needs it orphaned", group)
	}
	if _, err := os.Stat(filepath.Join(state, RecordFile)); err != nil {
		t.Fatalf("the killed app left no record of its gateway: %v", err)
	}
	return group
}

// statesSeen collects every state the supervisor publishes.
func statesSeen(t *testing.T, s *Supervisor) func() map[State]bool {
	ch, unsub := s.Subscribe()
	var mu sync.Mutex
	seen := map[State]bool{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range ch {
			mu.Lock()
			seen[s.Status().State] = true
			mu.Unlock()
		}
	}()
	t.Cleanup(unsub)
	return func() map[State]bool {
		mu.Lock()
		defer mu.Unlock()
		m := map[State]bool{}
		for k, v := range seen {
			m[k] = v
		}
		return m
	}
}

func TestGatewayOfAKilledAppIsTakenBackRestartableAndStoppedOnQuit(t *testing.T) {
	port := freePort(t)
	dir := writeSimDist(t, port, 0)
	state := t.TempDir()
	orphan := killedApp(t, dir, state, childEnv+"=sim")

	c := fastConfig(t, dir, childEnv+"=sim")
	c.StateDir = state
	s, err := NewSupervisor(c)
	if err != nil {
		t.Fatal(err)
	}
	seen := statesSeen(t, s)
	r := startSupervisorFrom(t, s)
	st := waitFor(t, r.Supervisor, 20*time.Second, "Running", inState(Running))
	if st.PID != orphan || st.Reason != "" || st.Restarts != 0 {
		t.Errorf("taken-back status %+v; want Running with pid %d", st, orphan)
	}
	if seen()[Adopted] {
		t.Errorf("the gateway this app started was shown as adopted (started by someone else)")
	}
	if code := getRoot(t, "https", port); code != http.StatusFound {
		t.Errorf("GET / answered %d", code)
	}

	// Restart stops the recorded group by signal and starts a new one.
	r.Restart()
	st = waitFor(t, r.Supervisor, 20*time.Second, "Running with a new pid", func(st Status) bool {
		return st.State == Running && st.PID != orphan
	})
	if groupAlive(orphan) {
		t.Errorf("the taken-back gateway's group %d outlived Restart", orphan)
	}
	killGroupAtCleanup(t, st.PID)
	rec, err := readRecord(filepath.Join(state, RecordFile))
	if err != nil || rec.PID != st.PID {
		t.Errorf("after Restart the record names %d (%v), want the new %d", rec.PID, err, st.PID)
	}

	if err := r.quit(t); err != nil {
		t.Fatal(err)
	}
	if groupAlive(st.PID) {
		t.Errorf("processes of group %d are left after quit", st.PID)
	}
	if _, err := os.Stat(filepath.Join(state, RecordFile)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the record is left after a clean stop (%v)", err)
	}
}

func TestTakenBackGatewayIsStoppedOnQuit(t *testing.T) {
	port := freePort(t)
	dir := writeSimDist(t, port, 0)
	state := t.TempDir()
	orphan := killedApp(t, dir, state, childEnv+"=sim")

	c := fastConfig(t, dir, childEnv+"=sim")
	c.StateDir = state
	r := startSupervisor(t, c)
	waitFor(t, r.Supervisor, 20*time.Second, "Running", func(st Status) bool { return st.State == Running && st.PID == orphan })
	if err := r.quit(t); err != nil {
		t.Fatal(err)
	}
	if groupAlive(orphan) {
		t.Errorf("the taken-back gateway's group %d is left after quit", orphan)
	}
}

func TestRecordWithAnotherStartTimeIsAdoptedNeverStopped(t *testing.T) {
	port := freePort(t)
	dir := writeFakeDist(t, port)
	// A gateway someone else started (here a supervisor with no record)...
	other := startSupervisor(t, fastConfig(t, dir, childEnv+"=fake"))
	theirs := waitFor(t, other.Supervisor, 20*time.Second, "the other gateway Running", inState(Running))
	// ... whose pid a record names, from a process that had it before.
	state := t.TempDir()
	start, err := procStart(theirs.PID)
	if err != nil {
		t.Fatal(err)
	}
	stale := record{PID: theirs.PID, PGID: theirs.PID, Start: start + "0", Dir: dir, Port: port, Scheme: "http", Started: time.Now()}
	b, _ := json.Marshal(stale)
	if err := os.WriteFile(filepath.Join(state, RecordFile), b, 0o600); err != nil {
		t.Fatal(err)
	}

	c := fastConfig(t, dir, childEnv+"=fake")
	c.StateDir = state
	r := startSupervisor(t, c)
	st := waitFor(t, r.Supervisor, 20*time.Second, "Adopted", inState(Adopted))
	if st.PID != 0 {
		t.Errorf("adopted status %+v", st)
	}
	r.Restart() // not ours to restart: the port is only checked again
	waitFor(t, r.Supervisor, 20*time.Second, "Adopted after Restart", inState(Adopted))
	if err := r.quit(t); err != nil {
		t.Fatal(err)
	}
	if !processAlive(theirs.PID) || getRoot(t, "http", port) != http.StatusFound {
		t.Errorf("the other program's gateway %d was stopped", theirs.PID)
	}
	if _, err := os.Stat(filepath.Join(state, RecordFile)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the stale record is left (%v)", err)
	}
}

func TestOurGatewayFromAnotherFolderIsStoppedNotLeftRunning(t *testing.T) {
	// The demo runs from a new temporary folder each time: the gateway a
	// killed demo left must not run on for ever.
	state := t.TempDir()
	oldPort := freePort(t)
	orphan := killedApp(t, writeFakeDist(t, oldPort), state, childEnv+"=fake")

	port := freePort(t)
	c := fastConfig(t, writeFakeDist(t, port), childEnv+"=fake")
	c.StateDir = state
	r := startSupervisor(t, c)
	st := waitFor(t, r.Supervisor, 20*time.Second, "Running", inState(Running))
	if st.PID == orphan || st.Port != port {
		t.Errorf("status %+v; want a new gateway on %d", st, port)
	}
	if groupAlive(orphan) {
		t.Errorf("the gateway %d an earlier run started from another folder is still running", orphan)
	}
}

func TestCheckRecordTellsOursFromAReusedPID(t *testing.T) {
	dir := t.TempDir()
	d := Dist{Dir: dir, SSL: true}
	me := os.Getpid()
	start, err := procStart(me)
	if err != nil {
		t.Fatal(err)
	}
	cwd, _ := os.Getwd()
	here := Dist{Dir: cwd, SSL: true}
	tests := []struct {
		name string
		r    record
		d    Dist
		want recorded
	}{
		{"no record", record{}, d, recordNone},
		{"same pid, same start, in the folder", record{PID: me, Start: start, Port: 5000, Scheme: "https"}, here, recordOurs},
		{"same pid, another start time", record{PID: me, Start: start + "1", Port: 5000, Scheme: "https"}, here, recordGone},
		{"same pid and start, another folder", record{PID: me, Start: start, Port: 5000, Scheme: "https"}, d, recordOursOld},
		{"same pid and start, another port", record{PID: me, Start: start, Port: 5001, Scheme: "https"}, here, recordOursOld},
		{"a pid that is gone", record{PID: 1 << 30, Start: start, Port: 5000, Scheme: "https"}, here, recordGone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := checkRecord(tt.r, tt.d, 5000); got != tt.want {
				t.Errorf("checkRecord = %d, want %d", got, tt.want)
			}
		})
	}
}
