package desktoptest

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/godbus/dbus/v5/prop"
)

// Names of the StatusNotifierItem protocol.
const (
	watcherName  = "org.kde.StatusNotifierWatcher"
	watcherPath  = "/StatusNotifierWatcher"
	itemIface    = "org.kde.StatusNotifierItem"
	dbusmenuName = "com.canonical.dbusmenu"
)

// Watcher is a stand-in for the desktop's tray host: it owns
// org.kde.StatusNotifierWatcher on a test bus and records the items that
// register, so a test can read their menus and click them.
type Watcher struct {
	conn *dbus.Conn

	mu    sync.Mutex
	items []Item
	added chan Item
}

// Item is a registered tray icon: the bus name of its process and its path.
type Item struct {
	Service string
	Path    dbus.ObjectPath
	// At is when the item registered (for start-up timings).
	At   time.Time
	conn *dbus.Conn
}

// StartWatcher owns the watcher name on bus until cleanup.
func StartWatcher(t testing.TB, bus *Bus) *Watcher {
	t.Helper()
	w := &Watcher{conn: bus.Conn(t), added: make(chan Item, 16)}
	if err := w.conn.Export(watcherMethods{w}, watcherPath, watcherName); err != nil {
		t.Fatal(err)
	}
	_, err := prop.Export(w.conn, watcherPath, prop.Map{watcherName: {
		"RegisteredStatusNotifierItems":  {Value: []string{}, Emit: prop.EmitFalse},
		"IsStatusNotifierHostRegistered": {Value: true, Emit: prop.EmitFalse},
		"ProtocolVersion":                {Value: int32(0), Emit: prop.EmitFalse},
	}})
	if err != nil {
		t.Fatal(err)
	}
	reply, err := w.conn.RequestName(watcherName, dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("cannot own %s on the test bus (reply %v): %v", watcherName, reply, err)
	}
	return w
}

// watcherMethods are the D-Bus methods; a separate type so only these are
// exported on the bus.
type watcherMethods struct{ w *Watcher }

// RegisterStatusNotifierItem is called by a tray app; service is a bus
// name or (as fyne.io/systray sends) an object path on the sender.
func (m watcherMethods) RegisterStatusNotifierItem(sender dbus.Sender, service string) *dbus.Error {
	it := Item{Service: string(sender), Path: "/StatusNotifierItem", At: time.Now(), conn: m.w.conn}
	if strings.HasPrefix(service, "/") {
		it.Path = dbus.ObjectPath(service)
	} else if service != "" {
		it.Service = service
	}
	m.w.mu.Lock()
	m.w.items = append(m.w.items, it)
	m.w.mu.Unlock()
	select {
	case m.w.added <- it:
	default:
	}
	return nil
}

// RegisterStatusNotifierHost accepts a host (there is only us).
func (m watcherMethods) RegisterStatusNotifierHost(string) *dbus.Error { return nil }

// WaitItem waits for the next item to register.
func (w *Watcher) WaitItem(t testing.TB, timeout time.Duration) Item {
	t.Helper()
	select {
	case it := <-w.added:
		return it
	case <-time.After(timeout):
		t.Fatalf("no tray item registered with the watcher within %v", timeout)
		return Item{}
	}
}

// Items returns the items registered so far.
func (w *Watcher) Items() []Item {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]Item(nil), w.items...)
}

// Property reads one org.kde.StatusNotifierItem property.
func (it Item) Property(name string) (dbus.Variant, error) {
	return it.conn.Object(it.Service, it.Path).GetProperty(itemIface + "." + name)
}

// IconSize returns the size of the first icon pixmap, to check one is set.
func (it Item) IconSize() (w, h int, err error) {
	v, err := it.Property("IconPixmap")
	if err != nil {
		return 0, 0, err
	}
	var px []struct {
		W, H int32
		Pix  []byte
	}
	if err := dbus.Store([]any{v.Value()}, &px); err != nil {
		return 0, 0, err
	}
	if len(px) == 0 {
		return 0, 0, fmt.Errorf("the item has no icon pixmap")
	}
	return int(px[0].W), int(px[0].H), nil
}

// Activate is a left click on the icon.
func (it Item) Activate() error {
	return it.conn.Object(it.Service, it.Path).Call(itemIface+".Activate", 0, int32(0), int32(0)).Err
}

// MenuNode is one entry of a dbusmenu layout.
type MenuNode struct {
	ID       int32
	Label    string
	Enabled  bool
	Visible  bool
	Type     string // "separator" or "" (standard)
	Toggle   string // "checkmark", "radio" or ""
	Checked  bool
	Children []MenuNode
}

