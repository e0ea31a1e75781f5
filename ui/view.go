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

// iconFor picks the tray icon for a snapshot. It reads the keeper's
// verdict (Status.NeedsYou) and the cause's row; it never guesses from the
// state's name.
func iconFor(st runner.Status) IconState {
	switch {
	case attention(st):
		return IconAttention
	case st.Gateway.State == gateway.Stopped:
		return IconStopped
	case !st.Gateway.State.Up(), st.Session.LoginRunning:
		return IconWorking
	case st.Session.State == session.Authenticated && st.Session.Cause == session.CauseNone:
		return IconOK
	}
	return textFor(st.Session.Cause).Icon
}

// attention reports whether a person must act: the keeper says so, or the
// supervisor gave up on the gateway. The attention icon and the urgent
// notification follow it; the popup follows the keeper's verdict alone
// (needsUser).
func attention(st runner.Status) bool {
	return st.Gateway.State == gateway.Failed || st.Session.NeedsYou
}

// needsUser reports whether the popup belongs on screen: the keeper says
// a person must act, and it is not something the user did themselves.
func needsUser(st runner.Status) bool {
	return st.Session.NeedsYou && !quiet(st)
}

// quiet reports whether the user brought this about (a logout): nothing
// is told and nothing pops up.
func quiet(st runner.Status) bool {
	return st.Session.Latches.LoggedOutByUser || textFor(st.Session.Cause).Quiet
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
	s := st.Session
	if l := gatewayLine(st.Gateway.State); l != "" && !(s.NeedsYou && s.Cause == session.CauseGatewayProblem) {
		return l
	}
	switch {
	case s.NeedsYou:
		return textFor(s.Cause).Line
	case s.LoginRunning:
		return "Logging in…"
	case s.State == session.Authenticated && s.Cause == session.CauseNone:
		line := "Authenticated"
		if s.User != "" {
			line += " as " + s.User
		}
		if s.Paper {
			return line + " · paper"
		}
		return line + " · live"
	}
	return textFor(s.Cause).Line
}

// Action is what a menu item does. The tray maps each to a Backend command
// or a window; the model stays free of Fyne.
type Action int

