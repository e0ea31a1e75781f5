// Package profiles lists, adds, renames and removes the app's settings
// profiles, and checks that several profiles run side by side without
// colliding (ports, status addresses, gateway URLs). It has no GUI: the
// tray's settings window, the headless runner and `ibkr-tray profiles` share
// it.
//
// A profile is a settings file where config.PathsFor puts it: the default
// at ~/.config/ibkr-tray/config.json, every other under
// ~/.config/ibkr-tray/profiles/NAME/config.json, with its state folder,
// lock and control socket beside the default's.
package profiles

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ibkr-tray/ibkr-tray/session/secrets"
	"github.com/ibkr-tray/ibkr-tray/ui/config"
	"github.com/ibkr-tray/ibkr-tray/ui/runner"
)

// Profile is one profile's folders and settings, as CheckApart compares them.
type Profile struct {
	Paths  config.Paths
	Config config.Config
}

// Open reads a profile's settings (config.OpenWithEnv: the file, with the
// IBKR_TRAY_* variables over it). The warnings are sentences to show.
func Open(name string) (Profile, []string, error) {
	paths, err := config.PathsFor(name)
	if err != nil {
		return Profile{}, nil, err
	}
	c, warnings, err := config.OpenWithEnv(paths.ConfigFile)
	return Profile{Paths: paths, Config: c}, warnings, err
}

// List returns the profiles that have a settings file: "default" first if
// it exists, then the others by name. No profile at all is an empty list
// (the caller then runs the default with its defaults).
func List() ([]string, error) {
	def, err := config.PathsFor(config.DefaultProfile)
	if err != nil {
		return nil, err
	}
	var names []string
	if exists(def.ConfigFile) {
		names = append(names, config.DefaultProfile)
	}
	dir := profilesDir(def)
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("cannot read the profiles folder %s: %w", dir, err)
	}
	var others []string
	for _, e := range entries {
		name := e.Name()
		if !e.IsDir() || name == config.DefaultProfile {
			continue
		}
		p, err := config.PathsFor(name)
		if err != nil {
			continue // a folder the app did not make: not a profile
		}
		if exists(p.ConfigFile) {
			others = append(others, name)
		}
	}
	slices.Sort(others)
	return append(names, others...), nil
}

// profilesDir is ~/.config/ibkr-tray/profiles.
func profilesDir(def config.Paths) string {
	return filepath.Join(filepath.Dir(def.ConfigFile), "profiles")
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// Add creates a profile's settings file: the defaults, with a status
// address no other profile uses (127.0.0.1:5480, then 5482, 5483...: 5481
// is the demo's) and no gateway folder yet, for the user to choose. It
// refuses a name already taken or not allowed.
func Add(name string) (config.Config, error) {
	paths, err := config.PathsFor(name)
	if err != nil {
		return config.Config{}, fmt.Errorf("cannot add the profile: the %v", err)
	}
	if err := notDemo(paths.Profile); err != nil {
		return config.Config{}, err
	}
	if exists(paths.ConfigFile) {
		return config.Config{}, fmt.Errorf("a profile named %q already exists (its settings are %s); choose another name", name, paths.ConfigFile)
	}
	used, err := statusPortsInUse("")
	if err != nil {
		return config.Config{}, err
	}
	c := config.Default()
	c.StatusAddr = FreeStatusAddr(used)
	if err := c.Save(paths.ConfigFile); err != nil {
		return config.Config{}, fmt.Errorf("cannot add the profile %q: %w", name, err)
	}
	return c, nil
}

// notDemo refuses the demo's profile names (demo, demo-live, demo-paper...):
// a profile of that name would share the demo's lock and state folder.
func notDemo(name string) error {
	if name == runner.DemoProfile || strings.HasPrefix(name, runner.DemoProfile+"-") {
		return fmt.Errorf("the profile name %q is kept for the demo mode; choose another name", name)
	}
	return nil
}

// FreeStatusAddr is the first of 127.0.0.1:5480, 5482, 5483... whose port
// is not in used (5481 is the demo's).
func FreeStatusAddr(used map[int]bool) string {
	for port := 5480; ; port++ {
		if port == demoStatusPort || used[port] {
			continue
		}
		return net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	}
}

var demoStatusPort = portOf(runner.DemoStatusAddr)

// statusPortsInUse are the status ports of every profile but except.
func statusPortsInUse(except string) (map[int]bool, error) {
	names, err := List()
	if err != nil {
		return nil, err
	}
	used := map[int]bool{}
	for _, n := range names {
		if n == except {
			continue
		}
		paths, err := config.PathsFor(n)
		if err != nil {
			continue
		}
		// Load, not Open: listing must not set a damaged file aside.
		c, _, _ := config.Load(paths.ConfigFile)
		if p := portOf(statusAddr(c)); p > 0 {
			used[p] = true
		}
	}
	return used, nil
}

// statusAddr is the address the runner will listen on.
func statusAddr(c config.Config) string {
	if c.StatusAddr == "" {
		return config.DefaultStatusAddr
	}
	return c.StatusAddr
}

// portOf is addr's port, or 0.
func portOf(addr string) int {
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(p)
	return n
}

// Running reports whether a copy of the app runs the profile: whether its
// control socket answers. (It does not try the lock: taking it, even for a
// moment, could make an app starting just then give up.)
func Running(paths config.Paths) (bool, error) {
	if !exists(paths.ControlSocket) {
		return false, nil
	}
	c, err := net.DialTimeout("unix", paths.ControlSocket, time.Second)
	if err != nil {
		return false, nil // a socket left by an app that was killed
	}
	c.Close()
	return true, nil
}

// holdIdle takes the profile's lock so that no copy starts it while it is
// renamed or removed; a profile that runs is refused with a sentence.
func holdIdle(paths config.Paths, doing string) (*runner.InstanceLock, error) {
	l, err := runner.Lock(paths.LockFile, paths.Profile)
	var running *runner.AlreadyRunningError
	if errors.As(err, &running) {
		return nil, fmt.Errorf("cannot %s the profile %q while it runs%s; quit the app running it (or stop `ibkr-tray headless --profile %s`) and try again", doing, paths.Profile, pidWords(running.PID), paths.Profile)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot %s the profile %q: %w", doing, paths.Profile, err)
	}
	return l, nil
}

func pidWords(pid int) string {
	if pid <= 0 {
		return ""
	}
	return fmt.Sprintf(" (pid %d)", pid)
}

// secretsWait bounds each keyring call of Rename and Remove.
const secretsWait = 30 * time.Second

// StoreFor is where a profile's credentials are: its secrets file when the
// settings name one, else the OS keyring.
func StoreFor(c config.Config) secrets.Store {
	if c.SecretsFile != "" {
		return secrets.File(c.SecretsFile)
	}
	return secrets.Keyring(secrets.DefaultTimeout)
}
