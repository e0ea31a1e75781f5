package desktoptest

import (
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

const (
	notifyName = "org.freedesktop.Notifications"
	notifyPath = "/org/freedesktop/Notifications"
)

// Notification is one Notify call the fake server received.
type Notification struct {
	ID         uint32
	AppName    string
	ReplacesID uint32
	Icon       string
	Summary    string
	Body       string
	Actions    []string // key, label, key, label, ...
	Urgency    byte     // 0 low, 1 normal, 2 critical (from the hints)
	Timeout    int32
	// Image is the "image-data" hint (iiibiiay), when sent.
	Image *Image
}

// Image is a notification's raw image: width, height, row stride, alpha,
// bits per sample, channels and the pixels.
type Image struct {
	W, H, Rowstride int32
	HasAlpha        bool
	Bits, Channels  int32
	Data            []byte
}

// NotificationServer owns org.freedesktop.Notifications on a test bus and
// records what apps send.
type NotificationServer struct {
	conn *dbus.Conn

	mu     sync.Mutex
	got    []Notification
	nextID uint32
	wake   chan struct{}
}

// StartNotificationServer owns the notification name on bus until cleanup.
func StartNotificationServer(t testing.TB, bus *Bus) *NotificationServer {
	t.Helper()
	s := &NotificationServer{conn: bus.Conn(t), wake: make(chan struct{}, 1)}
	if err := s.conn.Export(notifyMethods{s}, notifyPath, notifyName); err != nil {
		t.Fatal(err)
	}
	reply, err := s.conn.RequestName(notifyName, dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("cannot own %s on the test bus (reply %v): %v", notifyName, reply, err)
	}
	return s
}

type notifyMethods struct{ s *NotificationServer }

// Notify records a notification and returns its id.
func (m notifyMethods) Notify(app string, replaces uint32, icon, summary, body string, actions []string, hints map[string]dbus.Variant, timeout int32) (uint32, *dbus.Error) {
	n := Notification{AppName: app, ReplacesID: replaces, Icon: icon, Summary: summary, Body: body, Actions: actions, Timeout: timeout, Urgency: 1}
	if v, ok := hints["urgency"]; ok {
		if u, ok := v.Value().(byte); ok {
			n.Urgency = u
		}
	}
	for _, key := range []string{"image-data", "image_data"} {
		if v, ok := hints[key]; ok {
			var img Image
			if err := dbus.Store([]any{v.Value()}, &img); err == nil {
				n.Image = &img
			}
		}
	}
	m.s.mu.Lock()
	if replaces != 0 {
		n.ID = replaces
	} else {
		m.s.nextID++
		n.ID = m.s.nextID
	}
	m.s.got = append(m.s.got, n)
	m.s.mu.Unlock()
	select {
	case m.s.wake <- struct{}{}:
	default:
	}
	return n.ID, nil
}

// GetCapabilities says the server shows bodies and action buttons.
func (m notifyMethods) GetCapabilities() ([]string, *dbus.Error) {
	return []string{"body", "actions"}, nil
}

// GetServerInformation names the fake server.
func (m notifyMethods) GetServerInformation() (string, string, string, string, *dbus.Error) {
	return "desktoptest", "ibkr-tray", "1.0", "1.2", nil
}

// CloseNotification accepts the call.
func (m notifyMethods) CloseNotification(uint32) *dbus.Error { return nil }

// All returns the notifications received so far.
func (s *NotificationServer) All() []Notification {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Notification(nil), s.got...)
}

// Wait returns the first notification that matches, waiting up to timeout.
func (s *NotificationServer) Wait(t testing.TB, what string, match func(Notification) bool, timeout time.Duration) Notification {
	t.Helper()
	deadline := time.After(timeout)
	for {
		for _, n := range s.All() {
			if match(n) {
				return n
			}
		}
		select {
		case <-s.wake:
		case <-deadline:
			var sums []string
			for _, n := range s.All() {
				sums = append(sums, n.Summary+": "+n.Body)
			}
			t.Fatalf("no %s notification within %v; got %q", what, timeout, sums)
		}
	}
}

// Invoke clicks an action button of a notification (emits ActionInvoked).
func (s *NotificationServer) Invoke(id uint32, action string) error {
	return s.conn.Emit(notifyPath, notifyName+".ActionInvoked", id, action)
}

// Release gives up the notification name, as a server that quits does
// (another may then take it).
func (s *NotificationServer) Release() error {
	_, err := s.conn.ReleaseName(notifyName)
	return err
}

// Flush returns once the bus has routed every signal this server sent
// before (a round trip to the bus on the same connection).
func (s *NotificationServer) Flush() error {
	return s.conn.BusObject().Call("org.freedesktop.DBus.GetId", 0).Err
}
