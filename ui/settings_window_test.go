package ui

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/ibkr-tray/ibkr-tray/gateway"
	"github.com/ibkr-tray/ibkr-tray/session"
	"github.com/ibkr-tray/ibkr-tray/session/secrets"
	"github.com/ibkr-tray/ibkr-tray/ui/config"
)

// noTicks is a countdown ticker that never ticks.
func noTicks() (<-chan time.Time, func()) { return nil, func() {} }

// Issue 10: a Settings window opened before the gateway folder was chosen
// elsewhere (and "Start at login" switched on) must write back only what
// it edited: not the empty folder, not autostart off.
func TestSettingsSaveWritesOnlyTheEditedFieldsOverWhatIsSavedNow(t *testing.T) {
	test.NewTempApp(t)
	var got config.Config
	var gotAutostart bool
	v := newSettingsView(config.Default(), testPaths, false, testDeps(),
		func(c config.Config, on bool) error { got, gotAutostart = c, on; return nil }, nil)
	savedNow := config.Default()
	savedNow.GatewayDir = "/home/ann/clientportal.gw"
	v.saved = func() (config.Config, bool) { return savedNow, true }

	test.Type(v.port, "5002")
	v.save()
	if got.GatewayDir != "/home/ann/clientportal.gw" || got.Port != 5002 || !gotAutostart {
		t.Errorf("saved folder %q port %d start at login %v; want the folder and autostart saved elsewhere kept, and port 5002",
			got.GatewayDir, got.Port, gotAutostart)
	}
	if v.dir.Text != "/home/ann/clientportal.gw" || !v.startAtLogin.Checked {
		t.Errorf("after Save the window shows folder %q, start at login %v; want what is saved", v.dir.Text, v.startAtLogin.Checked)
	}
}

func TestSettingsMergeTakesEditsAndKeepsTheRest(t *testing.T) {
	base := validInput()
	typed := base
	typed.Notifications = !base.Notifications
	saved := base
	saved.GatewayDir, saved.StartAtLogin, saved.MaxInRow = "/elsewhere", true, "2"
	got := mergeEdits(base, typed, saved)
	want := saved
	want.Notifications = typed.Notifications
	if got != want {
		t.Errorf("merged\n %+v\nwant\n %+v", got, want)
	}
}

// settingsHarness is the tray with its Settings window open.
func openSettings(t *testing.T) (*trayHarness, *settingsView) {
	h := newHarness(t, snap(gateway.Running, session.Authenticated))
	var v *settingsView
	h.ui.do(func() {
		h.tray.showSettings()
		v = h.tray.settingsView
	})
	if v == nil {
		t.Fatal("no settings view after showSettings")
	}
	waitStored(t, v)
	t.Cleanup(func() { h.ui.do(func() { v.closed() }) })
	return h, v
}

// waitStored waits until the window shows what the store holds: its
// goroutine must not outlive the test.
func waitStored(t *testing.T, v *settingsView) {
	t.Helper()
	select {
	case <-v.storedShown:
	case <-time.After(5 * time.Second):
		t.Fatal("the stored credentials were not shown within 5 s")
	}
}

func TestSettingsWindowFollowsChangesSavedElsewhere(t *testing.T) {
	h, v := openSettings(t)
	h.ui.do(func() { test.Type(v.inRow, "") }) // an edit in progress: "3" → "" → "2"
	h.ui.do(func() { v.inRow.SetText("2") })

	h.click(labelStartAtLogin) // the tray menu switches autostart on
	h.ui.do(func() {
		h.tray.o.Deps.CheckDist = func(string) (int, error) { return 5001, nil }
		h.tray.useGatewayDir("/home/ann/other.gw", newWelcomeView(nil, nil)) // the Welcome window picks a folder
	})
	waitBackend(t, h) // the new folder restarts the backend
	h.ui.do(func() {
		if !v.startAtLogin.Checked || v.dir.Text != "/home/ann/other.gw" {
			t.Errorf("the open window shows start at login %v, folder %q; want the changes made elsewhere", v.startAtLogin.Checked, v.dir.Text)
		}
		if v.inRow.Text != "2" {
			t.Errorf("the edit in progress became %q; want it kept", v.inRow.Text)
		}
		v.save()
	})
	waitBackend(t, h)
	c, _, err := config.Load(h.tray.o.Paths.ConfigFile)
	if err != nil {
		t.Fatal(err)
	}
	if c.GatewayDir != "/home/ann/other.gw" || c.MaxFailedLoginsInRow != 2 {
		t.Errorf("settings file has folder %q, in a row %d; want the Welcome's folder and the window's edit", c.GatewayDir, c.MaxFailedLoginsInRow)
	}
	if !h.auto.on {
		t.Error("Save in the Settings window removed the autostart entry made from the tray menu")
	}
}

