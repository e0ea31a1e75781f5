package session

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/ibkr-tray/ibkr-tray/gateway/fsutil"
)

const capRecordVersion = 1

// loadCapRecord reads the login cap's record. A missing file is a fresh
// start; an unreadable one is an error (the caller then refuses automated
// logins, because the count is unknown).
func loadCapRecord(path string) (capRecord, error) {
	if path == "" {
		return capRecord{}, nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return capRecord{}, nil
	}
	if err != nil {
		return capRecord{}, fmt.Errorf("could not read the login attempt record %s: %w", path, err)
	}
	var r capRecord
	if err := json.Unmarshal(b, &r); err != nil {
		return capRecord{}, fmt.Errorf("the login attempt record %s is damaged (%v)", path, err)
	}
	if r.Version > capRecordVersion {
		return capRecord{}, fmt.Errorf("the login attempt record %s was written by a newer version of ibkr-tray", path)
	}
	return r, nil
}

// saveCapRecord writes the record atomically (fsutil.WriteFile: a
// temporary file in the same folder, synced, renamed over the old one, the
// folder synced) with mode 0600, so a crash leaves either the old record or
// the new one.
func saveCapRecord(path string, r capRecord) error {
	if path == "" {
		return nil
	}
	r.Version = capRecordVersion
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("could not create the folder for the login attempt record: %w", err)
	}
	if err := fsutil.WriteFile(path, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("could not write the login attempt record %s: %w", path, err)
	}
	return nil
}
