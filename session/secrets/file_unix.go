//go:build !windows

package secrets

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// openNoFollow opens path for reading, failing (ELOOP) when it is a
// symbolic link.
func openNoFollow(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
}

func isSymlinkError(err error) bool { return errors.Is(err, syscall.ELOOP) }

// checkPrivate refuses a secrets file that is not a regular file owned by
// this user with mode 0600 or stricter.
func checkPrivate(path string, info fs.FileInfo) error {
	if !info.Mode().IsRegular() {
		return newError(ErrInsecureFile, fmt.Sprintf("The secrets file %s is not a regular file; name a file.", path), nil)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		return newError(ErrInsecureFile, fmt.Sprintf(
			"The secrets file %s has mode %04o, so other users can read it; run `chmod 600 %s` (and consider changing the password).",
			path, perm, path), nil)
	}
	if st, ok := info.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Getuid() {
		return newError(ErrInsecureFile, fmt.Sprintf(
			"The secrets file %s belongs to another user (uid %d); use a file of your own.", path, st.Uid), nil)
	}
	return nil
}
