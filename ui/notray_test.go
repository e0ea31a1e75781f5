package ui

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/ibkr-tray/ibkr-tray/ui/config"
)

// quitRecorder is the test app that counts Quit calls.
type quitRecorder struct {
	fyne.App
	quits atomic.Int32
}

func (a *quitRecorder) Quit() { a.quits.Add(1) }

// buttons finds the visible buttons under o by their text.
func buttons(o fyne.CanvasObject) map[string]*widget.Button {
	found := map[string]*widget.Button{}
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if o == nil || !o.Visible() {
			return
		}
		if b, ok := o.(*widget.Button); ok {
			found[b.Text] = b
		}
		if c, ok := o.(*fyne.Container); ok {
			for _, ch := range c.Objects {
				walk(ch)
			}
		}
		if w, ok := o.(fyne.Widget); ok {
			if r := test.WidgetRenderer(w); r != nil {
				for _, ch := range r.Objects() {
					walk(ch)
				}
			}
		}
	}
	walk(o)
	return found
}

// TestNoTrayWindowHasSettingsAndQuitAndAsksBeforeClosing: without a tray
// host the status window is the app's only face. It used to have no
// Settings and no Quit, and closing it quit at once. Now it has both, and
// closing asks, naming the gateway it stops; "Keep running" keeps it.
func TestNoTrayWindowHasSettingsAndQuitAndAsksBeforeClosing(t *testing.T) {
	a := &quitRecorder{App: test.NewTempApp(t)}
	ui := &serialUI{}
	fb := newFakeBackend(authenticated())
	ctx, cancel := context.WithCancel(context.Background())
	var shown []string
	cfg := config.Default()
	cfg.GatewayDir = "/home/ann/clientportal.gw"
	tr := newTrayApp(ctx, a, trayOptions{
		Paths:  config.Paths{Profile: "default", ConfigFile: filepath.Join(t.TempDir(), "config.json"), StateDir: t.TempDir()},
		Config: cfg, Deps: testDeps(), Notifier: &recordingNotifier{},
		Autostart: &fakeAutostart{}, Now: fixedNow, Log: slog.New(slog.DiscardHandler),
		NoTray: "no StatusNotifierWatcher on the session bus", Do: ui.do,
		Start:  func(ctx context.Context, _ BackendOptions) (Started, error) { return fakeStarted(ctx, fb), nil },
		OnShow: func(w string) { shown = append(shown, w) },
	})
	t.Cleanup(func() {
		cancel()
		tr.background.Wait()
	})
	ui.do(func() {
		tr.setup()
		tr.start()
	})
	var bs map[string]*widget.Button
	eventually(t, "Quit names the gateway once it runs", func() bool {
		ui.do(func() { bs = buttons(tr.statusWin.Content()) })
		return bs[labelQuitAndStop] != nil
	})
	ui.do(func() {
		tr.statusWin.Resize(fyne.NewSize(560, 760))
		q := bs[labelQuitAndStop]
		if q.Size().Width < q.MinSize().Width {
			t.Errorf("the Quit button is %v wide, its text needs %v: it was not laid out again when its label grew", q.Size().Width, q.MinSize().Width)
		}
	})
	if bs[labelSettings] == nil {
		t.Fatalf("no %q button in the stand-in window; buttons: %v", labelSettings, keys(bs))
	}
	ui.do(func() { test.Tap(bs[labelSettings]) })
	if !contains(shown, "settings") {
		t.Errorf("Settings… showed %v; want the settings window", shown)
	}

	// Closing asks; Keep running keeps the window and the app.
	// The window manager's close runs the close intercept, askQuit (the
	// test driver's Close skips intercepts).
	ui.do(tr.askQuit)
	var d map[string]*widget.Button
	ui.do(func() {
		top := tr.statusWin.Canvas().Overlays().Top()
		if top == nil {
			t.Fatal("closing the only window quit or hid without asking")
		}
		d = buttons(top)
	})
	if d[labelKeep] == nil || d[labelQuitAndStop] == nil {
		t.Fatalf("the close question has buttons %v; want %q and %q", keys(d), labelKeep, labelQuitAndStop)
	}
	ui.do(func() { test.Tap(d[labelKeep]) })
	if n := a.quits.Load(); n != 0 {
		t.Fatalf("Keep running quit the app (%d)", n)
	}
	ui.do(func() {
		if tr.statusWin == nil {
			t.Fatal("Keep running closed the window")
		}
		tr.askQuit()
		d = buttons(tr.statusWin.Canvas().Overlays().Top())
		test.Tap(d[labelQuitAndStop])
	})
	if n := a.quits.Load(); n != 1 {
		t.Errorf("the question's %q quit %d times; want once", labelQuitAndStop, n)
	}
	// The window's own Quit button quits too.
	ui.do(func() { test.Tap(bs[labelQuitAndStop]) })
	if n := a.quits.Load(); n != 2 {
		t.Errorf("the window's %q button quit %d times in all; want 2", labelQuitAndStop, n)
	}
}

func keys(m map[string]*widget.Button) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
