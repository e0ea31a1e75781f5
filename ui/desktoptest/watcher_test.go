package desktoptest

import (
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/godbus/dbus/v5/prop"
)

// layoutEntry is the dbusmenu (ia{sv}av) struct.
type layoutEntry struct {
	ID       int32
	Props    map[string]dbus.Variant
	Children []dbus.Variant
}

// fakeItem is a minimal tray app: an item with a two-entry menu.
type fakeItem struct{ clicked chan int32 }

func (f *fakeItem) GetLayout(parent, depth int32, props []string) (uint32, layoutEntry, *dbus.Error) {
	child := func(id int32, p map[string]dbus.Variant) dbus.Variant {
		return dbus.MakeVariant(layoutEntry{ID: id, Props: p, Children: []dbus.Variant{}})
	}
	return 7, layoutEntry{ID: 0, Props: map[string]dbus.Variant{"children-display": dbus.MakeVariant("submenu")}, Children: []dbus.Variant{
		child(1, map[string]dbus.Variant{"label": dbus.MakeVariant("Login needed"), "enabled": dbus.MakeVariant(false)}),
		child(2, map[string]dbus.Variant{"type": dbus.MakeVariant("separator")}),
		child(3, map[string]dbus.Variant{"label": dbus.MakeVariant("Log in")}),
		child(4, map[string]dbus.Variant{"label": dbus.MakeVariant("Start at login"), "toggle-type": dbus.MakeVariant("checkmark"), "toggle-state": dbus.MakeVariant(int32(1))}),
	}}, nil
}

func (f *fakeItem) Event(id int32, event string, data dbus.Variant, ts uint32) *dbus.Error {
	if event == "clicked" {
		f.clicked <- id
	}
	return nil
}

func TestWatcherSeesRegistrationReadsMenuAndClicks(t *testing.T) {
	bus := StartBus(t)
	w := StartWatcher(t, bus)

	app := bus.Conn(t)
	item := &fakeItem{clicked: make(chan int32, 1)}
	if err := app.Export(item, "/Menu", "com.canonical.dbusmenu"); err != nil {
		t.Fatal(err)
	}
	type px struct {
		W, H int32
		Pix  []byte
	}
	if _, err := prop.Export(app, "/StatusNotifierItem", prop.Map{"org.kde.StatusNotifierItem": {
		"Menu":       {Value: dbus.ObjectPath("/Menu")},
		"IconPixmap": {Value: []px{{W: 2, H: 2, Pix: make([]byte, 16)}}},
	}}); err != nil {
		t.Fatal(err)
	}
	sent := time.Now()
	if err := app.Object("org.kde.StatusNotifierWatcher", "/StatusNotifierWatcher").
		Call("org.kde.StatusNotifierWatcher.RegisterStatusNotifierItem", 0, "/StatusNotifierItem").Err; err != nil {
		t.Fatal(err)
	}
	it := w.WaitItem(t, 5*time.Second)
	if it.At.Before(sent) || time.Since(it.At) > 5*time.Second {
		t.Errorf("registered at %v, want between the call at %v and now", it.At, sent)
	}
	if it.Service != app.Names()[0] {
		t.Errorf("item service %q, want the app's name %q", it.Service, app.Names()[0])
	}
	if wd, ht, err := it.IconSize(); err != nil || wd != 2 || ht != 2 {
		t.Errorf("icon %dx%d, err %v; want 2x2", wd, ht, err)
	}
	m := it.WaitMenu(t, "(Login needed)|-|Log in|[x] Start at login|", 5*time.Second)
	login, ok := m.Find("Log in")
	if !ok {
		t.Fatal("no Log in entry")
	}
	if err := it.Click(login.ID); err != nil {
		t.Fatal(err)
	}
	select {
	case id := <-item.clicked:
		if id != 3 {
			t.Errorf("clicked entry %d, want 3", id)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the click did not reach the item")
	}
}

func TestXvfbAnswersAndTakesScreenshots(t *testing.T) {
	RequireTools(t, "import")
	d := StartXvfb(t)
	if d.Name == "" || d.Name[0] != ':' {
		t.Fatalf("display name %q", d.Name)
	}
	path := t.TempDir() + "/root.png"
	if err := d.Screenshot(path, ""); err != nil {
		t.Fatal(err)
	}
}
