package ui

import (
	"fyne.io/systray"

	"github.com/ibkr-tray/ibkr-tray/session"
	"github.com/ibkr-tray/ibkr-tray/ui/runner"
)

// tooltipText is the tray icon's tooltip: the app, the state as the
// menu's first line says it, and on a second line why, when there is
// more to say than the line.
func tooltipText(st runner.Status, notSetUp bool) string {
	if notSetUp {
		return "ibkr-tray: " + lineNotSetUp + "\nChoose the gateway folder in the Welcome window (Set up the gateway… in this menu)."
	}
	tip := "ibkr-tray: " + statusLine(st)
	var why string
	switch {
	case !st.Gateway.State.Up():
		why = firstSentence(st.Gateway.Reason)
	case st.Session.State == session.Authenticated && st.Session.Cause == session.CauseNone:
	default:
		_, why, _ = explain(st)
	}
	if why != "" {
		tip += "\n" + why
	}
	return tip
}

// setTrayTooltip reaches fyne.io/systray directly: Fyne's desktop.App has
// no tooltip hook, and the systray is one per process. On Linux it sets
// the StatusNotifierItem's ToolTip title.
var setTrayTooltip = systray.SetTooltip

// updateTooltip sets the tooltip when it changed. UI goroutine.
func (t *trayApp) updateTooltip() {
	tip := tooltipText(t.last, t.notSetUp())
	if tip == t.lastTooltip || t.desk == nil || t.o.NoTray != "" {
		return
	}
	t.lastTooltip = tip
	setTrayTooltip(tip)
}
