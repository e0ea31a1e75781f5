package desktoptest

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// Secret Service names (freedesktop.org Secret Service API).
const (
	SecretsName      = "org.freedesktop.secrets"
	secretsPath      = "/org/freedesktop/secrets"
	loginCollection  = "/org/freedesktop/secrets/collection/login"
	secretsInterface = "org.freedesktop.Secret.Service"
)

// keyringStartTimeout bounds the wait for the keyring to take its name.
const keyringStartTimeout = 15 * time.Second

// Keyring is a real gnome-keyring-daemon (secrets component only) on a
// test's private bus, with its keyrings in a fresh XDG_DATA_HOME.
type Keyring struct {
	bus    *Bus
	cmd    *exec.Cmd
	stderr *Buffer
}

// StartKeyring starts gnome-keyring-daemon on bus with a login keyring
// unlocked by password, and returns once the bus reports an owner of
// org.freedesktop.secrets (a client call before that would make D-Bus try
// to activate a second daemon). It is stopped at cleanup. Like StartBus it
// changes the environment (XDG_DATA_HOME), so the test cannot be parallel.
func StartKeyring(t testing.TB, bus *Bus, password string) *Keyring {
	t.Helper()
	RequireTools(t, "gnome-keyring-daemon")
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	control := t.TempDir()
	cmd := exec.Command("gnome-keyring-daemon", "--foreground", "--unlock",
		"--components=secrets", "--control-directory="+control)
	cmd.Env = append(os.Environ(), "DBUS_SESSION_BUS_ADDRESS="+bus.Address)
	cmd.Stdin = strings.NewReader(password) // --unlock reads it from stdin, never argv
	k := &Keyring{bus: bus, cmd: cmd, stderr: &Buffer{}}
	cmd.Stdout, cmd.Stderr = k.stderr, k.stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start gnome-keyring-daemon: %v", err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("gnome-keyring-daemon output: %s", k.stderr)
		}
	})
	bus.WaitForOwner(t, SecretsName, keyringStartTimeout, exited)
	return k
}

// StartLockedKeyring starts a keyring as StartKeyring does, then locks its
// login collection, as after a screen lock or a session start without
// PAM unlocking it.
func StartLockedKeyring(t testing.TB, bus *Bus) *Keyring {
	t.Helper()
	k := StartKeyring(t, bus, "test-keyring-password")
	k.Lock(t)
	return k
}

// Lock locks the login collection through the Secret Service Lock method.
func (k *Keyring) Lock(t testing.TB) {
	t.Helper()
	c := k.bus.Conn(t)
	var locked []dbus.ObjectPath
	var prompt dbus.ObjectPath
	err := c.Object(SecretsName, secretsPath).
		Call(secretsInterface+".Lock", 0, []dbus.ObjectPath{loginCollection}).
		Store(&locked, &prompt)
	if err != nil {
		t.Fatalf("lock the keyring: %v", err)
	}
	if len(locked) != 1 || locked[0] != loginCollection {
		t.Fatalf("the keyring locked %v, not the login collection (prompt %s)", locked, prompt)
	}
}

// Locked reports whether the login collection is locked.
func (k *Keyring) Locked(t testing.TB) bool {
	t.Helper()
	c := k.bus.Conn(t)
	v, err := c.Object(SecretsName, loginCollection).GetProperty("org.freedesktop.Secret.Collection.Locked")
	if err != nil {
		t.Fatalf("read the keyring's Locked property: %v", err)
	}
	locked, _ := v.Value().(bool)
	return locked
}
