package gateway

import (
	"bytes"
	"errors"
	"os"
	"strconv"
	"strings"
	"sync"
)

// procStart identifies a process beyond its pid, which the system reuses:
// the boot it runs in and its start time (field 22 of /proc/PID/stat, clock
// ticks since boot). Two processes never share both.
func procStart(pid int) (string, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return "", err
	}
	// "pid (comm) state ppid ..."; comm may hold spaces and parens.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return "", errors.New("unreadable /proc stat")
	}
	f := bytes.Fields(b[i+1:])
	const starttime = 22 - 3 // field 22; f[0] is field 3
	if len(f) <= starttime {
		return "", errors.New("short /proc stat")
	}
	boot, err := bootID()
	if err != nil {
		return "", err
	}
	return boot + "/" + string(f[starttime]), nil
}

// bootID names this boot of the machine; it is read once.
var bootID = sync.OnceValues(func() (string, error) {
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	return strings.TrimSpace(string(b)), err
})

// procCwd is a process's working directory.
func procCwd(pid int) (string, error) { return os.Readlink("/proc/" + strconv.Itoa(pid) + "/cwd") }
