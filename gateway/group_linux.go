package gateway

import (
	"bytes"
	"os"
	"strconv"
)

// groupPIDs lists the live processes of a process group by reading
// /proc/*/stat. Zombies do not count (they only wait to be reaped), unless
// other threads of the process still exit: the leader of a multi-threaded
// process (java, a Go program) shows Z while the rest still hold its
// sockets.
func groupPIDs(pgid int) []int {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var pids []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// "pid (comm) state ppid pgrp ..."; comm may hold spaces and parens.
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		f := bytes.Fields(b[i+1:])
		if len(f) < 3 || dead(e.Name(), string(f[0])) {
			continue
		}
		if g, _ := strconv.Atoi(string(f[2])); g == pgid {
			pids = append(pids, pid)
		}
	}
	return pids
}

// groupAlive reports whether any live process is left in the group.
func groupAlive(pgid int) bool { return len(groupPIDs(pgid)) > 0 }

// processAlive reports whether pid is a live (not zombie) process.
func processAlive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(b, ')')
	f := bytes.Fields(b[i+1:])
	return len(f) > 0 && !dead(strconv.Itoa(pid), string(f[0]))
}

// dead reports whether a process in this state is gone for good: a
// zombie with no thread left but itself.
func dead(pid, state string) bool {
	if state == "X" {
		return true
	}
	if state != "Z" {
		return false
	}
	tasks, _ := os.ReadDir("/proc/" + pid + "/task")
	return len(tasks) <= 1
}
