//go:build linux

package ui

import (
	"context"
	"testing"
	"time"

	"github.com/ibkr-tray/ibkr-tray/session/secrets"
	"github.com/ibkr-tray/ibkr-tray/ui/config"
	"github.com/ibkr-tray/ibkr-tray/ui/desktoptest"
)

// TestTrayIBKeyEndToEndWithTheSimulator: an IB Key user (no TOTP secret
// stored) with the real app, keeper, Chromium and simulator. The login
// waits for the tap: the menu says so and offers Cancel login, an urgent
// notification asks for it. Approved on the simulator's phone, the session
// comes and the notification is closed (CloseNotification with its id).
// The next request, denied, closes its notification too and offers a new
// request and the browser.
func TestTrayIBKeyEndToEndWithTheSimulator(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: starts Xvfb, a bus, a keyring, the simulator and Chromium")
	}
	desktoptest.RequireTools(t, "Xvfb", "xdpyinfo", "dbus-daemon", "gnome-keyring-daemon", "chromium", "import", "xwininfo")
	bus := desktoptest.StartBus(t)
	desktoptest.StartKeyring(t, bus, keyringPassword)
	watcher := desktoptest.StartWatcher(t, bus)
	notes := desktoptest.StartNotificationServer(t, bus)
	display := desktoptest.StartXvfb(t)
	w := newTrayWorld(t, display.Name, bus.Address, worldOptions{ibkey: true})
	if err := secrets.Keyring(10*time.Second).Set(context.Background(), config.DefaultProfile, w.creds); err != nil {
		t.Fatalf("store the credentials in the test keyring: %v", err)
	}
	began := time.Now()
	startChildWith(t, w.env)
	item := watcher.WaitItem(t, 30*time.Second)

	waiting := "(" + approveTitle + ")|-|(Log in)|" + labelCancelLogin + "|Open gateway page|Restart gateway|" + menuTail
	item.WaitMenu(t, waiting, 90*time.Second)
	t.Logf("start to waiting for the tap: %v", time.Since(began).Round(time.Millisecond))
	isAsk := func(n desktoptest.Notification) bool { return n.Summary == approveTitle }
	ask := notes.Wait(t, "approve in IBKR Mobile", isAsk, 10*time.Second)
	if ask.Urgency != 2 {
		t.Errorf("approval notification %+v; want it urgent", ask)
	}
	if st := w.status(t); st.Session.Latches.ApprovalUntil.IsZero() || st.Session.SecondFactor != "ibkey" {
		t.Errorf("waiting with approvalUntil %v, second factor %q", st.Session.Latches.ApprovalUntil, st.Session.SecondFactor)
	}
	// The popup is up on the X server, under the cause's title.
	eventually(t, "the approval popup on screen", func() bool {
		r, ok := display.Geometry(approveTitle)
		return ok && r.Dx() > 1
	})

	w.fault(t, "approve")
	item.WaitMenu(t, "(Authenticated as "+simUser+" · live)|-|(Log in)|Open gateway page|Restart gateway|"+menuTail, 30*time.Second)
	notes.WaitClosed(t, ask.ID, 10*time.Second)
	t.Logf("approved to authenticated and the notification closed: ok")

	// The SSO session ends: the app logs in again and IBKR sends a new
	// request, which the phone denies.
	w.fault(t, "expire-sso")
	item.WaitMenu(t, waiting, 60*time.Second)
	var again desktoptest.Notification
	waitFor(t, "a second approval notification", 10*time.Second, func() bool {
		for _, n := range notes.All() {
			if isAsk(n) && n.ID != ask.ID {
				again = n
				return true
			}
		}
		return false
	})
	w.fault(t, "deny")
	item.WaitMenuPrefix(t, "(Login denied in IBKR Mobile)|-|Log in|"+labelLoginBrowser+"|", 30*time.Second)
	notes.WaitClosed(t, again.ID, 10*time.Second)
	notes.Wait(t, "the denial", func(n desktoptest.Notification) bool {
		return n.Summary == textFor("approval-denied").Title && n.Urgency == 2
	}, 10*time.Second)
}
