package runner

import (
	"fmt"
	"os"
	"path/filepath"
)

// InstanceLock keeps a second copy of the app from running for the same
// profile. Hold it for the life of the process.
type InstanceLock struct {
	f *os.File
}

// Lock takes the profile's lock (config.Paths.LockFile), or says that
// another copy already runs. The lock goes with the process, so a crash
// leaves none behind.
func Lock(path, profile string) (*InstanceLock, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("cannot create the folder for the lock file %s: %w", path, err)
	}
	f, held, err := lockFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot take the lock %s: %w", path, err)
	}
	if held {
		return nil, &AlreadyRunningError{Profile: profile, PID: holder(path)}
	}
	// The holder's pid, for the message another copy prints.
	_ = f.Truncate(0)
	_, _ = fmt.Fprintf(f, "%d\n", os.Getpid())
	return &InstanceLock{f: f}, nil
}

// AlreadyRunningError is Lock's answer when another copy holds the lock:
// the tray says it in its own words (errors.As).
type AlreadyRunningError struct {
	Profile string
	PID     int // 0 when the running copy wrote none
}

func (e *AlreadyRunningError) Error() string {
	return fmt.Sprintf("ibkr-tray is already running for profile %s%s; quit it first or use --profile", e.Profile, pidWords(e.PID))
}

// pidWords is " (pid N)", or "" for no pid.
func pidWords(pid int) string {
	if pid <= 0 {
		return ""
	}
	return fmt.Sprintf(" (pid %d)", pid)
}

// Release lets another copy start. The file stays: removing it could let
// two copies lock two different files.
func (l *InstanceLock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}

// holder reads the pid the running copy wrote, or 0.
func holder(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	var pid int
	if _, err := fmt.Sscan(string(b), &pid); err != nil || pid <= 0 {
		return 0
	}
	return pid
}
