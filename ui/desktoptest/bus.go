// Package desktoptest holds test-only helpers for the desktop parts: a
// private D-Bus session bus, a real gnome-keyring inside it, and checks that
// the tools are installed. It imports no Fyne.
package desktoptest

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// requireEnv makes missing tools fail the test instead of skipping it
// (make test sets it, so CI cannot pass by skipping).
const requireEnv = "IBKR_TRAY_REQUIRE_DESKTOP"

// toolPackages names the Debian package of each tool the helpers run.
var toolPackages = map[string]string{
	"dbus-daemon":          "dbus-daemon (or dbus)",
	"gnome-keyring-daemon": "gnome-keyring",
	"chromium":             "chromium",
	"Xvfb":                 "xvfb",
	"xdpyinfo":             "x11-utils",
	"xwininfo":             "x11-utils",
	"import":               "imagemagick",
}

// RequireDesktop needs dbus-daemon, gnome-keyring-daemon and chromium.
func RequireDesktop(t testing.TB) {
	t.Helper()
	RequireTools(t, "dbus-daemon", "gnome-keyring-daemon", "chromium")
}

// RequireTools skips the test when a tool is not on PATH, or fails it
// naming the package to install when IBKR_TRAY_REQUIRE_DESKTOP is "1".
func RequireTools(t testing.TB, tools ...string) {
	t.Helper()
	var missing []string
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			pkg := toolPackages[tool]
			if pkg == "" {
				pkg = tool
			}
			missing = append(missing, fmt.Sprintf("%s (package %s)", tool, pkg))
		}
	}
	if len(missing) == 0 {
		return
	}
	msg := "missing " + strings.Join(missing, ", ") + "; install it (apt-get install ...) to run this test"
	if os.Getenv(requireEnv) == "1" {
		t.Fatal(msg)
		return
	}
	t.Skip(msg)
}

// busConfig is a session bus with nothing activatable: no servicedirs, so
// a call to a missing name fails at once instead of starting some daemon
// (a second, locked keyring; a notification server).
const busConfig = `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=%s</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`

// Bus is a private session bus for one test.
type Bus struct {
	// Address is the bus address (also in DBUS_SESSION_BUS_ADDRESS).
	Address string

	cmd    *exec.Cmd
	stderr *Buffer
}

// StartBus starts a private dbus-daemon, points DBUS_SESSION_BUS_ADDRESS at
// it for the rest of the test (so the test cannot be parallel), and stops it
// at cleanup.
func StartBus(t testing.TB) *Bus {
	t.Helper()
	RequireTools(t, "dbus-daemon")
	dir := t.TempDir()
	conf := filepath.Join(dir, "bus.conf")
	if err := os.WriteFile(conf, fmt.Appendf(nil, busConfig, dir), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("dbus-daemon", "--nofork", "--print-address", "--config-file="+conf)
	// A pipe of our own rather than StdoutPipe: Wait would close that one
	// under the reader.
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	b := &Bus{cmd: cmd, stderr: &Buffer{}}
	cmd.Stdout, cmd.Stderr = w, b.stderr
	err = cmd.Start()
	w.Close()
	if err != nil {
		r.Close()
		t.Fatalf("start dbus-daemon: %v", err)
	}
	t.Cleanup(func() { stopProcess(cmd); r.Close() })

	addr := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(r).ReadString('\n')
		addr <- strings.TrimSpace(line)
	}()
	select {
	case b.Address = <-addr:
	case <-time.After(10 * time.Second):
		t.Fatalf("dbus-daemon printed no address within 10 s; its output: %s", b.stderr)
	}
	if b.Address == "" {
		t.Fatalf("dbus-daemon printed no address; its output: %s", b.stderr)
	}
	// Registered after the stop above, so it runs first: the environment
	// still names the dead bus while the shared connection is dropped.
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", b.Address)
	t.Cleanup(func() {
		stopProcess(cmd)
		dropSharedSessionBus()
	})
	return b
}

// Conn opens a private connection to the bus, closed at cleanup.
func (b *Bus) Conn(t testing.TB) *dbus.Conn {
	t.Helper()
	c, err := dbus.Connect(b.Address)
	if err != nil {
		t.Fatalf("connect to the test bus: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// HasOwner asks the bus whether name has an owner.
func (b *Bus) HasOwner(c *dbus.Conn, name string) (bool, error) {
	var has bool
	err := c.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, name).Store(&has)
	return has, err
}

// WaitForOwner waits until name has an owner on the bus, failing the test
// after timeout or when exited closes first (the owner died).
func (b *Bus) WaitForOwner(t testing.TB, name string, timeout time.Duration, exited <-chan struct{}) {
	t.Helper()
	c := b.Conn(t)
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		has, err := b.HasOwner(c, name)
		if err == nil && has {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s has no owner on the test bus after %v (last error: %v)", name, timeout, err)
		}
		select {
		case <-exited:
			t.Fatalf("the process that should own %s exited first", name)
		case <-tick.C:
		}
	}
}

// dropSharedSessionBus closes godbus's shared session connection when it
// still points at a bus that is gone, so the next test's code (go-keyring
// uses the shared connection) connects to that test's bus.
func dropSharedSessionBus() {
	if c, err := dbus.SessionBus(); err == nil {
		c.Close()
	}
}

// stopProcess kills a helper process and reaps it (idempotent).
func stopProcess(cmd *exec.Cmd) {
	if cmd.Process == nil || cmd.ProcessState != nil {
		return
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
}

// asDBusError is errors.As for the dbus.Error value type.
func asDBusError(err error, target *dbus.Error) bool {
	return errors.As(err, target)
}
