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
		pid := holder(path)
		return nil, fmt.Errorf("ibkr-tray is already running for profile %s%s; quit it first or use --profile", profile, pid)
	}
	// The holder's pid, for the message another copy prints.
	_ = f.Truncate(0)
	_, _ = fmt.Fprintf(f, "%d\n", os.Getpid())
	return &InstanceLock{f: f}, nil
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

// holder reads the pid the running copy wrote, as " (pid N)".
func holder(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	var pid int
	if _, err := fmt.Sscan(string(b), &pid); err != nil || pid <= 0 {
		return ""
	}
	return fmt.Sprintf(" (pid %d)", pid)
}
