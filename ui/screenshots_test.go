package ui

import (
	"errors"
	"flag"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"github.com/ibkr-tray/ibkr-tray/gateway"
	"github.com/ibkr-tray/ibkr-tray/session"
	"github.com/ibkr-tray/ibkr-tray/session/secrets"
	"github.com/ibkr-tray/ibkr-tray/ui/config"
)

// screenshotsDir, when set, makes TestScreenshots draw the windows into
// it (make screenshots: docs/screenshots). The software renderer draws
// them: no X server, about a second in all.
var screenshotsDir = flag.String("screenshots", "", "draw the windows' screenshots (PNG) into this folder")

// shoot draws a window's content at size, in the default (dark) theme.
func shoot(t *testing.T, name string, content fyne.CanvasObject, size fyne.Size, before func(w fyne.Window)) {
	t.Helper()
	w := test.NewTempWindow(t, content)
	w.Resize(size)
	// A real window lays out again once wrapped labels know their width;
	// the test window lays out once, so do the second pass by hand.
	w.Content().Refresh()
	w.Resize(size.AddWidthHeight(1, 0))
	w.Resize(size)
	if before != nil {
		before(w)
	}
	f, err := os.Create(filepath.Join(*screenshotsDir, name+".png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, w.Canvas().Capture()); err != nil {
		t.Fatal(err)
	}
}

// keyringStore is an in-memory store that says what the real one says.
type keyringStore struct{ secrets.Store }

func (keyringStore) Where() string { return "the OS keyring (Secret Service)" }

// shotDeps are the window tests' deps with the keyring's words.
func shotDeps() Deps {
	d := testDeps()
	d.Secrets = keyringStore{d.Secrets}
	return d
}

func TestScreenshots(t *testing.T) {
	if *screenshotsDir == "" {
		t.Skip("set -screenshots DIR (make screenshots) to draw them")
	}
	a := test.NewTempApp(t)
	a.Settings().SetTheme(theme.DefaultTheme())

	t.Run("settings with errors", func(t *testing.T) {
		c := config.Default()
		c.GatewayDir = "/home/ann/clientportal.gw"
		v := newSettingsView(c, testPaths, true, shotDeps(), func(config.Config, bool) error { return nil }, nil)
		v.ticks = noTicks
		defer v.closed()
		v.port.SetText("80")
		v.username.SetText("ann")
		v.totp.SetText("0000 1111")
		v.save()
		shoot(t, "settings-errors", v.content, v.settingsWindowSize(), nil)
	})

	t.Run("settings with a code", func(t *testing.T) {
		v := newSettingsView(config.Default(), testPaths, false, shotDeps(), func(config.Config, bool) error { return nil }, nil)
		v.ticks = noTicks
		defer v.closed()
		v.dir.SetText("/home/ann/clientportal.gw")
		v.username.SetText("ann")
		v.totp.SetText(rfcSecret)
		v.checkCode()
		v.inRow.SetText("2")
		v.deps.Secrets = nil
		v.save()
		shoot(t, "settings-saved", v.content, v.settingsWindowSize(), nil)
	})

	t.Run("status in an outage", func(t *testing.T) {
		tl := NewTimeline()
		ok := richStatus()
		ok.Session.LastLoginMethod = "browser"
		ok.Session.Reason = "the brokerage session is usable (restored by browser)"
		now := fixedNow()
		tl.Observe(snap(gateway.Starting, session.GatewayDown), now.Add(-23*time.Hour))
		tl.Observe(ok, now.Add(-23*time.Hour+time.Minute))
		tl.Observe(snap(gateway.Restarting, session.GatewayDown), now.Add(-14*time.Hour))
		tl.Observe(ok, now.Add(-14*time.Hour+2*time.Minute))
		tl.Observe(snap(gateway.Stopped, session.GatewayDown), now.Add(-5*time.Hour))
		tl.Observe(ok, now.Add(-5*time.Hour+6*time.Minute))
		down := snap(gateway.Restarting, session.GatewayDown)
		down.Gateway.Reason = "the gateway exited (exit status 1); starting again in 5 s"
		down.Gateway.Restarts = 3
		down.Gateway.Dir = "/home/ann/clientportal.gw"
		down.Session.User = "ann"
		down.Session.LastLogin = ok.Session.LastLogin
		down.Session.LastLoginMethod = "browser"
		tl.Observe(down, now.Add(-4*time.Minute))
		v := newStatusView(statusActions{})
		v.update(down, tl, []string{"Open https://localhost:5000 to login", "Server stopped"}, now)
		v.showOpenFailed("the log folder", "/home/ann/.local/state/ibkr-tray/default", errors.New("xdg-open: no file manager"))
		v.copyStatus()
		shoot(t, "status-outage", v.content, fyne.NewSize(580, 1480), nil)
	})

	t.Run("welcome", func(t *testing.T) {
		v := newWelcomeView(nil, nil)
		v.showJava(gateway.Java{Path: "/usr/bin/java", Version: "17.0.15"}, nil)
		shoot(t, "welcome", v.content, welcomeSize, nil)
	})

	t.Run("welcome without java", func(t *testing.T) {
		v := newWelcomeView(nil, nil)
		v.showJava(gateway.Java{}, errors.New("java was not found (JAVA_HOME is not set and there is no java on PATH) and the gateway needs it"))
		shoot(t, "welcome-no-java", v.content, welcomeSize, nil)
	})

	t.Run("welcome folder picker", func(t *testing.T) {
		tmp, err := os.MkdirTemp("", "home") // short: the picker shows the path
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(tmp) })
		home := filepath.Join(tmp, "ann") // the picker opens at home
		for _, d := range []string{"Desktop", "Documents", "Downloads", "clientportal.gw", "Music", "Pictures", "projects"} {
			if err := os.MkdirAll(filepath.Join(home, d), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		t.Setenv("HOME", home)
		v := newWelcomeView(nil, nil)
		v.showJava(gateway.Java{Path: "/usr/bin/java", Version: "17.0.15"}, nil)
		shoot(t, "welcome-picker", v.content, welcomeSize, func(w fyne.Window) {
			pickFolder(w, func(string) {})
		})
	})
}
