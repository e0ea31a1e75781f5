//go:build windows

package gateway

import (
	"os/exec"
	"syscall"
)

// newGroup starts the child in a new process group, so that stopping it
// does not reach the app, and taskkill /T reaches java through run.bat.
func newGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{CreationFlags: syscall.CREATE_NEW_PROCESS_GROUP}
}

// runStopStep runs the step's command (taskkill /T /F on the tree).
func runStopStep(st stopStep, _ int) error { return exec.Command(st.cmd[0], st.cmd[1:]...).Run() }

// groupAlive reports whether the group's leader still runs; taskkill /T
// takes the tree with it.
func groupAlive(pid int) bool { return processAlive(pid) }

// processAlive reports whether pid still runs.
func processAlive(pid int) bool {
	const stillActive = 259
	h, err := syscall.OpenProcess(syscall.PROCESS_QUERY_INFORMATION, false, uint32(pid))
	if err != nil {
		return false
	}
	defer syscall.CloseHandle(h)
	var code uint32
	if err := syscall.GetExitCodeProcess(h, &code); err != nil {
		return false
	}
	return code == stillActive
}

// startCommand runs run.bat through cmd.exe.
func startCommand(script string, _ uint32, conf string) *exec.Cmd {
	return exec.Command("cmd.exe", "/c", script, conf)
}
