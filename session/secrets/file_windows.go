//go:build windows

package secrets

import (
	"fmt"
	"io/fs"
	"os"
)

// openNoFollow opens path for reading. Windows has no O_NOFOLLOW; read
// checks for a link with Lstat first, and the opened file's Stat (which
// follows a link put in its place since) must still be a regular file.
func openNoFollow(path string) (*os.File, error) { return os.Open(path) }

func isSymlinkError(error) bool { return false }

// checkPrivate only checks that the file is a regular file: Windows has no
// Unix mode bits (its ACLs decide who reads the file; a file in the user's
// profile folder is private by default).
func checkPrivate(path string, info fs.FileInfo) error {
	if !info.Mode().IsRegular() {
		return newError(ErrInsecureFile, fmt.Sprintf("The secrets file %s is not a regular file; name a file.", path), nil)
	}
	return nil
}
