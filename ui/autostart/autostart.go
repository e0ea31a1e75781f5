// Package autostart starts the tray app when the user logs in: an XDG
// autostart entry on Linux, a LaunchAgent on macOS, the per-user Run key on
// Windows. It has no Fyne, so it builds (and vets) for every OS here.
package autostart

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/ibkr-tray/ibkr-tray/gateway/fsutil"
	"github.com/ibkr-tray/ibkr-tray/ui/config"
)

// DesktopEntryID names the app to the desktop (autostart entry,
// notifications).
const DesktopEntryID = "ibkr-tray"

// Entry is the start-at-login entry of one profile.
type Entry struct {
	// Profile is passed back as --profile (the default one is left out).
	Profile string
	// Exe is the program to start; "" = this executable.
	Exe string
}

// Installed reports what is really there, so the menu's check mark never
// lies. An error reading it counts as not installed.
func (a Entry) Installed() bool { return a.installed() }

// Install adds the entry, replacing an older one.
func (a Entry) Install() error { return a.install() }

// Remove deletes the entry; a missing one is not an error.
func (a Entry) Remove() error { return a.remove() }

// Set installs or removes.
func (a Entry) Set(on bool) error {
	if on {
		return a.Install()
	}
	return a.Remove()
}

// args is the command line the entry runs.
func (a Entry) args() ([]string, error) {
	exe := a.Exe
	if exe == "" {
		var err error
		if exe, err = os.Executable(); err != nil {
			return nil, err
		}
	}
	args := []string{exe}
	if a.Profile != "" && a.Profile != config.DefaultProfile {
		args = append(args, "--profile", a.Profile)
	}
	return args, nil
}

// name is the entry's name, one per profile.
func (a Entry) name() string {
	if a.Profile == "" || a.Profile == config.DefaultProfile {
		return DesktopEntryID
	}
	return DesktopEntryID + "-" + a.Profile
}

// writeEntry writes a file-based entry (what: "the autostart entry"),
// creating its folder.
func writeEntry(path, what string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("cannot create the folder for %s (%s): %w", what, filepath.Dir(path), err)
	}
	if err := fsutil.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("cannot write %s: %w", what, err)
	}
	return nil
}

// removeEntry deletes a file-based entry; a missing one is not an error.
func removeEntry(path, what string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("cannot remove %s %s: %w", what, path, err)
	}
	return nil
}
