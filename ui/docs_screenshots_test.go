package ui

import (
	"context"
	"image/color"
	"image/png"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ibkr-tray/ibkr-tray/gateway"
	"github.com/ibkr-tray/ibkr-tray/session"
	"github.com/ibkr-tray/ibkr-tray/ui/config"
	"github.com/ibkr-tray/ibkr-tray/ui/runner"
)

// docScreenshotsEnv names the folder the documentation's screenshots of
// the tray menu, the popup and the no-tray window are written to
// (docs/screenshots when refreshing them):
//
//	IBKR_TRAY_DOC_SCREENSHOTS=$PWD/docs/screenshots go test ./ui -run TestDocScreenshots
//
// They are drawn by Fyne's software renderer from the same menu model and
// views the app shows; without the variable the test draws them and checks
// only that each is a picture.
const docScreenshotsEnv = "IBKR_TRAY_DOC_SCREENSHOTS"

func brokerageRefused() runner.Status {
	st := keeper(snap(gateway.Running, session.NotAuthenticated), session.CauseBrokerageRefused, true,
		session.Offers{LoginInBrowser: true})
	st.Session.Latches.BrokerageRefused = true
	return st
}

// trayPanel draws a dark panel with the state's tray icon at its right,
// and the menu under it, as a tray host shows them.
func trayPanel(st runner.Status, c menuContext) fyne.CanvasObject {
	res, _ := trayIcon(iconFor(st))
	icon := canvas.NewImageFromResource(res)
	icon.SetMinSize(fyne.NewSize(22, 22))
	icon.FillMode = canvas.ImageFillContain
	bar := container.NewStack(canvas.NewRectangle(color.NRGBA{0x2b, 0x2b, 0x2b, 0xff}),
		container.NewPadded(container.NewHBox(layout.NewSpacer(), icon)))
	menu := widget.NewMenu(fyneMenu(menuModelFor(st, c), func(Action) {}))
	return container.NewBorder(bar, nil, nil, nil, container.NewHBox(layout.NewSpacer(), menu))
}

