//go:build windows

package secrets

import (
	"fmt"
	"io/fs"
)

// checkPrivate only checks that the file is a regular file: Windows has no
// Unix mode bits (its ACLs decide who reads the file; a file in the user's
// profile folder is private by default).
func checkPrivate(path string, info fs.FileInfo) error {
	if !info.Mode().IsRegular() {
		return newError(ErrInsecureFile, fmt.Sprintf("The secrets file %s is not a regular file; name a file.", path), nil)
	}
	return nil
}