// waitBackend waits until a restarted backend is attached again, so the
// restart's goroutine has ended before the test does.
func waitBackend(t *testing.T, h *trayHarness) {
	t.Helper()
	eventually(t, "the backend attached", func() (ok bool) {
		h.ui.do(func() { ok = h.tray.backend != nil })
		return ok
	})
}

func TestSettingsOneWindowAtATime(t *testing.T) {
	h, v := openSettings(t)
	var first, second fyne.Window
	h.ui.do(func() {
		first = h.tray.settings
		h.tray.o.Config.MaxFailedLoginsPerDay = 7 // saved meanwhile
		h.tray.showSettings()
		second = h.tray.settings
	})
	if first != second || h.tray.settingsView != v {
		t.Fatal("a second open made a second Settings window")
	}
	n := 0
	for _, w := range h.app.Driver().AllWindows() {
		if w.Title() == "ibkr-tray settings" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d Settings windows; want 1", n)
	}
	h.ui.do(func() {
		if v.perDay.Text != "7" {
			t.Errorf("reopened window shows %q failed logins per day; want what is saved now (7)", v.perDay.Text)
		}
	})
}

func TestSettingsCancelDropsTheEditsAndCloses(t *testing.T) {
	test.NewTempApp(t)
	saved, closed := false, false
	v := newSettingsView(config.Default(), testPaths, false, testDeps(), func(config.Config, bool) error { saved = true; return nil }, nil)
	v.onClose = func() { closed = true }
	test.Type(v.port, "5002")
	test.Type(v.password, "hunter2")
	test.Tap(v.cancelButton)
	if saved || !closed {
		t.Errorf("Cancel saved=%v closed=%v; want not saved, closed", saved, closed)
	}
	if v.port.Text != "" || v.password.Text != "" {
		t.Errorf("after Cancel port %q password set=%v; want the edits dropped", v.port.Text, v.password.Text != "")
	}
}

func TestSettingsSavedGoesAwayAfterTheNextEdit(t *testing.T) {
	test.NewTempApp(t)
	v := newSettingsView(config.Default(), testPaths, false, testDeps(), func(config.Config, bool) error { return nil }, nil)
	v.deps.Secrets = nil
	test.Type(v.port, "5002")
	v.save()
	if v.result.Text != "Saved." {
		t.Fatalf("result %q after Save", v.result.Text)
	}
	test.Type(v.port, "3")
	if v.result.Text != "" {
		t.Errorf("after a later edit the window still says %q", v.result.Text)
	}
}

// The Save button must stay where it was when errors and messages appear:
// the next click must not miss it.
func TestSettingsSaveButtonDoesNotMoveWhenMessagesAppear(t *testing.T) {
	test.NewTempApp(t)
	v := newSettingsView(config.Default(), testPaths, false, testDeps(), func(config.Config, bool) error { return nil }, nil)
	w := test.NewTempWindow(t, v.content)
	w.Resize(v.settingsWindowSize())
	pos := func() fyne.Position { return fyne.CurrentApp().Driver().AbsolutePositionForObject(v.saveButton) }
	before := pos()
	test.Type(v.dir, "/tmp/x")
	test.Type(v.port, "80")
	test.Type(v.username, "ann")
	test.Type(v.totp, "0000 1111")
	test.Tap(v.saveButton)
	if !v.totpErr.Visible() || !strings.HasPrefix(v.result.Text, "Not saved") {
		t.Fatalf("no errors shown: %q", v.result.Text)
	}
	if after := pos(); after != before {
		t.Errorf("Save moved from %v to %v when the errors appeared", before, after)
	}
}

func TestSettingsValidCodeClearsTheTOTPError(t *testing.T) {
	test.NewTempApp(t)
	v := newSettingsView(config.Default(), testPaths, false, testDeps(), func(config.Config, bool) error { return nil }, nil)
	v.ticks = noTicks
	defer v.closed()
	test.Type(v.username, "ann")
	test.Type(v.totp, "0000 1111")
	v.save()
	if !v.totpErr.Visible() {
		t.Fatal("a bad secret shows no error")
	}
	v.totp.SetText(rfcSecret)
	v.checkCode()
	if v.totpErr.Visible() || !strings.HasPrefix(v.code.Text, "Code now") {
		t.Errorf("with a valid code %q the red error %q still shows", v.code.Text, v.totpErr.Text)
	}
}

