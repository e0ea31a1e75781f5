package profiles

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/ibkr-tray/ibkr-tray/session/secrets"
	"github.com/ibkr-tray/ibkr-tray/ui/autostart"
	"github.com/ibkr-tray/ibkr-tray/ui/config"
)

// Rename gives a profile another name: it moves its settings, its state
// folder (logs, login counters), its start-at-login entry and its stored
// credentials (read under the old name, written under the new, then
// deleted under the old) in store.
// It refuses while the profile runs. When a step fails the steps before it
// are undone, and the error says what happened and what to do.
func Rename(oldName, newName string, store secrets.Store) error {
	from, err := config.PathsFor(oldName)
	if err != nil {
		return fmt.Errorf("cannot rename the profile: the %v", err)
	}
	to, err := config.PathsFor(newName)
	if err != nil {
		return fmt.Errorf("cannot rename the profile %q: the new %v", from.Profile, err)
	}
	if err := notDemo(to.Profile); err != nil {
		return err
	}
	if from.Profile == to.Profile {
		return fmt.Errorf("the profile is already named %q", to.Profile)
	}
	if !exists(from.ConfigFile) {
		return fmt.Errorf("there is no profile named %q (no settings file %s); `ibkr-tray profiles` lists them", from.Profile, from.ConfigFile)
	}
	if exists(to.ConfigFile) {
		return fmt.Errorf("cannot rename %q to %q: a profile named %q already exists (%s); choose another name, or remove that profile first", from.Profile, to.Profile, to.Profile, to.ConfigFile)
	}
	if exists(to.StateDir) {
		return fmt.Errorf("cannot rename %q to %q: the state folder %s is left from an earlier profile %q; move or delete it, or choose another name", from.Profile, to.Profile, to.StateDir, to.Profile)
	}
	lock, err := holdIdle(from, "rename")
	if err != nil {
		return err
	}
	defer lock.Release()
	newLock, err := holdIdle(to, "rename to")
	if err != nil {
		return err
	}
	defer newLock.Release()

	// Read the credentials before anything moves: a locked keyring stops
	// the rename with nothing changed.
	ctx, cancel := context.WithTimeout(context.Background(), secretsWait)
	defer cancel()
	creds, err := store.Get(ctx, from.Profile)
	hasCreds := err == nil
	if err != nil && !errors.Is(err, secrets.ErrNotFound) {
		return fmt.Errorf("cannot rename the profile %q: its credentials in %s could not be read (%v); nothing was changed; unlock or start the keyring and try again", from.Profile, store.Where(), err)
	}

	var undo []func() error
	rollback := func(cause error) error {
		var failed []error
		for i := len(undo) - 1; i >= 0; i-- {
			if uerr := undo[i](); uerr != nil {
				failed = append(failed, uerr)
			}
		}
		if len(failed) > 0 {
			return fmt.Errorf("%v; undoing the rename failed too (%v): the profile is half renamed; check that %s and %s are where they were, and whether the credentials are under %q or %q in %s (`ibkr-tray secrets check --profile NAME`)",
				cause, errors.Join(failed...), from.ConfigFile, from.StateDir, from.Profile, to.Profile, store.Where())
		}
		return fmt.Errorf("%v; nothing was changed", cause)
	}

	back, err := moveSettings(from, to)
	if err != nil {
		return rollback(fmt.Errorf("cannot move the settings of %q to %q: %w", from.Profile, to.Profile, err))
	}
	undo = append(undo, back)
	if exists(from.StateDir) {
		if err := moveDir(from.StateDir, to.StateDir); err != nil {
			return rollback(fmt.Errorf("cannot move the state folder %s to %s: %w", from.StateDir, to.StateDir, err))
		}
		undo = append(undo, func() error { return os.Rename(to.StateDir, from.StateDir) })
	}
	// The start-at-login entry starts the profile by name.
	if oldEntry := (autostart.Entry{Profile: from.Profile}); oldEntry.Installed() {
		newEntry := autostart.Entry{Profile: to.Profile}
		if err := newEntry.Install(); err != nil {
			return rollback(fmt.Errorf("cannot move the start-at-login entry of %q (%v)", from.Profile, err))
		}
		undo = append(undo, newEntry.Remove)
		if err := oldEntry.Remove(); err != nil {
			return rollback(fmt.Errorf("cannot remove the start-at-login entry of %q (%v)", from.Profile, err))
		}
		undo = append(undo, oldEntry.Install)
	}
	if !hasCreds {
		return nil
	}
	if err := store.Set(ctx, to.Profile, creds); err != nil {
		return rollback(fmt.Errorf("cannot store the credentials under the new name %q in %s (%v)", to.Profile, store.Where(), err))
	}
	undo = append(undo, func() error { return store.Delete(ctx, to.Profile) })
	if err := store.Delete(ctx, from.Profile); err != nil {
		return rollback(fmt.Errorf("cannot delete the credentials under the old name %q in %s (%v)", from.Profile, store.Where(), err))
	}
	return nil
}

