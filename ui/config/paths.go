package config

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
)

// DefaultProfile is the profile used when none is named.
const DefaultProfile = "default"

// Paths are the per-user folders and files of one profile.
type Paths struct {
	Profile string
	// ConfigFile is the settings file.
	ConfigFile string
	// StateDir holds logs, the login attempt counters and diagnostics.
	StateDir string
	// LockFile keeps a second copy of the app from running for this profile.
	LockFile string
	// ControlSocket is the unix socket of the running app's commands and
	// detailed status, in a folder only the user may open.
	ControlSocket string
}

// GatewayLog is the rotating log of the gateway's output.
func (p Paths) GatewayLog() string { return filepath.Join(p.StateDir, "gateway.log") }

// AppLog is the app's own log.
func (p Paths) AppLog() string { return filepath.Join(p.StateDir, "app.log") }

// SessionState holds the login attempt counters across restarts.
func (p Paths) SessionState() string { return filepath.Join(p.StateDir, "session-state.json") }

// Diagnostics holds screenshots and page HTML of failed logins.
func (p Paths) Diagnostics() string { return filepath.Join(p.StateDir, "diagnostics") }

var profileName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// PathsFor returns the folders of a profile, following the XDG base
// directory rules on Linux and the usual places elsewhere.
func PathsFor(profile string) (Paths, error) {
	if profile == "" {
		profile = DefaultProfile
	}
	if !profileName.MatchString(profile) {
		return Paths{}, fmt.Errorf("profile name %q may only use letters, digits, - and _", profile)
	}
	cfg, err := os.UserConfigDir()
	if err != nil {
		return Paths{}, fmt.Errorf("cannot find your settings folder: %w", err)
	}
	base := filepath.Join(cfg, "ibkr-tray")
	if profile != DefaultProfile {
		base = filepath.Join(base, "profiles", profile)
	}
	state, err := stateHome()
	if err != nil {
		return Paths{}, err
	}
	return Paths{
		Profile:       profile,
		ConfigFile:    filepath.Join(base, "config.json"),
		StateDir:      filepath.Join(state, "ibkr-tray", profile),
		LockFile:      filepath.Join(runtimeDir(state), "ibkr-tray", profile+".lock"),
		ControlSocket: filepath.Join(runtimeDir(state), "ibkr-tray", profile+".sock"),
	}, nil
}

// stateHome is $XDG_STATE_HOME on Linux (default ~/.local/state), and the
// user cache folder elsewhere.
func stateHome() (string, error) {
	if runtime.GOOS == "linux" || runtime.GOOS == "freebsd" {
		if d := os.Getenv("XDG_STATE_HOME"); filepath.IsAbs(d) {
			return d, nil
		}
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("cannot find your home folder: %w", err)
		}
		return filepath.Join(home, ".local", "state"), nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("cannot find a folder for logs: %w", err)
	}
	return d, nil
}

// runtimeDir is $XDG_RUNTIME_DIR when set (the user's own, cleared at
// logout, so a stale lock or socket cannot outlive a reboot), else the
// state folder. The app keeps its ibkr-tray folder in it at mode 0700.
func runtimeDir(state string) string {
	if d := os.Getenv("XDG_RUNTIME_DIR"); filepath.IsAbs(d) {
		return d
	}
	return state
}