// menuPath is the object path of the item's menu.
func (it Item) menuPath() (dbus.ObjectPath, error) {
	v, err := it.Property("Menu")
	if err != nil {
		return "", err
	}
	p, ok := v.Value().(dbus.ObjectPath)
	if !ok {
		return "", fmt.Errorf("the item's Menu property is %T, not an object path", v.Value())
	}
	return p, nil
}

// Menu reads the whole menu with com.canonical.dbusmenu.GetLayout.
func (it Item) Menu() (MenuNode, error) {
	path, err := it.menuPath()
	if err != nil {
		return MenuNode{}, err
	}
	var revision uint32
	var layout struct {
		ID       int32
		Props    map[string]dbus.Variant
		Children []dbus.Variant
	}
	call := it.conn.Object(it.Service, path).Call(dbusmenuName+".GetLayout", 0, int32(0), int32(-1), []string{})
	if err := call.Store(&revision, &layout); err != nil {
		return MenuNode{}, err
	}
	return menuNode(layout.ID, layout.Props, layout.Children)
}

func menuNode(id int32, props map[string]dbus.Variant, children []dbus.Variant) (MenuNode, error) {
	n := MenuNode{ID: id, Enabled: true, Visible: true}
	for k, v := range props {
		switch k {
		case "label":
			n.Label, _ = v.Value().(string)
		case "enabled":
			n.Enabled, _ = v.Value().(bool)
		case "visible":
			n.Visible, _ = v.Value().(bool)
		case "type":
			n.Type, _ = v.Value().(string)
		case "toggle-type":
			n.Toggle, _ = v.Value().(string)
		case "toggle-state":
			s, _ := v.Value().(int32)
			n.Checked = s == 1
		}
	}
	for _, c := range children {
		var child struct {
			ID       int32
			Props    map[string]dbus.Variant
			Children []dbus.Variant
		}
		if err := dbus.Store([]any{c.Value()}, &child); err != nil {
			return n, fmt.Errorf("menu entry %d: %w", id, err)
		}
		cn, err := menuNode(child.ID, child.Props, child.Children)
		if err != nil {
			return n, err
		}
		n.Children = append(n.Children, cn)
	}
	return n, nil
}

// Lines renders the visible top-level entries as "Label" (enabled),
// "(Label)" (disabled), "[x] Label" (checked), "-" (separator), joined by
// "|" with a trailing "|".
func (n MenuNode) Lines() string {
	var b strings.Builder
	for _, c := range n.Children {
		if !c.Visible {
			continue
		}
		switch {
		case c.Type == "separator":
			b.WriteString("-")
		case c.Checked:
			b.WriteString("[x] " + c.Label)
		case !c.Enabled:
			b.WriteString("(" + c.Label + ")")
		default:
			b.WriteString(c.Label)
		}
		b.WriteString("|")
	}
	return b.String()
}

// Find returns the first top-level entry with this label.
func (n MenuNode) Find(label string) (MenuNode, bool) {
	for _, c := range n.Children {
		if c.Label == label && c.Visible {
			return c, true
		}
	}
	return MenuNode{}, false
}

// Click sends a "clicked" event to a menu entry, as a tray host does.
func (it Item) Click(id int32) error {
	path, err := it.menuPath()
	if err != nil {
		return err
	}
	return it.conn.Object(it.Service, path).Call(dbusmenuName+".Event", 0,
		id, "clicked", dbus.MakeVariant(""), uint32(time.Now().Unix())).Err
}

// WaitMenu polls the menu until lines() of it equals want, failing after
// timeout with the last layout seen.
func (it Item) WaitMenu(t testing.TB, want string, timeout time.Duration) MenuNode {
	t.Helper()
	return it.waitMenu(t, timeout, want, func(lines string) bool { return lines == want })
}

// WaitMenuPrefix waits until the item's menu, as Lines, starts with want
// (the lines after it vary with what the keeper offers) and returns it.
func (it Item) WaitMenuPrefix(t testing.TB, want string, timeout time.Duration) MenuNode {
	t.Helper()
	return it.waitMenu(t, timeout, want+"…", func(lines string) bool { return strings.HasPrefix(lines, want) })
}

// waitMenu polls the menu until its Lines satisfy ok; want describes what
// was waited for in the failure.
func (it Item) waitMenu(t testing.TB, timeout time.Duration, want string, ok func(lines string) bool) MenuNode {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var last string
	var lastErr error
	for {
		m, err := it.Menu()
		if err == nil {
			if last = m.Lines(); ok(last) {
				return m
			}
		}
		lastErr = err
		if time.Now().After(deadline) {
			t.Fatalf("tray menu after %v:\n got %s (err %v)\nwant %s", timeout, last, lastErr, want)
		}
		<-tick.C
	}
}
