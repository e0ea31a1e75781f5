//go:build unix && !linux

package gateway

import (
	"errors"
	"syscall"
)

// groupAlive reports whether any process is left in the group. Without
// /proc, signal 0 to the group tells (zombies count until reaped).
func groupAlive(pgid int) bool {
	err := syscall.Kill(-pgid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// processAlive reports whether pid exists.
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
