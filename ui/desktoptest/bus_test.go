package desktoptest

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

func TestStartBusIsPrivateAndActivatesNothing(t *testing.T) {
	before := os.Getenv("DBUS_SESSION_BUS_ADDRESS")
	bus := StartBus(t)
	if got := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); got != bus.Address || got == before {
		t.Fatalf("DBUS_SESSION_BUS_ADDRESS = %q, want the private bus %q", got, bus.Address)
	}
	c := bus.Conn(t)
	start := time.Now()
	err := c.Object(SecretsName, "/org/freedesktop/secrets").Call("org.freedesktop.DBus.Peer.Ping", 0).Err
	var de dbus.Error
	if !asDBusError(err, &de) || de.Name != "org.freedesktop.DBus.Error.ServiceUnknown" {
		t.Fatalf("a call to an absent name: err = %v, want ServiceUnknown (nothing activatable)", err)
	}
	if time.Since(start) > time.Second {
		t.Errorf("the call took %v; with nothing to activate it should fail at once", time.Since(start))
	}
}

func TestStartBusDropsTheSharedConnectionAtCleanup(t *testing.T) {
	var first *dbus.Conn
	t.Run("first bus", func(t *testing.T) {
		StartBus(t)
		c, err := dbus.SessionBus()
		if err != nil {
			t.Fatal(err)
		}
		first = c
	})
	if first.Connected() {
		t.Fatal("the shared session connection to the stopped bus is still open")
	}
	StartBus(t)
	c, err := dbus.SessionBus()
	if err != nil || c == first || !c.Connected() {
		t.Fatalf("SessionBus after a new bus = %p (%v), want a fresh connection", c, err)
	}
}

// recordingTB records Skip and Fatal instead of acting on them.
type recordingTB struct {
	testing.TB
	skipped, failed string
}

func (r *recordingTB) Helper()           {}
func (r *recordingTB) Skip(args ...any)  { r.skipped = fmt.Sprint(args...) }
func (r *recordingTB) Fatal(args ...any) { r.failed = fmt.Sprint(args...) }

func TestRequireToolsSkipsOrFailsNamingThePackage(t *testing.T) {
	cases := []struct {
		require string
		skip    bool
	}{{"", true}, {"0", true}, {"1", false}}
	for _, tc := range cases {
		t.Run("IBKR_TRAY_REQUIRE_DESKTOP="+tc.require, func(t *testing.T) {
			t.Setenv(requireEnv, tc.require)
			r := &recordingTB{TB: t}
			RequireTools(r, "gnome-keyring-daemon-that-is-not-there", "sh")
			msg := r.failed
			if tc.skip {
				msg = r.skipped
			}
			if msg == "" || (tc.skip && r.failed != "") || (!tc.skip && r.skipped != "") {
				t.Fatalf("skipped %q, failed %q; want skip=%v", r.skipped, r.failed, tc.skip)
			}
			if !strings.Contains(msg, "gnome-keyring-daemon-that-is-not-there") || strings.Contains(msg, "sh (") {
				t.Errorf("message %q should name only the missing tool", msg)
			}
		})
	}
	r := &recordingTB{TB: t}
	RequireTools(r, "sh")
	if r.skipped != "" || r.failed != "" {
		t.Errorf("an installed tool made the test skip or fail")
	}
}
