package gateway

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ibkr-tray/ibkr-tray/gateway/fsutil"
)

// RecordFile, in Config.StateDir, names the gateway the supervisor runs,
// so that after the app was killed (kill -9, a crash, an X error on quit)
// the next start takes it back instead of treating it as someone else's.
const RecordFile = "gateway.pid.json"

// record is what RecordFile holds.
type record struct {
	PID  int `json:"pid"`  // run.sh's pid
	PGID int `json:"pgid"` // its process group (the same on unix)
	// Start tells this process from a later one with the same pid (procStart).
	Start   string    `json:"start"`
	Dir     string    `json:"dir"` // the distribution it was started from
	Port    int       `json:"port"`
	Scheme  string    `json:"scheme"`
	Started time.Time `json:"started"`
}

// recordPath is where the record goes ("" = no state folder, no record).
func (s *Supervisor) recordPath() string {
	if s.cfg.StateDir == "" {
		return ""
	}
	return filepath.Join(s.cfg.StateDir, RecordFile)
}

// writeRecord records a gateway just started. Without a start time (not
// Linux) nothing is recorded: it could never be told from a reused pid.
func (s *Supervisor) writeRecord(p *proc, d Dist, port int) {
	path := s.recordPath()
	if path == "" {
		return
	}
	start, err := procStart(p.pid)
	if err != nil {
		s.log.Debug("the gateway is not recorded: its start time is unknown", "pid", p.pid, "err", err)
		return
	}
	b, _ := json.MarshalIndent(record{PID: p.pid, PGID: p.pid, Start: start, Dir: d.Dir, Port: port, Scheme: d.Scheme(), Started: s.cfg.Clock.Now()}, "", "  ")
	if err = os.MkdirAll(s.cfg.StateDir, 0o700); err == nil {
		err = fsutil.WriteFile(path, append(b, '\n'), 0o600)
	}
	if err != nil {
		s.log.Warn("cannot record the gateway started; if the app is killed, its next start will not stop this gateway", "file", path, "err", err)
		return
	}
	p.record = path
}

// removeRecord forgets a gateway that is gone.
func removeRecord(path string) {
	if path != "" {
		_ = os.Remove(path)
	}
}

// readRecord reads the record; none is (record{}, nil).
func readRecord(path string) (record, error) {
	var r record
	if path == "" {
		return r, nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return r, nil
	}
	if err != nil {
		return r, err
	}
	if err := json.Unmarshal(b, &r); err != nil || r.PID <= 1 {
		return record{}, fmt.Errorf("%s is not a gateway record", path)
	}
	return r, nil
}

// recorded is what the recorded gateway turned out to be.
type recorded int

const (
	recordNone    recorded = 1 // no record
	recordGone    recorded = 2 // its process is gone (or the pid is now another process)
	recordOurs    recorded = 3 // ours, from this distribution: take it back
	recordOursOld recorded = 4 // ours, from another folder or on another port: stop it
	recordUnknown recorded = 5 // alive, but its folder cannot be read: leave it
)

// checkRecord tells whether the recorded gateway still runs and is the
// process this app started: the same pid and the same start time, in
// this distribution and on this port.
func checkRecord(r record, d Dist, port int) recorded {
	if r.PID == 0 {
		return recordNone
	}
	if !processAlive(r.PID) {
		return recordGone
	}
	start, err := procStart(r.PID)
	if err != nil || start != r.Start {
		return recordGone // the pid was reused: never signal that process
	}
	cwd, err := procCwd(r.PID)
	if err != nil {
		return recordUnknown
	}
	if !inside(cwd, d.Dir) || r.Port != port || r.Scheme != d.Scheme() {
		return recordOursOld
	}
	return recordOurs
}

// inside reports whether path is dir or below it (symbolic links resolved).
func inside(path, dir string) bool {
	if d, err := filepath.EvalSymlinks(dir); err == nil {
		dir = d
	}
	if p, err := filepath.EvalSymlinks(path); err == nil {
		path = p
	}
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// errNotChild is how a taken-back gateway ended: it is not our child, so
// its exit status cannot be known.
var errNotChild = errors.New("exited (its exit status is unknown: it was started by an earlier run of the app)")

// takeBack makes a proc of a gateway an earlier run of the app started.
// It cannot be waited for, so a goroutine polls until its run.sh is gone.
func (s *Supervisor) takeBack(r record, path string) *proc {
	p := &proc{pid: r.PID, exited: make(chan struct{}), record: path}
	register(p) // false when the app is exiting: then it is only watched until stopped
	Go(func() {
		tick := time.NewTicker(10 * s.cfg.PollInterval) // 250ms: an exit need not be seen sooner
		defer tick.Stop()
		for range tick.C {
			if start, err := procStart(r.PID); err != nil || start != r.Start || !processAlive(r.PID) {
				p.err = errNotChild
				close(p.exited)
				return
			}
		}
	})
	return p
}

// reclaim handles the gateway recorded by an earlier run of the app: one
// of this distribution and port is returned, to be supervised again; one
// of ours with other settings is stopped; a record of a process that is
// gone, or whose pid is now another program's, is dropped.
func (s *Supervisor) reclaim(d Dist, port int) (*proc, error) {
	if ending() {
		return nil, needsUser{errEnding}
	}
	path := s.recordPath()
	r, err := readRecord(path)
	if err != nil {
		s.log.Warn("ignoring the gateway record", "err", err)
		removeRecord(path)
		return nil, nil
	}
	switch checkRecord(r, d, port) {
	case recordNone:
		return nil, nil
	case recordGone:
		s.log.Debug("the gateway recorded by an earlier run has gone", "pid", r.PID)
		removeRecord(path)
		return nil, nil
	case recordUnknown:
		s.log.Warn("the gateway recorded by an earlier run still runs, but its folder cannot be read; it is left alone", "pid", r.PID)
		removeRecord(path)
		return nil, nil
	case recordOursOld:
		s.log.Info("stopping the gateway an earlier run of the app started with other settings", "pid", r.PID, "dir", r.Dir, "port", r.Port)
		return nil, s.stop(s.takeBack(r, path))
	}
	s.log.Info("taking back the gateway an earlier run of the app started", "pid", r.PID, "port", r.Port, "started", r.Started)
	p := s.takeBack(r, path)
	p.started = r.Started
	return p, nil
}
