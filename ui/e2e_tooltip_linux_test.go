package ui

import (
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/ibkr-tray/ibkr-tray/ui/desktoptest"
)

// startTrayOverDBus runs the tray app (fake backend) on a private bus and
// X display with a fake StatusNotifierWatcher, and returns once its item
// has registered and the app has started.
func startTrayOverDBus(t *testing.T) (*desktoptest.Bus, desktoptest.Item, *child) {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end: starts Xvfb, a bus and the tray app")
	}
	desktoptest.RequireTools(t, "Xvfb", "xdpyinfo", "dbus-daemon")
	bus := desktoptest.StartBus(t)
	watcher := desktoptest.StartWatcher(t, bus)
	display := desktoptest.StartXvfb(t)
	c := startChild(t, display.Name, bus.Address)
	item := watcher.WaitItem(t, 20*time.Second)
	c.expect("STARTED", 20*time.Second)
	return bus, item, c
}

// TestTrayToolTipSaysTheStateOverDBus: the StatusNotifierItem's ToolTip
// was empty. A tray host reading it over D-Bus sees the state and, when
// there is one, the reason, and it follows the snapshots.
func TestTrayToolTipSaysTheStateOverDBus(t *testing.T) {
	_, item, c := startTrayOverDBus(t)

	auth := authenticated()
	c.send(childCommand{Status: &auth})
	waitToolTip(t, item, "ibkr-tray: Authenticated as U1234567 · paper")

	bad := badCredentials()
	c.send(childCommand{Status: &bad})
	_, what, _ := explain(bad)
	waitToolTip(t, item, "ibkr-tray: "+statusLine(bad)+"\n"+what)
}

// waitToolTip polls the item's ToolTip (sa(iiay)ss) until its title is want.
func waitToolTip(t *testing.T, item desktoptest.Item, want string) {
	t.Helper()
	waitProperty(t, item, "ToolTip", want, func(v dbus.Variant) (string, error) {
		var tip struct {
			Name  string
			Icons []struct {
				W, H int32
				Pix  []byte
			}
			Title, Description string
		}
		err := dbus.Store([]any{v.Value()}, &tip)
		return tip.Title, err
	})
}

// waitProperty polls the item's property name, read as a string by
// decode, until it is want (10 s at most).
func waitProperty(t *testing.T, item desktoptest.Item, name, want string, decode func(dbus.Variant) (string, error)) {
	t.Helper()
	var last string
	var lastErr error
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		v, err := item.Property(name)
		if err == nil {
			last, err = decode(v)
		}
		if lastErr = err; err == nil && last == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s after 10 s:\n got %q (err %v)\nwant %q", name, last, lastErr, want)
		}
		<-tick.C
	}
}
