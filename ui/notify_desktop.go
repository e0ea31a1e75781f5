package ui

import (
	"errors"
	"log/slog"
	"runtime"
	"sync"

	"github.com/gen2brain/beeep"
	"github.com/godbus/dbus/v5"

	"github.com/ibkr-tray/ibkr-tray/ui/autostart"
)

// newDesktopNotifier sends notifications to the desktop. On Linux and the
// BSDs it speaks org.freedesktop.Notifications itself, so a notification can
// carry a "Log in" button (beeep cannot); elsewhere, or when that fails, it
// uses beeep. onLogin and onOpen run on a D-Bus goroutine: they must not
// block.
func newDesktopNotifier(appName string, onLogin, onOpen func(), log *slog.Logger) Notifier {
	beeep.AppName = appName
	icon := &notifyIcon{}
	fallback := beeepNotifier{icon: icon}
	if runtime.GOOS == "darwin" || runtime.GOOS == "windows" {
		return fallback
	}
	return &dbusNotifier{appName: appName, onLogin: onLogin, onOpen: onOpen, fallback: fallback, log: log, icon: icon}
}

// beeepNotifier is the portable fallback: no buttons, Alert for urgent.
type beeepNotifier struct{ icon *notifyIcon }

func (b beeepNotifier) Notify(n Notification) error {
	if n.Withdraw {
		return nil // beeep cannot take a notification back
	}
	path, _ := b.icon.get()
	if n.Urgent {
		return beeep.Alert(n.Title, n.Body, path)
	}
	return beeep.Notify(n.Title, n.Body, path)
}

const (
	notifyName  = "org.freedesktop.Notifications"
	notifyPath  = "/org/freedesktop/Notifications"
	actionLogin = "login"
)

// dbusNotifier talks to the notification server on the session bus.
type dbusNotifier struct {
	appName         string
	onLogin, onOpen func()
	fallback        Notifier
	log             *slog.Logger
	icon            *notifyIcon

	// mu guards the connection and the ids below.
	mu   sync.Mutex
	conn *dbus.Conn
	// lastLoss is the id of the last "lost"/"login needed" notification:
	// the "restored" one replaces it rather than piling up.
	lastLoss uint32
	// ours holds the ids of our notifications still on screen: the
	// server signals clicks on every app's notifications.
	ours map[uint32]bool
	// lastOf is the id of the last notification of each kind, for
	// Withdraw.
	lastOf map[NoticeKind]uint32
}

func (d *dbusNotifier) Notify(n Notification) error {
	if n.Withdraw {
		return d.withdraw(n.Kind)
	}
	err := d.notify(n)
	if err == nil {
		return nil
	}
	d.log.Debug("notification server unavailable, using beeep", "err", err)
	return errors.Join(err, d.fallback.Notify(n))
}

func (d *dbusNotifier) notify(n Notification) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.conn == nil {
		conn, err := d.connect()
		if err != nil {
			return err
		}
		d.conn = conn
	}
	urgency := byte(1)
	if n.Urgent {
		urgency = 2
	}
	actions := []string{"default", "Open status"}
	if n.LoginAction {
		actions = append(actions, actionLogin, "Log in")
	}
	var replaces uint32
	if n.Kind == NoticeRestored {
		replaces = d.lastLoss
	}
	hints := map[string]dbus.Variant{
		"urgency":       dbus.MakeVariant(urgency),
		"desktop-entry": dbus.MakeVariant(autostart.DesktopEntryID),
	}
	iconPath, img := d.icon.get()
	if img != nil {
		hints["image-data"] = dbus.MakeVariant(*img)
	}
	var id uint32
	call := d.conn.Object(notifyName, notifyPath).Call(notifyName+".Notify", 0,
		d.appName, replaces, iconPath, n.Title, n.Body, actions, hints, int32(-1))
	if err := call.Store(&id); err != nil {
		d.conn.Close()
		d.conn = nil
		return err
	}
	if d.ours == nil || len(d.ours) > 100 {
		d.ours = map[uint32]bool{}
	}
	d.ours[id] = true
	if d.lastOf == nil {
		d.lastOf = map[NoticeKind]uint32{}
	}
	d.lastOf[n.Kind] = id
	switch n.Kind {
	case NoticeSessionLost, NoticeLoginNeeded:
		d.lastLoss = id
	case NoticeRestored:
		d.lastLoss = 0
	}
	return nil
}

