package ui

import (
	"github.com/ibkr-tray/ibkr-tray/session/secrets"
	"github.com/ibkr-tray/ibkr-tray/ui/config"
	"github.com/ibkr-tray/ibkr-tray/ui/runner"
)

// savedSettings is what is saved now: the settings (t.o.Config follows
// every save) and whether ibkr-tray starts at login. UI goroutine.
func (t *trayApp) savedSettings() (config.Config, bool) {
	return t.o.Config, !t.o.Demo && t.o.Autostart != nil && t.o.Autostart.Installed()
}

// settingsChanged tells an open Settings window that what is saved
// changed (the Welcome window chose a folder, the tray menu switched
// "Start at login", the window itself saved): it shows the new values in
// the fields the user has not edited. Every change of a saved setting
// calls it. UI goroutine.
func (t *trayApp) settingsChanged() {
	if t.settingsView != nil {
		t.settingsView.reload(t.savedSettings())
	}
}

// demoSecrets is the demo's own credential store: in memory, holding the
// demo user's name, so the demo's Settings never touch the real keyring.
func (t *trayApp) demoSecrets() secrets.Store {
	if t.demoStore == nil {
		t.demoStore = secrets.Memory(secrets.Credentials{Username: runner.DemoUser})
	}
	return t.demoStore
}
