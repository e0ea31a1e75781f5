package ui

import (
	"log/slog"
	"testing"
	"time"

	"github.com/ibkr-tray/ibkr-tray/ui/desktoptest"
)

// TestDesktopNotifierButtonsReachTheTray sends notifications to a test
// notification server over a private bus and clicks their buttons there:
// Log in and the notification itself reach the tray's callbacks, a click
// on another app's notification does not, and "restored" replaces the
// login-needed notification.
func TestDesktopNotifierButtonsReachTheTray(t *testing.T) {
	desktoptest.RequireTools(t, "dbus-daemon")
	bus := desktoptest.StartBus(t)
	server := desktoptest.StartNotificationServer(t, bus)
	calls := make(chan string, 4)
	n := newDesktopNotifier("ibkr-tray", func() { calls <- "login" }, func() { calls <- "open" }, slog.New(slog.DiscardHandler))

	err := n.Notify(Notification{Kind: NoticeLoginNeeded, Title: "IBKR login needed", Body: "Click Log in.", Urgent: true, LoginAction: true})
	if err != nil {
		t.Fatal(err)
	}
	need := server.Wait(t, "login needed", func(n desktoptest.Notification) bool { return n.Summary == "IBKR login needed" }, 5*time.Second)
	if need.Urgency != 2 || !hasAction(need, actionLogin) || !hasAction(need, "default") || need.AppName != "ibkr-tray" {
		t.Errorf("login needed sent as %+v; want urgent from ibkr-tray with Log in and default actions", need)
	}
	wantCall := func(want string) {
		t.Helper()
		select {
		case got := <-calls:
			if got != want {
				t.Errorf("the button called %q, want %q", got, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no %q call within 5 s of the click", want)
		}
	}
	if err := server.Invoke(need.ID, actionLogin); err != nil {
		t.Fatal(err)
	}
	wantCall("login")
	// Signals arrive in order: a click on someone else's notification
	// first, then on ours; only ours may call back.
	if err := server.Invoke(need.ID+1000, actionLogin); err != nil {
		t.Fatal(err)
	}
	if err := server.Invoke(need.ID, "default"); err != nil {
		t.Fatal(err)
	}
	wantCall("open")

	if err := n.Notify(Notification{Kind: NoticeRestored, Title: "IBKR session restored", Body: "Session restored after 14 s."}); err != nil {
		t.Fatal(err)
	}
	back := server.Wait(t, "restored", func(n desktoptest.Notification) bool { return n.Summary == "IBKR session restored" }, 5*time.Second)
	if back.ReplacesID != need.ID || back.Urgency != 1 || hasAction(back, actionLogin) {
		t.Errorf("restored sent as %+v; want it to replace %d, normal urgency, no Log in", back, need.ID)
	}
}

// TestNotificationClicksCountOnlyFromTheServer: any program on the bus can
// emit ActionInvoked with our notification's id; only the server that owns
// org.freedesktop.Notifications is believed, also after it is replaced by
// another, and a forged NameOwnerChanged does not make an impostor the
// owner.
func TestNotificationClicksCountOnlyFromTheServer(t *testing.T) {
	desktoptest.RequireTools(t, "dbus-daemon")
	bus := desktoptest.StartBus(t)
	server := desktoptest.StartNotificationServer(t, bus)
	calls := make(chan string, 8)
	n := newDesktopNotifier("ibkr-tray", func() { calls <- "login" }, func() { calls <- "open" }, slog.New(slog.DiscardHandler))
	notify := func(s *desktoptest.NotificationServer, title string) desktoptest.Notification {
		t.Helper()
		if err := n.Notify(Notification{Kind: NoticeLoginNeeded, Title: title, Body: "Click Log in.", LoginAction: true}); err != nil {
			t.Fatal(err)
		}
		return s.Wait(t, title, func(n desktoptest.Notification) bool { return n.Summary == title }, 5*time.Second)
	}
	impostor := bus.Conn(t)
	forge := func(id uint32) {
		t.Helper()
		if err := impostor.Emit("/org/freedesktop/Notifications", notifyName+".ActionInvoked", id, actionLogin); err != nil {
			t.Fatal(err)
		}
		// A round trip from the impostor: the bus has routed its signal
		// before the server's that follows.
		if err := impostor.BusObject().Call("org.freedesktop.DBus.GetId", 0).Err; err != nil {
			t.Fatal(err)
		}
	}
	first := func(want string) {
		t.Helper()
		select {
		case got := <-calls:
			if got != want {
				t.Fatalf("the first call after the clicks is %q, want %q: a click not from the owner of the name was believed", got, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no %q call within 5 s", want)
		}
	}

	one := notify(server, "first")
	forge(one.ID)
	if err := server.Invoke(one.ID, "default"); err != nil {
		t.Fatal(err)
	}
	first("open")

	// A forged change of owner, then a click from the impostor.
	if err := impostor.Emit("/org/freedesktop/DBus", "org.freedesktop.DBus.NameOwnerChanged", notifyName, "", impostor.Names()[0]); err != nil {
		t.Fatal(err)
	}
	forge(one.ID)
	if err := server.Invoke(one.ID, "default"); err != nil {
		t.Fatal(err)
	}
	first("open")

	// The server quits and another takes the name: its clicks count, the
	// old one's do not.
	if err := server.Release(); err != nil {
		t.Fatal(err)
	}
	next := desktoptest.StartNotificationServer(t, bus)
	two := notify(next, "second")
	if err := server.Invoke(two.ID, actionLogin); err != nil {
		t.Fatal(err)
	}
	if err := server.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := next.Invoke(two.ID, "default"); err != nil {
		t.Fatal(err)
	}
	first("open")
	if err := next.Invoke(two.ID, actionLogin); err != nil {
		t.Fatal(err)
	}
	first("login")
}