// withdraw closes the last notification of a kind (CloseNotification),
// if one was shown. The server answers with an error when the user has
// closed it already: that is no failure, it is gone either way.
func (d *dbusNotifier) withdraw(k NoticeKind) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	id := d.lastOf[k]
	if id == 0 || d.conn == nil {
		return nil
	}
	delete(d.lastOf, k)
	delete(d.ours, id)
	if d.lastLoss == id {
		d.lastLoss = 0
	}
	call := d.conn.Object(notifyName, notifyPath).Call(notifyName+".CloseNotification", 0, id)
	if call.Err != nil {
		d.log.Debug("the notification server did not close the notification", "id", id, "err", call.Err)
	}
	return nil
}

// connect opens a private connection and listens for clicks on the
// notifications' buttons.
func (d *dbusNotifier) connect() (*dbus.Conn, error) {
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		return nil, err
	}
	// Who owns the notification name is watched before it is asked, so no
	// change of owner falls between the two.
	if err := conn.AddMatchSignal(dbus.WithMatchSender(busName), dbus.WithMatchInterface(busName),
		dbus.WithMatchMember("NameOwnerChanged"), dbus.WithMatchArg(0, notifyName)); err != nil {
		conn.Close()
		return nil, err
	}
	if err := conn.AddMatchSignal(dbus.WithMatchInterface(notifyName), dbus.WithMatchMember("ActionInvoked")); err != nil {
		conn.Close()
		return nil, err
	}
	ch := make(chan *dbus.Signal, 8)
	conn.Signal(ch)
	server := nameOwner(conn, notifyName)
	go func() {
		for sig := range ch {
			if owner, ok := ownerChange(sig); ok {
				server = owner
				continue
			}
			// Any program on the bus can emit a signal with this
			// interface and our notification's id; only the server that
			// showed the notification can have seen it clicked.
			if !fromServer(sig, server) {
				continue
			}
			if len(sig.Body) < 2 || sig.Name != notifyName+".ActionInvoked" {
				continue
			}
			id, _ := sig.Body[0].(uint32)
			d.mu.Lock()
			mine := d.ours[id]
			d.mu.Unlock()
			if !mine {
				continue
			}
			switch key, _ := sig.Body[1].(string); key {
			case actionLogin:
				if d.onLogin != nil {
					d.onLogin()
				}
			case "default":
				if d.onOpen != nil {
					d.onOpen()
				}
			}
		}
	}()
	return conn, nil
}

// busName is the bus itself, the only sender of NameOwnerChanged.
const busName = "org.freedesktop.DBus"

// nameOwner is the unique name (":1.42") that owns name now, or "" when
// none does.
func nameOwner(conn *dbus.Conn, name string) string {
	var owner string
	if err := conn.BusObject().Call(busName+".GetNameOwner", 0, name).Store(&owner); err != nil {
		return ""
	}
	return owner
}

// ownerChange reads the bus's NameOwnerChanged for the notification name:
// the new owner ("" when it went away). A signal of that name from anyone
// but the bus is not one.
func ownerChange(sig *dbus.Signal) (owner string, ok bool) {
	if sig.Name != busName+".NameOwnerChanged" || sig.Sender != busName || len(sig.Body) < 3 {
		return "", false
	}
	if name, _ := sig.Body[0].(string); name != notifyName {
		return "", false
	}
	owner, _ = sig.Body[2].(string)
	return owner, true
}

// fromServer reports whether a notification signal (ActionInvoked,
// NotificationClosed) comes from the notification server that owns the
// name.
func fromServer(sig *dbus.Signal, server string) bool {
	return server != "" && sig.Sender == server
}
