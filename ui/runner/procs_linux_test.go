package runner

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// procText is a process's command line and environment, NULs as spaces.
func procText(pid int) (comm, text string) {
	dir := filepath.Join("/proc", strconv.Itoa(pid))
	c, _ := os.ReadFile(filepath.Join(dir, "comm"))
	cmd, _ := os.ReadFile(filepath.Join(dir, "cmdline"))
	env, _ := os.ReadFile(filepath.Join(dir, "environ"))
	all := append(append(cmd, '\n'), env...)
	return strings.TrimSpace(string(c)), string(bytes.ReplaceAll(all, []byte{0}, []byte{' '}))
}

// procState is the state letter in /proc/PID/stat ("" when gone).
func procState(pid int) string {
	stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return ""
	}
	f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

// alive: the process exists and is not a zombie (in a container PID 1 may
// never reap an orphan, which is no process left running).
func alive(pid int) bool {
	s := procState(pid)
	return s != "" && s != "Z" && s != "X"
}
