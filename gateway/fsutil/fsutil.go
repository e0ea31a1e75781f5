// Package fsutil writes files so that a crash, a full disk or a power cut
// leaves either the old content or the new, never a part. The settings,
// the login-attempt record, the secrets file, the autostart entry and the
// gateway's port conf all go through WriteFile.
//
// It lives under gateway/ because that is where the app meets the local
// machine (processes, ports, files), and it imports only the standard
// library, so session/ and ui/ can use it without depending on the
// gateway supervisor.
package fsutil

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// WriteFile replaces path with data, atomically: a temporary file in the
// same folder is written, synced, given mode perm (exactly, whatever the
// umask), and renamed over path; then the folder is synced so the rename
// itself survives a power cut. On any error the old file is as it was and
// the temporary one is gone. A symbolic link at path is replaced by the
// file, not followed. The folder must exist.
func WriteFile(path string, data []byte, perm fs.FileMode) error {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err := f.Chmod(perm); err != nil && !errors.Is(err, errors.ErrUnsupported) {
		return err
	}
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := beforeRename(tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	ok = true
	return syncDir(dir)
}

// beforeRename lets tests stop a write where a crash would: the new
// content is on disk under the temporary name, not yet renamed.
var beforeRename = func(string) error { return nil }

// syncDir makes a rename in dir durable. Windows cannot open a folder for
// syncing (its renames are journaled by NTFS), so there it does nothing.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, errors.ErrUnsupported) {
		return err
	}
	return nil
}
