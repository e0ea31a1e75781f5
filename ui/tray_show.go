package ui

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"

	"github.com/ibkr-tray/ibkr-tray/ui/config"
)

// newStatus makes this profile's status view.
func (t *trayApp) newStatus() *statusView {
	return newStatusView(statusActions{
		Login: t.login, Logout: t.logout, Restart: t.restart,
		OpenLogFolder: t.openLogFolder, SelectAccount: t.selectAccount, Do: t.do,
	})
}

func (t *trayApp) showStatus() {
	if t.inShell() { // one window, a tab per profile
		t.shell.showStatus(t)
		return
	}
	if t.statusWin == nil {
		t.status = t.newStatus()
		t.statusWin = t.app.NewWindow("ibkr-tray status")
		t.statusWin.Resize(fyne.NewSize(560, 760))
		if t.o.NoTray != "" {
			t.statusWin.SetContent(t.noTrayContent(t.status.content))
			t.status.setNotice(fmt.Sprintf(noTrayNotice, t.o.NoTray))
			t.statusWin.SetCloseIntercept(t.askQuit)
		} else {
			t.statusWin.SetContent(t.status.content)
			t.statusWin.SetCloseIntercept(t.closeStatus)
		}
	}
	t.shown("status")
	t.statusVisible.Store(true)
	t.refreshStatus()
	t.statusWin.Show()
	t.statusWin.RequestFocus()
}

// closeStatus closes the status window; the next showStatus makes a new one.
func (t *trayApp) closeStatus() {
	if t.inShell() {
		t.shell.closeStatus()
		return
	}
	t.statusVisible.Store(false)
	t.statusWin.Close()
	t.statusWin, t.status = nil, nil
}

func (t *trayApp) showError(err error) {
	w := t.settings
	if w == nil {
		t.showStatus()
		w = t.statusWin
	}
	dialog.ShowError(err, w)
	w.Show()
}

// showSettings opens the settings window (one at a time: a second open
// brings it forward, showing what is saved now).
func (t *trayApp) showSettings() {
	if t.shell != nil { // with the profile picker, Add, Rename, Remove
		t.shell.showSettings(t)
		return
	}
	if t.settings != nil {
		t.settingsView.reload(t.savedSettings())
		t.settings.Show()
		t.settings.RequestFocus()
		return
	}
	w := t.app.NewWindow("ibkr-tray settings")
	v := t.newSettings(w)
	w.SetContent(v.content)
	w.Resize(v.settingsWindowSize())
	w.SetOnClosed(func() {
		v.closed()
		t.settings, t.settingsView = nil, nil
	})
	t.settings, t.settingsView = w, v
	v.storedShown = v.loadStored()
	w.Show()
	t.shown("settings")
}

// newSettings makes this profile's settings view for window w.
func (t *trayApp) newSettings(w fyne.Window) *settingsView {
	cfg, installed := t.savedSettings()
	deps := t.o.Deps
	if t.o.Demo {
		deps.Secrets = t.demoSecrets()
	}
	v := newSettingsView(cfg, t.o.Paths, installed, deps, t.saveSettings, t.o.Log)
	v.window, v.do, v.saved, v.onClose = w, t.o.Do, t.savedSettings, w.Close
	v.onCredentials = func() { t.command(Backend.CredentialsChanged) }
	if t.o.Demo {
		v.demo()
	}
	return v
}

func (t *trayApp) shown(window string) {
	if t.o.OnShow != nil {
		t.o.OnShow(window)
	}
}

// saveSettings writes the settings file, switches autostart and restarts
// the backend when the gateway settings changed. UI goroutine.
func (t *trayApp) saveSettings(c config.Config, startAtLogin bool) error {
	// The demo's settings live in memory only: the demo must not change
	// the user's real settings file or what starts at login.
	if !t.o.Demo {
		if err := c.Save(t.o.Paths.ConfigFile); err != nil {
			return err
		}
	}
	old := t.o.Config
	t.o.Config = c
	t.notifyOn.Store(c.Notifications)
	if !t.o.Demo && t.o.Autostart != nil && t.o.Autostart.Installed() != startAtLogin {
		if err := t.o.Autostart.Set(startAtLogin); err != nil {
			return err
		}
	}
	t.rebuildMenu()
	t.settingsChanged()
	switch {
	case t.o.Demo:
		if r, ok := t.backend.(reconfigurer); ok {
			r.Reconfigure(c)
		}
	case old.GatewayDir != c.GatewayDir || old.Port != c.Port || old.Paper != c.Paper || t.backend == nil:
		if t.welcome != nil {
			t.welcome.Close()
		}
		t.restartBackend()
	default:
		if r, ok := t.backend.(reconfigurer); ok {
			r.Reconfigure(c)
		}
	}
	return nil
}

// showWelcome is the first-run window.
func (t *trayApp) showWelcome() {
	w := t.app.NewWindow(t.named("Welcome to ibkr-tray")) // "paper: Welcome…" beside other profiles
	var v *welcomeView
	v = newWelcomeView(func() {
		pickFolder(w, func(dir string) { t.useGatewayDir(dir, v) })
	}, func() {
		t.o.Demo = true
		t.welcome = nil
		w.Close()
		t.startBackend()
	})
	w.SetContent(v.content)
	w.Resize(welcomeSize)
	v.checkJava(t.o.Deps.FindJava, t.o.Do)
	w.SetOnClosed(func() { t.welcome = nil })
	t.welcome = w
	w.Show()
}

// useGatewayDir checks a folder picked in the welcome window and, when it
// is a gateway, saves it and starts.
func (t *trayApp) useGatewayDir(dir string, v *welcomeView) {
	if t.o.Deps.CheckDist != nil {
		if _, err := t.o.Deps.CheckDist(dir); err != nil {
			setError(v.errorText, sentence(capitalise(err.Error())))
			return
		}
	}
	c := t.o.Config
	c.GatewayDir = dir
	if err := t.saveSettings(c, t.o.Autostart != nil && t.o.Autostart.Installed()); err != nil {
		setError(v.errorText, sentence(capitalise(err.Error())))
	}
}
