//go:build unix

package gateway

import (
	"errors"
	"os/exec"
	"syscall"
)

// newGroup makes the child the leader of a new process group, so that
// stopping reaches java too: run.sh does not exec it.
func newGroup(cmd *exec.Cmd) { cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} }

// runStopStep sends the step's signal to the group.
func runStopStep(st stopStep, pgid int) error { return signalGroup(pgid, st.signal) }

func signalGroup(pgid int, sig syscall.Signal) error {
	if pgid <= 1 {
		return errors.New("no process group to signal")
	}
	err := syscall.Kill(-pgid, sig)
	if errors.Is(err, syscall.ESRCH) {
		return nil // nothing left
	}
	return err
}

// startCommand is how run.sh is started: directly when it is executable,
// else through bash (a zip tool may have dropped the executable bit).
func startCommand(script string, mode uint32, conf string) *exec.Cmd {
	if mode&0o111 != 0 {
		return exec.Command(script, conf)
	}
	return exec.Command("bash", script, conf)
}
