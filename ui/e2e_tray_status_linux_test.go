package ui

import (
	"fmt"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/ibkr-tray/ibkr-tray/ui/desktoptest"
)

// TestTrayStatusNeedsAttentionOverDBus: the StatusNotifierItem's Status
// was "Active" for good (issue 10), so a tray host never learnt the app
// needs the user. It is "NeedsAttention" while the icon is the attention
// icon and "Active" otherwise, each change announced by NewStatus.
func TestTrayStatusNeedsAttentionOverDBus(t *testing.T) {
	bus, item, c := startTrayOverDBus(t)

	// The host's view of the NewStatus signals, as a host subscribes.
	host := bus.Conn(t)
	if err := host.AddMatchSignal(dbus.WithMatchInterface("org.kde.StatusNotifierItem"),
		dbus.WithMatchMember("NewStatus")); err != nil {
		t.Fatal(err)
	}
	signals := make(chan *dbus.Signal, 16)
	host.Signal(signals)

	auth := authenticated()
	c.send(childCommand{Status: &auth})
	waitStatus(t, item, "Active")

	bad := badCredentials()
	if iconFor(bad) != IconAttention {
		t.Fatalf("the test's attention snapshot has icon %v", iconFor(bad))
	}
	c.send(childCommand{Status: &bad})
	waitStatus(t, item, "NeedsAttention")
	waitNewStatus(t, signals, "NeedsAttention")

	c.send(childCommand{Status: &auth})
	waitStatus(t, item, "Active")
	waitNewStatus(t, signals, "Active")
}

// waitStatus polls the item's Status until it is want.
func waitStatus(t *testing.T, item desktoptest.Item, want string) {
	t.Helper()
	waitProperty(t, item, "Status", want, func(v dbus.Variant) (string, error) {
		s, ok := v.Value().(string)
		if !ok {
			return "", fmt.Errorf("Status is a %T, not a string", v.Value())
		}
		return s, nil
	})
}

// waitNewStatus waits for a NewStatus signal carrying want.
func waitNewStatus(t *testing.T, signals <-chan *dbus.Signal, want string) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	var got []any
	for {
		select {
		case s := <-signals:
			if s.Name != "org.kde.StatusNotifierItem.NewStatus" {
				continue
			}
			got = append(got, s.Body...)
			if len(s.Body) == 1 && s.Body[0] == want {
				return
			}
		case <-deadline:
			t.Fatalf("no NewStatus %q signal within 10 s; got %v", want, got)
		}
	}
}