// manualTicks is a countdown ticker the test drives; stopped says when
// the window stopped it.
type manualTicks struct {
	ch      chan time.Time
	mu      sync.Mutex
	stopped bool
}

func (m *manualTicks) ticks() (<-chan time.Time, func()) {
	return m.ch, func() { m.mu.Lock(); m.stopped = true; m.mu.Unlock() }
}

func TestSettingsCodeCountdownMovesAndStopsWithTheWindow(t *testing.T) {
	test.NewTempApp(t)
	ui := &serialUI{}
	d := testDeps()
	var mu sync.Mutex
	now := fixedNow().Add(13 * time.Second) // 17 s left in the 30 s step
	d.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	v := newSettingsView(config.Default(), testPaths, false, d, nil, nil)
	v.do = ui.do
	m := &manualTicks{ch: make(chan time.Time)}
	v.ticks = m.ticks
	ui.do(func() {
		v.totp.SetText(rfcSecret)
		v.checkCode()
	})
	text := func() (s string) { ui.do(func() { s = v.code.Text }); return s }
	if !strings.Contains(text(), "for 17 s") && !strings.Contains(text(), "for 17 seconds") {
		t.Fatalf("code line %q; want 17 s left", text())
	}
	mu.Lock()
	now = now.Add(time.Second)
	mu.Unlock()
	m.ch <- now
	eventually(t, "the countdown moves to 16 s", func() bool {
		s := text()
		return strings.Contains(s, "for 16 s")
	})
	var gone <-chan struct{}
	ui.do(func() {
		gone = v.countdownGone
		v.closed()
	})
	m.mu.Lock()
	stopped := m.stopped
	m.mu.Unlock()
	if !stopped {
		t.Error("closing the window left the countdown's ticker running")
	}
	select {
	case <-gone:
	case <-time.After(5 * time.Second):
		t.Error("the countdown's goroutine still runs after the window closed")
	}
}

// No field may end under the vertical scroll bar or past the window's
// right edge: the window is as wide as its fields.
func TestSettingsWindowFitsItsFields(t *testing.T) {
	test.NewTempApp(t)
	v := newSettingsView(config.Default(), testPaths, false, testDeps(), nil, nil)
	w := test.NewTempWindow(t, v.content)
	size := v.settingsWindowSize()
	w.Resize(size)
	d := fyne.CurrentApp().Driver()
	for name, o := range map[string]fyne.CanvasObject{"Choose": v.choose, "Check": v.check, "per day": v.perDay} {
		right := d.AbsolutePositionForObject(o).X + o.Size().Width
		if limit := w.Canvas().Size().Width - 8; right > limit {
			t.Errorf("%s ends at x=%.0f, past %.0f (window %.0f wide)", name, right, limit, w.Canvas().Size().Width)
		}
	}
}

func TestSettingsInTheDemoChangeNothingOfTheRealProfile(t *testing.T) {
	h := newHarness(t, snap(gateway.Running, session.Authenticated))
	realStore := secrets.Memory(secrets.Credentials{Username: "ann", Password: "real"})
	var v *settingsView
	h.ui.do(func() {
		h.tray.o.Demo = true
		h.tray.o.Deps.Secrets = realStore
		h.tray.showSettings()
		v = h.tray.settingsView
	})
	waitStored(t, v)
	defer h.ui.do(func() { v.closed() })
	h.ui.do(func() {
		if len(v.top.Objects) != 1 || !strings.Contains(v.note.Text, "nothing is written") {
			t.Errorf("the demo's Settings do not say whose settings they are (note %q)", v.note.Text)
		}
	})
	h.ui.do(func() {
		v.notifications.SetChecked(!v.notifications.Checked)
		v.username.SetText("someone")
		v.password.SetText("typed-in-the-demo")
		v.save()
	})
	eventually(t, "saved", func() (ok bool) { h.ui.do(func() { ok = v.result.Text == "Saved." }); return ok })
	if _, err := os.Stat(h.tray.o.Paths.ConfigFile); !os.IsNotExist(err) {
		t.Errorf("the demo's Settings wrote the real settings file (stat: %v)", err)
	}
	if c, _ := realStore.Get(context.Background(), "default"); c.Password != "real" || c.Username != "ann" {
		t.Errorf("the demo's Settings changed the real credentials: %v", c.Username)
	}
	if h.auto.on {
		t.Error("the demo's Settings changed start at login")
	}
	if !v.startAtLogin.Disabled() {
		t.Error("the demo offers Start at login")
	}
}
