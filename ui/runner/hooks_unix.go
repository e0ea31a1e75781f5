//go:build unix

package runner

import (
	"os/exec"
	"syscall"
)

// ownGroup runs the hook in a process group of its own, so that its
// timeout kills what it started too (a script's children).
func ownGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
}