// moveSettings moves a profile's settings: a whole profiles/NAME folder
// between two named profiles, else only config.json (the default's folder
// holds every other profile). back undoes it.
func moveSettings(from, to config.Paths) (back func() error, err error) {
	fromDir, toDir := filepath.Dir(from.ConfigFile), filepath.Dir(to.ConfigFile)
	if from.Profile != config.DefaultProfile && to.Profile != config.DefaultProfile && !exists(toDir) {
		if err := moveDir(fromDir, toDir); err != nil {
			return nil, err
		}
		return func() error { return os.Rename(toDir, fromDir) }, nil
	}
	if err := os.MkdirAll(toDir, 0o700); err != nil {
		return nil, err
	}
	if err := os.Rename(from.ConfigFile, to.ConfigFile); err != nil {
		return nil, err
	}
	return func() error {
		if err := os.MkdirAll(fromDir, 0o700); err != nil {
			return err
		}
		return os.Rename(to.ConfigFile, from.ConfigFile)
	}, nil
}

// moveDir renames a folder, making the new one's parent.
func moveDir(from, to string) error {
	if err := os.MkdirAll(filepath.Dir(to), 0o700); err != nil {
		return err
	}
	return os.Rename(from, to)
}

// Remove deletes a profile: its settings, its state folder (logs, login
// counters, diagnostics), its start-at-login entry and its stored
// credentials in store. The caller
// asks the user first. It refuses while the profile runs.
func Remove(name string, store secrets.Store) error {
	paths, err := config.PathsFor(name)
	if err != nil {
		return fmt.Errorf("cannot remove the profile: the %v", err)
	}
	if !exists(paths.ConfigFile) && !exists(paths.StateDir) {
		return fmt.Errorf("there is no profile named %q (no settings file %s); `ibkr-tray profiles` lists them", paths.Profile, paths.ConfigFile)
	}
	lock, err := holdIdle(paths, "remove")
	if err != nil {
		return err
	}
	defer lock.Release()

	// Credentials first: if they cannot be deleted, the profile stays whole
	// and the user can try again.
	ctx, cancel := context.WithTimeout(context.Background(), secretsWait)
	defer cancel()
	if err := store.Delete(ctx, paths.Profile); err != nil && !errors.Is(err, secrets.ErrNotFound) {
		return fmt.Errorf("cannot remove the profile %q: its credentials in %s could not be deleted (%v); nothing was removed; unlock or start the keyring and try again", paths.Profile, store.Where(), err)
	}
	if paths.Profile == config.DefaultProfile {
		if err := os.Remove(paths.ConfigFile); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("cannot remove the profile %q: its credentials are deleted, but its settings file could not be (%v); delete %s by hand", paths.Profile, err, paths.ConfigFile)
		}
	} else if err := os.RemoveAll(filepath.Dir(paths.ConfigFile)); err != nil {
		return fmt.Errorf("cannot remove the profile %q: its credentials are deleted, but its settings folder could not be (%v); delete %s by hand", paths.Profile, err, filepath.Dir(paths.ConfigFile))
	}
	if err := (autostart.Entry{Profile: paths.Profile}).Remove(); err != nil {
		return fmt.Errorf("the profile %q is removed, but its start-at-login entry could not be (%v); turn it off in the tray's settings of another profile, or delete it by hand", paths.Profile, err)
	}
	if err := os.RemoveAll(paths.StateDir); err != nil {
		return fmt.Errorf("the profile %q is removed, but its state folder could not be (%v); delete %s by hand", paths.Profile, err, paths.StateDir)
	}
	return nil
}
