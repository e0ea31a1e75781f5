package desktoptest

import (
	"slices"
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
	closed []uint32 // the ids apps asked to close, in order
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
	m.s.woken()
	return n.ID, nil
}

func (s *NotificationServer) woken() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// GetCapabilities says the server shows bodies and action buttons.
func (m notifyMethods) GetCapabilities() ([]string, *dbus.Error) {
	return []string{"body", "actions"}, nil
}

// GetServerInformation names the fake server.
func (m notifyMethods) GetServerInformation() (string, string, string, string, *dbus.Error) {
	return "desktoptest", "ibkr-tray", "1.0", "1.2", nil
}

// CloseNotification records the call and, as a server does, signals
// NotificationClosed with reason 3 (closed by a call to
// CloseNotification).
func (m notifyMethods) CloseNotification(id uint32) *dbus.Error {
	m.s.mu.Lock()
	m.s.closed = append(m.s.closed, id)
	m.s.mu.Unlock()
	m.s.woken()
	_ = m.s.conn.Emit(notifyPath, notifyName+".NotificationClosed", id, uint32(3))
	return nil
}

// Closed returns the ids apps asked to close so far, in order.
func (s *NotificationServer) Closed() []uint32 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]uint32(nil), s.closed...)
}

// WaitClosed waits up to timeout for an app to close notification id.
func (s *NotificationServer) WaitClosed(t testing.TB, id uint32, timeout time.Duration) {
	t.Helper()
	deadline := time.After(timeout)
	for {
		if slices.Contains(s.Closed(), id) {
			return
		}
		select {
		case <-s.wake:
		case <-deadline:
			t.Fatalf("notification %d was not closed within %v; closed: %v", id, timeout, s.Closed())
		}
	}
}

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
