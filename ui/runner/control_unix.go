//go:build unix

package runner

import (
	"fmt"
	"os"
	"syscall"
)

// makePrivate checks that dir is a real folder of this user and sets its
// mode to 0700, so no other user can reach the socket inside.
func makePrivate(dir string) error {
	info, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("cannot check the folder of the control socket %s: %w", dir, err)
	}
	if !info.IsDir() {
		return fmt.Errorf("%s should be a folder for ibkr-tray's control socket but is a link or a file; remove it and start again", dir)
	}
	if st, ok := info.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Geteuid() {
		return fmt.Errorf("the folder %s for ibkr-tray's control socket belongs to another user (uid %d); remove it and start again", dir, st.Uid)
	}
	if info.Mode().Perm() != 0o700 {
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("cannot make the folder %s of the control socket private: %w", dir, err)
		}
	}
	return nil
}

// privateSocket sets the socket's mode to 0600. The folder already keeps
// others out; the socket's own mode does too, should the folder be opened.
func privateSocket(path string) error { return os.Chmod(path, 0o600) }
