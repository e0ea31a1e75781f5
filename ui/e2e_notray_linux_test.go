package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/ibkr-tray/ibkr-tray/ui/desktoptest"
)

// TestQuitWithAFreshConfigFolderLogsNoPreferencesError: quitting the
// first run (an empty config folder) logged "Fyne error: Preferences load
// error: Cause: EOF".
func TestQuitWithAFreshConfigFolderLogsNoPreferencesError(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: starts Xvfb, a bus and the tray app")
	}
	desktoptest.RequireTools(t, "Xvfb", "xdpyinfo", "dbus-daemon")
	bus := desktoptest.StartBus(t) // no tray: the stand-in window shows
	display := desktoptest.StartXvfb(t)
	c := startChild(t, display.Name, bus.Address) // a fresh HOME and XDG_CONFIG_HOME
	c.expect("SHOWN status", 20*time.Second)
	c.expect("STARTED", 10*time.Second)
	c.send(childCommand{Quit: true})
	if got := c.expect("EXIT", 30*time.Second); got != "0" {
		t.Errorf("exit %s; want 0", got)
	}
	<-c.exited
	if log := c.log.String(); strings.Contains(log, "Preferences load error") || strings.Contains(log, "Fyne error") {
		t.Errorf("quitting logged a Fyne error:\n%s", log)
	}
}