func TestDocScreenshots(t *testing.T) {
	a := test.NewTempApp(t)
	a.Settings().SetTheme(theme.DefaultTheme())
	dir := os.Getenv(docScreenshotsEnv)
	if dir == "" {
		dir = t.TempDir()
	}
	save := func(name string, w fyne.Window) {
		t.Helper()
		img := w.Canvas().Capture()
		if b := img.Bounds(); b.Dx() < 100 || b.Dy() < 60 {
			t.Errorf("%s is only %v", name, b)
		}
		f, err := os.Create(filepath.Join(dir, name+".png"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := png.Encode(f, img); err != nil {
			t.Fatal(err)
		}
	}
	// saveMenu draws the tray panel and menu of a snapshot.
	saveMenu := func(name string, st runner.Status, c menuContext) {
		t.Helper()
		content := trayPanel(st, c)
		w := test.NewTempWindow(t, content)
		w.SetPadded(false)
		w.Resize(content.MinSize().Add(fyne.NewSize(40, 0)))
		save(name, w)
	}
	// savePopup draws the popup of a snapshot, sized as the tray sizes it.
	savePopup := func(name string, st runner.Status, now time.Time) *popupView {
		t.Helper()
		v := newPopupView(func(Action) {}, func() {})
		v.show(st, now)
		w := test.NewTempWindow(t, v.content)
		w.Resize(v.fit())
		save(name, w)
		return v
	}
	for _, m := range []struct {
		name string
		st   runner.Status
		c    menuContext
	}{
		{"menu-authenticated", authenticated(), menuContext{}},
		{"menu-login-needed", noCredentials(), menuContext{}},
		{"menu-cap-tripped", capInRow(), menuContext{}},
		{"menu-waiting-for-manual-login", manualWait(), menuContext{}},
		{"menu-approve-on-phone", approveOnPhone(), menuContext{}},
		{"menu-approve-on-phone-demo", demo(approveOnPhone()), menuContext{}},
		{"menu-logged-out", loggedOut(), menuContext{}},
		{"menu-not-set-up", stoppedStatus("Not started yet."), menuContext{NotSetUp: true}},
	} {
		saveMenu(m.name, m.st, m.c)
	}
	for _, p := range []struct {
		name string
		st   runner.Status
	}{
		{"popup-bad-credentials", badCredentials()},
		{"popup-cap-per-day", capPerDay()},
		{"popup-brokerage-refused", brokerageRefused()},
		{"popup-approve-on-phone", approveOnPhone()},
		{"popup-approve-on-phone-demo", demo(approveOnPhone())},
		{"popup-approval-missed", approvalMissed()},
	} {
		savePopup(p.name, p.st, fixedNow())
	}

	// Every snapshot of the failure catalogue (issue 10): its menu, and
	// its popup where the tray opens one.
	catDir := filepath.Join(dir, "catalogue")
	if err := os.MkdirAll(catDir, 0o755); err != nil {
		t.Fatal(err)
	}
	popups := 0
	for name, st := range catalogue(t) {
		saveMenu(filepath.Join("catalogue", "menu-"+name), st, menuContext{})
		if !needsUser(st) || textFor(st.Session.Cause).NoPopup {
			continue
		}
		// At the snapshot's own time, so its countdowns read as then.
		v := savePopup(filepath.Join("catalogue", "popup-"+name), st, st.Session.Since)
		if v.title.Text == "" {
			t.Errorf("%s: the popup has no title", name)
		}
		if n := sentences(v.message.Text); n == 0 || n > 2 {
			t.Errorf("%s: the popup says %d sentences, want one or two: %q", name, n, v.message.Text)
		}
		popups++
	}
	if popups == 0 {
		t.Error("no snapshot of the catalogue opens the popup")
	}

	// The no-tray stand-in window, with its Settings… and Quit.
	ui := &serialUI{}
	fb := newFakeBackend(noCredentials())
	ctx, cancel := context.WithCancel(context.Background())
	cfg := config.Default()
	cfg.GatewayDir = "/home/ann/clientportal.gw"
	tr := newTrayApp(ctx, a, trayOptions{
		Paths:  config.Paths{Profile: "default", ConfigFile: filepath.Join(t.TempDir(), "config.json"), StateDir: t.TempDir()},
		Config: cfg, Deps: testDeps(), Notifier: &recordingNotifier{}, Autostart: &fakeAutostart{}, Now: fixedNow,
		Log: slog.New(slog.DiscardHandler), Do: ui.do,
		NoTray: "no StatusNotifierWatcher on the session bus (on GNOME, install the AppIndicator extension)",
		Start:  func(ctx context.Context, _ BackendOptions) (Started, error) { return fakeStarted(ctx, fb), nil },
	})
	t.Cleanup(func() {
		cancel()
		tr.background.Wait()
	})
	ui.do(func() {
		tr.setup()
		tr.start()
	})
	eventually(t, "the stand-in window shows the login needed", func() bool {
		var ok bool
		ui.do(func() {
			ok = tr.noTray != nil && tr.noTray.quit.Text == labelQuitAndStop && tr.last.Session.Cause == session.CauseNoCredentials
		})
		return ok
	})
	ui.do(func() {
		tr.statusWin.Resize(fyne.NewSize(560, 760))
		save("no-tray-window", tr.statusWin)
		tr.askQuit()
		save("no-tray-close-question", tr.statusWin)
	})
}

// sentences counts the sentences of a text: each ends in ".", "!" or "?"
// followed by a space or the end.
func sentences(text string) int {
	n := 0
	for i, r := range text {
		if r != '.' && r != '!' && r != '?' {
			continue
		}
		if i+1 == len(text) || text[i+1] == ' ' || text[i+1] == '\n' {
			n++
		}
	}
	return n
}
