package gateway

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"time"
)

// proc is one started gateway: run.sh and, below it, java.
type proc struct {
	cmd    *exec.Cmd
	pid    int           // run.sh's pid, also the process group id
	exited chan struct{} // closed once run.sh has exited and been reaped
	err    error         // cmd.Wait's answer, set before exited closes
	// record is the file naming it in the state folder ("" = none),
	// removed once it is stopped.
	record string
	// started is when an earlier run of the app started it (taken back).
	started time.Time
}

// exitStatus says how run.sh ended, e.g. "exit status 1"; call after exited.
func (p *proc) exitStatus() string {
	if p.err == nil {
		return "exit status 0"
	}
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		return ee.ProcessState.String()
	}
	return p.err.Error()
}

// spawn starts run.sh CONF from the distribution root in a new process
// group, its output going to the log, the ring and the log file, and
// records it in the state folder.
func (s *Supervisor) spawn(d Dist, conf string, port int) (*proc, error) {
	if ending() {
		return nil, errEnding
	}
	script := filepath.Join(d.Dir, d.RunScript)
	st, err := os.Stat(script)
	if err != nil {
		return nil, fmt.Errorf("cannot start the gateway: %w", err)
	}
	cmd := startCommand(script, uint32(st.Mode().Perm()), conf)
	cmd.Dir = d.Dir // the gateway resolves conf and logs/ from here
	cmd.Env = s.childEnv()
	newGroup(cmd)
	// Pipes as files, not io.Writers: exec then does not wait for the
	// copying, which would last as long as an orphaned java holds them.
	outR, outW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		outR.Close()
		outW.Close()
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = outW, errW
	err = cmd.Start()
	outW.Close()
	errW.Close()
	if err != nil {
		outR.Close()
		errR.Close()
		return nil, fmt.Errorf("cannot start %s: %w; check that it is executable and that the folder is a complete gateway distribution", script, err)
	}
	p := &proc{cmd: cmd, pid: cmd.Process.Pid, exited: make(chan struct{})}
	if !register(p) { // the app began exiting while this one started
		_ = killGroup(p.pid)
	}
	s.writeRecord(p, d, port)
	s.readOutput(outR, "stdout")
	s.readOutput(errR, "stderr")
	Go(func() {
		p.err = cmd.Wait()
		close(p.exited)
	})
	s.log.Debug("gateway started", "pid", p.pid, "script", script, "conf", conf, "dir", d.Dir)
	return p, nil
}

// readOutput copies the gateway's output line by line into the
// sub-logger, the ring and the log file.
func (s *Supervisor) readOutput(r *os.File, stream string) {
	s.outputs.Add(1)
	Go(func() {
		defer s.outputs.Done()
		defer r.Close()
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			s.output.add(line)
			s.outLog.Info(line, "stream", stream)
			if s.file != nil {
				_, _ = fmt.Fprintf(s.file, "%s %s %s\n", time.Now().Format(time.RFC3339Nano), stream, line)
			}
		}
		_, _ = io.Copy(io.Discard, r) // after an overlong line: keep the pipe drained
	})
}

// waitOutputs waits a little for the output readers to see the end of
// the pipes, so the last lines reach the log before it is closed.
func (s *Supervisor) waitOutputs(d time.Duration) {
	done := make(chan struct{})
	Go(func() {
		s.outputs.Wait()
		close(done)
	})
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
	}
}

// secretName matches environment variables that must not reach the child.
var secretName = regexp.MustCompile(`(?i)(PASSW|SECRET|TOTP|TOKEN|CREDENTIAL|API_?KEY)`)

// childEnv is a copy of the app's environment without anything that looks
// like a secret, with JAVA_HOME and PATH leading to the Java found, and
// Config.Env added.
func (s *Supervisor) childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if secretName.MatchString(name) {
			continue
		}
		if s.java.Home != "" && (name == "JAVA_HOME" || name == "PATH") {
			continue
		}
		env = append(env, kv)
	}
	if s.java.Home != "" {
		env = append(env, "JAVA_HOME="+s.java.Home,
			"PATH="+filepath.Join(s.java.Home, "bin")+string(os.PathListSeparator)+os.Getenv("PATH"))
	}
	return append(env, s.cfg.Env...)
}

// noteExit records how the process ended.
func (s *Supervisor) noteExit(p *proc) {
	st := p.exitStatus()
	s.log.Warn("gateway exited", "pid", p.pid, "status", st)
	s.update(func(s *Status) { s.LastExit = st })
}

// stopError is a gateway that could not be stopped: processes of its
// group are left.
type stopError struct{ err error }

func (e stopError) Error() string { return e.err.Error() }

// stop ends the whole process group by stopSteps (on unix: SIGTERM, up to
// StopWait for every process of it to go, then SIGKILL), and checks that
// none is left (the real run.sh leaves java orphaned when only bash is
// signalled).
func (s *Supervisor) stop(p *proc) error {
	start := time.Now()
	steps := stopSteps(runtime.GOOS, p.pid, s.cfg.StopWait)
	for i, st := range steps {
		if i > 0 {
			s.log.Warn("the gateway did not stop; killing it", "pid", p.pid, "waited", steps[i-1].wait)
		}
		if err := runStopStep(st, p.pid); err != nil {
			s.log.Debug("stopping the gateway's group failed", "pid", p.pid, "step", i+1, "err", err)
		}
		if s.waitGroupGone(p, st.wait) {
			s.log.Debug("gateway stopped", "pid", p.pid, "took", time.Since(start))
			stopped(p)
			return nil
		}
	}
	err := stopError{fmt.Errorf("the gateway (process group %d) could not be stopped; end its processes by hand (%s)", p.pid, steps[len(steps)-1].byHand)}
	s.log.Error("gateway left running", "pid", p.pid, "err", err)
	return err
}

// waitGroupGone polls until run.sh has been reaped and no process of its
// group is left.
func (s *Supervisor) waitGroupGone(p *proc, d time.Duration) bool {
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	// Polling the process table: the group's other members send no event.
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-p.exited:
			if !groupAlive(p.pid) {
				return true
			}
		default:
		}
		select {
		case <-tick.C:
		case <-deadline.C:
			return false
		}
	}
}