const (
	ActNone           Action = 0
	ActLogin          Action = 1
	ActOpenGateway    Action = 2
	ActRestart        Action = 3
	ActStatus         Action = 4
	ActSettings       Action = 5
	ActAutostart      Action = 6
	ActQuit           Action = 7
	ActLoginInBrowser Action = 8
	ActRetry          Action = 9
	ActTakeBack       Action = 10
	ActOpenSettings   Action = 11
	ActCancelLogin    Action = 12
	// ActApproveOnDemoPhone answers the demo's IB Key push as the demo
	// user's phone would (demo only).
	ActApproveOnDemoPhone Action = 13
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
	case ActLoginInBrowser:
		return "LoginInBrowser"
	case ActRetry:
		return "Retry"
	case ActTakeBack:
		return "TakeBack"
	case ActOpenSettings:
		return "OpenSettings"
	case ActCancelLogin:
		return "CancelLogin"
	case ActApproveOnDemoPhone:
		return "ApproveOnDemoPhone"
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

// Menu labels, shared by the model, the tray, the popup, the cause texts
// and the tests.
const (
	labelLogin        = "Log in"
	labelLoginBrowser = "Log in in the browser"
	labelRetry        = "Retry automatic login"
	labelTakeBack     = "Take the session back"
	labelOpenSettings = "Open Settings…"
	labelCancelLogin  = "Cancel login"
	// labelApproveDemo stands in for the phone in the demo.
	labelApproveDemo  = "Approve on the demo phone"
	labelOpenGateway  = "Open gateway page"
	labelRestart      = "Restart gateway"
	labelStart        = "Start gateway"
	labelStatus       = "Status…"
	labelSettings     = "Settings…"
	labelStartAtLogin = "Start at login"
	labelQuit         = "Quit"
	labelQuitAndStop  = "Quit and stop the gateway"
	labelSetUp        = "Set up the gateway…"
	lineNotSetUp      = "Not set up"
)

// offered are the actions the keeper offers now (Status.Offers), in the
// order the menu and the popup show them. Log in is not among them: the
// menu always shows it, enabled when offered.
func offered(o session.Offers) []menuItem {
	var items []menuItem
	add := func(on bool, label string, a Action) {
		if on {
			items = append(items, menuItem{Label: label, Enabled: true, Action: a})
		}
	}
	add(o.LoginInBrowser, labelLoginBrowser, ActLoginInBrowser)
	add(o.Retry, labelRetry, ActRetry)
	add(o.TakeBack, labelTakeBack, ActTakeBack)
	add(o.OpenSettings, labelOpenSettings, ActOpenSettings)
	add(o.CancelLogin, labelCancelLogin, ActCancelLogin)
	return items
}

// sessionActions are the offers, and in the demo, while it waits for the
// tap on the phone, the demo phone's Approve: the menu and the popup show
// these.
func sessionActions(st runner.Status) []menuItem {
	items := offered(st.Session.Offers)
	if approveOnDemoPhone(st) {
		items = append(items, menuItem{Label: labelApproveDemo, Enabled: true, Action: ActApproveOnDemoPhone})
	}
	return items
}

// approveOnDemoPhone reports whether the demo waits for its phone's tap:
// there is no phone, so the tray plays it.
func approveOnDemoPhone(st runner.Status) bool {
	return st.Demo && st.Session.Cause == session.CauseApproveOnPhone
}

// menuContext is what the menu needs beyond the snapshot.
type menuContext struct {
	Autostart bool // start at login is installed
	// NotSetUp: no gateway folder is chosen (and no demo runs): the first
	// line says so and Start opens the Welcome window.
	NotSetUp bool
}

// menuModel is the whole tray menu for a snapshot. The tray rebuilds the
// menu from it on every change. Its session actions are the keeper's
// offers and no others.
func menuModel(st runner.Status, autostartInstalled bool) []menuItem {
	return menuModelFor(st, menuContext{Autostart: autostartInstalled})
}

// runsGateway reports whether quitting stops a gateway this app runs
// (one it adopted is not its own, and a stopped or failed one is gone).
func runsGateway(st runner.Status) bool {
	switch st.Gateway.State {
	case gateway.Stopped, gateway.Failed, gateway.Adopted:
		return false
	}
	return true
}

func menuModelFor(st runner.Status, c menuContext) []menuItem {
	autostartInstalled := c.Autostart
	up := st.Gateway.State.Up()
	restart := menuItem{Label: labelRestart, Enabled: true, Action: ActRestart}
	switch st.Gateway.State {
	case gateway.Stopped, gateway.Failed:
		restart.Label = labelStart
	case gateway.Adopted, gateway.Starting:
		// An adopted gateway is not ours to restart; a starting one is
		// already on its way.
		restart.Enabled = false
	}
	line := statusLine(st)
	if c.NotSetUp {
		line, restart.Label = lineNotSetUp, labelSetUp
	}
	quit := labelQuit
	if runsGateway(st) {
		quit = labelQuitAndStop
	}
	items := []menuItem{
		{Label: line},
		{},
		{Label: labelLogin, Enabled: st.Session.Offers.Login, Action: ActLogin},
	}
	items = append(items, sessionActions(st)...)
	return append(items,
		menuItem{Label: labelOpenGateway, Enabled: up && st.Gateway.URL != "", Action: ActOpenGateway},
		restart,
		menuItem{},
		menuItem{Label: labelStatus, Enabled: true, Action: ActStatus},
		menuItem{Label: labelSettings, Enabled: true, Action: ActSettings},
		menuItem{Label: labelStartAtLogin, Enabled: true, Checked: autostartInstalled, Action: ActAutostart},
		menuItem{},
		menuItem{Label: quit, Enabled: true, Action: ActQuit},
	)
}
