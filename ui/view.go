package ui

import (
	"github.com/ibkr-tray/ibkr-tray/gateway"
	"github.com/ibkr-tray/ibkr-tray/session"
	"github.com/ibkr-tray/ibkr-tray/ui/runner"
)

// IconState is what the tray icon tells the user at a glance.
type IconState int

const (
	IconOK        IconState = 1 // authenticated
	IconWorking   IconState = 2 // starting, re-authenticating, logging in: wait
	IconAttention IconState = 3 // the user is needed
	IconStopped   IconState = 4 // no gateway running
)

func (s IconState) String() string {
	switch s {
	case IconOK:
		return "OK"
	case IconWorking:
		return "Working"
	case IconAttention:
		return "Attention"
	case IconStopped:
		return "Stopped"
	}
	return "Unknown"
}

// iconFor picks the tray icon for a snapshot.
func iconFor(st runner.Status) IconState {
	switch st.Gateway.State {
	case gateway.Stopped:
		return IconStopped
	case gateway.Failed:
		return IconAttention
	case gateway.Running, gateway.Adopted:
		// the session decides, below
	default:
		return IconWorking
	}
	if st.Session.LoginRunning {
		return IconWorking
	}
	switch st.Session.State {
	case session.Authenticated:
		return IconOK
	case session.NeedsManualLogin, session.NotAuthenticated, session.LoginLocked, session.Competing:
		return IconAttention
	}
	// Connecting, Reauthenticating, LoggingIn, GatewayDown (the keeper has
	// not caught up yet), IBKRUnreachable (retried by itself), unknown.
	return IconWorking
}

// needsUser reports whether the session is lost and nothing will bring it
// back without the user: the popup with "Log in now" shows then.
func needsUser(st runner.Status) bool {
	if !st.Gateway.State.Up() || st.Session.LoginRunning {
		return false
	}
	switch st.Session.State {
	case session.NeedsManualLogin, session.NotAuthenticated, session.LoginLocked:
		return true
	}
	return false
}

// statusLine is the tray menu's first line and the status window's title
// line, in words.
func statusLine(st runner.Status) string {
	s := statusWords(st)
	if st.Demo {
		s += " (demo)"
	}
	return s
}

func statusWords(st runner.Status) string {
	switch st.Gateway.State {
	case gateway.Stopped:
		return "Gateway stopped"
	case gateway.Starting:
		return "Gateway starting…"
	case gateway.Restarting:
		return "Gateway restarting…"
	case gateway.Unresponsive:
		return "Gateway not responding"
	case gateway.Failed:
		return "Gateway failed"
	case gateway.Running, gateway.Adopted:
	default:
		return "Starting…"
	}
	if st.Session.LoginRunning {
		return "Logging in…"
	}
	switch st.Session.State {
	case session.Authenticated:
		s := "Authenticated"
		if st.Session.User != "" {
			s += " as " + st.Session.User
		}
		if st.Session.Paper {
			return s + " · paper"
		}
		return s + " · live"
	case session.LoggingIn:
		return "Logging in…"
	case session.Reauthenticating:
		return "Reconnecting the session…"
	case session.NeedsManualLogin, session.NotAuthenticated:
		return "Login needed"
	case session.LoginLocked:
		return "Login needed (automatic login paused)"
	case session.Competing:
		return "Another session is using the account"
	case session.IBKRUnreachable:
		return "IBKR unreachable, retrying"
	}
	return "Checking the session…"
}

// Action is what a menu item does. The tray maps each to a Backend command
// or a window; the model stays free of Fyne.
type Action int

const (
	ActNone        Action = 0
	ActLogin       Action = 1
	ActOpenGateway Action = 2
	ActRestart     Action = 3
	ActStatus      Action = 4
	ActSettings    Action = 5
	ActAutostart   Action = 6
	ActQuit        Action = 7
)

func (a Action) String() string {
	switch a {
	case ActNone:
		return "None"
	case ActLogin:
		return "Login"
	case ActOpenGateway:
		return "OpenGateway"
	case ActRestart:
		return "Restart"
	case ActStatus:
		return "Status"
	case ActSettings:
		return "Settings"
	case ActAutostart:
		return "Autostart"
	case ActQuit:
		return "Quit"
	}
	return "Unknown"
}

// menuItem is one line of the tray menu. A zero Label is a separator.
type menuItem struct {
	Label   string
	Enabled bool
	Checked bool
	Action  Action
}

func (m menuItem) separator() bool { return m.Label == "" }

// Menu labels, shared by the model, the tray and the tests.
const (
	labelLogin        = "Log in"
	labelOpenGateway  = "Open gateway page"
	labelRestart      = "Restart gateway"
	labelStart        = "Start gateway"
	labelStatus       = "Status…"
	labelSettings     = "Settings…"
	labelStartAtLogin = "Start at login"
	labelQuit         = "Quit"
)

// menuModel is the whole tray menu for a snapshot. The tray rebuilds the
// menu from it on every change.
func menuModel(st runner.Status, autostartInstalled bool) []menuItem {
	up := st.Gateway.State.Up()
	loginBusy := st.Session.LoginRunning || st.Session.State == session.LoggingIn
	canLogin := up && !loginBusy && st.Session.State != session.Authenticated

	restart := menuItem{Label: labelRestart, Enabled: true, Action: ActRestart}
	switch st.Gateway.State {
	case gateway.Stopped, gateway.Failed:
		restart.Label = labelStart
	case gateway.Adopted, gateway.Starting:
		// An adopted gateway is not ours to restart; a starting one is
		// already on its way.
		restart.Enabled = false
	}
	return []menuItem{
		{Label: statusLine(st)},
		{},
		{Label: labelLogin, Enabled: canLogin, Action: ActLogin},
		{Label: labelOpenGateway, Enabled: up && st.Gateway.URL != "", Action: ActOpenGateway},
		restart,
		{},
		{Label: labelStatus, Enabled: true, Action: ActStatus},
		{Label: labelSettings, Enabled: true, Action: ActSettings},
		{Label: labelStartAtLogin, Enabled: true, Checked: autostartInstalled, Action: ActAutostart},
		{},
		{Label: labelQuit, Enabled: true, Action: ActQuit},
	}
}
