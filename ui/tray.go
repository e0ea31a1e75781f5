package ui

import (
	"context"
	"log/slog"
	"net/url"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/systray"

	"github.com/ibkr-tray/ibkr-tray/session"
	"github.com/ibkr-tray/ibkr-tray/session/secrets"
	"github.com/ibkr-tray/ibkr-tray/ui/config"
	"github.com/ibkr-tray/ibkr-tray/ui/runner"
)

// autostarter is autostart.Entry, or a fake in tests.
type autostarter interface {
	Installed() bool
	Set(on bool) error
}

// reconfigurer is a backend that takes new settings without a restart.
type reconfigurer interface {
	Reconfigure(c config.Config)
}

// trayOptions are the tray's parts; tests swap the clock, notifier,
// autostart and backend starters.
type trayOptions struct {
	Paths     config.Paths
	Config    config.Config
	Demo      bool
	Deps      Deps
	Notifier  Notifier // nil: desktop notifications
	Autostart autostarter
	Now       func() time.Time
	Log       *slog.Logger
	// NoTray, when not "", says why there is no system tray: the status
	// window stands in for it.
	NoTray string
	// Start and StartDemo run a backend (StartBackend / StartDemo by default).
	Start, StartDemo func(ctx context.Context, o BackendOptions) (Started, error)
	// OnShow, when set, hears which window was shown (tests).
	OnShow func(window string)
	// Do runs a func on the UI goroutine (fyne.Do). Fyne's test driver
	// runs it on the caller's goroutine, so tests pass a serialising one.
	Do func(func())
	// Problem, when not "", is why this profile does not start (another
	// copy runs it; it collides with another profile), and ProblemLine
	// says it in a few words for the menu. Several profiles only.
	Problem, ProblemLine string
}

// trayApp is the tray icon, its menu and the windows. Its fields are owned
// by the UI goroutine unless marked otherwise.
type trayApp struct {
	app    fyne.App
	desk   desktop.App // nil when the driver has no system tray
	o      trayOptions
	ctx    context.Context
	cancel context.CancelFunc // ends every backend and loop: shutdown

	backend       Backend
	backendCancel context.CancelFunc
	backendDone   <-chan struct{}
	stopWatch     context.CancelFunc

	last     runner.Status
	output   []string
	lastIcon IconState
	// lastTooltip is the tooltip last handed to the systray.
	lastTooltip string
	// lastTrayStatus is the StatusNotifierItem Status last handed to the
	// systray ("" before the first); it starts as "Active" there.
	lastTrayStatus string
	menu           *fyne.Menu
	timeline       *Timeline
	status         *statusView
	statusWin      fyne.Window
	menuItems      []menuItem // the model t.menu was made from
	noTray         *noTrayBar // the status window's tray actions, without a tray
	settings       fyne.Window
	welcome        fyne.Window
	popup          *popupView
	popupWin       fyne.Window
	popupOpen      bool
	popupCause     session.Cause // the cause the popup shows
	// popupLater holds the causes the user said "Later" to in this loss.
	popupLater map[session.Cause]bool

	// background counts the goroutines started here, so a stop can wait.
	background sync.WaitGroup

	// Read by the watch goroutine.
	statusVisible atomic.Bool
	quitting      atomic.Bool // Quit was chosen: no more UI updates
	popupCounting atomic.Bool // the popup counts down: tick it each second
	notifyOn      atomic.Bool
	notes         chan Notification

	// The open Settings window's view (nil when none), told of every
	// change of the saved settings; the demo's own credential store.
	settingsView *settingsView
	demoStore    secrets.Store

	// shell, when not nil, holds every profile of this process; with
	// several it owns the tray icon, menu and status window. UI goroutine.
	shell *trayShell
	// prefix names the profile in notifications and popups ("live: ");
	// nil with one profile. Read by the watch goroutine.
	prefix atomic.Pointer[string]
}

func newTrayApp(ctx context.Context, a fyne.App, o trayOptions) *trayApp {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Start == nil {
		o.Start = StartBackend
	}
	if o.StartDemo == nil {
		o.StartDemo = StartDemo
	}
	if o.Do == nil {
		o.Do = fyne.Do
	}
	ctx, cancel := context.WithCancel(ctx)
	t := &trayApp{app: a, o: o, ctx: ctx, cancel: cancel, timeline: NewTimeline(), notes: make(chan Notification, 16)}
	t.desk, _ = a.(desktop.App)
	if t.desk == nil && o.NoTray == "" {
		t.o.NoTray = "this platform's driver has no system tray"
	}
	t.notifyOn.Store(o.Config.Notifications)
	if o.Notifier == nil {
		t.o.Notifier = newDesktopNotifier("ibkr-tray",
			func() { t.o.Do(t.loginFromNotification) }, func() { t.o.Do(t.showStatus) }, o.Log)
	}
	t.background.Go(func() { t.sendLoop(ctx) })
	return t
}

// setup builds the tray. It runs before the app's Run: Fyne starts the
// system tray only if it was set up by then. The status window is made only
// when shown, and closed (not hidden) after, so an idle tray holds no window.
func (t *trayApp) setup() {
	t.apply(stoppedStatus("Not started yet."), nil)
	if t.o.NoTray != "" {
		t.o.Log.Warn("no system tray; showing the status window instead", "why", t.o.NoTray)
		return
	}
	// Not SetSystemTrayWindow: it needs the window made up front. A left
	// click arrives off the UI goroutine, hence Do.
	systray.SetOnTapped(func() { t.o.Do(t.showStatus) })
}

// start shows the first window and starts the backend, or the welcome
// window when no gateway is configured. UI goroutine, once the app runs.
func (t *trayApp) start() {
	if t.o.NoTray != "" {
		t.showStatus()
	}
	if !t.o.Demo && t.o.Config.GatewayDir == "" {
		t.showWelcome()
		return
	}
	t.startBackend()
}

// apply shows a snapshot: menu, icon, status window, popup. UI goroutine.
func (t *trayApp) apply(st runner.Status, output []string) {
	t.last, t.output = st, output
	t.timeline.Observe(st, t.o.Now())
	if t.inShell() {
		t.shell.refresh()
		t.refreshStatus()
		t.updatePopup(st)
		return
	}
	t.rebuildMenu()
	if s := iconFor(st); s != t.lastIcon {
		t.lastIcon = s
		if t.desk != nil && t.o.NoTray == "" {
			if res, err := trayIcon(s); err == nil {
				t.desk.SetSystemTrayIcon(res)
			} else {
				t.o.Log.Debug("tray icon", "err", err)
			}
		}
	}
	t.updateTrayStatus(t.lastIcon)
	t.refreshStatus()
	t.updatePopup(st)
}

func (t *trayApp) refreshStatus() {
	if t.status != nil {
		t.status.update(t.last, t.timeline, t.output, t.o.Now())
	}
	if t.noTray != nil {
		t.noTray.update(t)
	}
}

// rebuildMenu replaces the whole tray menu from the last snapshot.
// A snapshot that leaves the menu as it was (a tickle, every few seconds)
// leaves the tray's menu alone: replacing it renumbers its items, and a
// click the host sends for an item of the old menu is lost ("systray
// error: no menu item with ID 458").
func (t *trayApp) rebuildMenu() {
	if t.inShell() {
		t.shell.refresh()
		return
	}
	installed := t.o.Autostart != nil && t.o.Autostart.Installed()
	items := menuModelFor(t.last, menuContext{Autostart: installed, NotSetUp: t.notSetUp()})
	if t.menu == nil || !slices.Equal(items, t.menuItems) {
		t.menu, t.menuItems = fyneMenu(items, t.do), items
		if t.desk != nil && t.o.NoTray == "" {
			t.desk.SetSystemTrayMenu(t.menu)
		}
	}
	t.updateTooltip()
}

// fyneMenu turns the model into Fyne menu items.
func fyneMenu(items []menuItem, do func(Action)) *fyne.Menu {
	out := make([]*fyne.MenuItem, 0, len(items))
	for _, it := range items {
		if it.separator() {
			out = append(out, fyne.NewMenuItemSeparator())
			continue
		}
		act := it.Action
		mi := fyne.NewMenuItem(it.Label, func() { do(act) })
		mi.Disabled = !it.Enabled
		mi.Checked = it.Checked
		mi.IsQuit = act == ActQuit
		out = append(out, mi)
	}
	return fyne.NewMenu("ibkr-tray", out...)
}

// do runs a menu action (the menu's and the popup's). UI goroutine;
// never blocks: each sends one command and returns.
func (t *trayApp) do(a Action) {
	switch a {
	case ActLogin, ActTakeBack:
		// The keeper's Login takes a competing session back.
		t.command(Backend.Login)
	case ActLoginInBrowser:
		t.command(Backend.LoginInBrowser)
	case ActRetry:
		t.command(Backend.RetryLogin)
	case ActCancelLogin:
		t.command(Backend.CancelLogin)
	case ActApproveOnDemoPhone:
		t.approveOnDemoPhone()
	case ActOpenGateway:
		t.openURL(t.last.Gateway.URL)
	case ActRestart:
		t.restart()
	case ActStatus:
		t.showStatus()
	case ActSettings, ActOpenSettings:
		t.showSettings()
	case ActAutostart:
		if t.o.Autostart == nil {
			return
		}
		if err := t.o.Autostart.Set(!t.o.Autostart.Installed()); err != nil {
			t.o.Log.Error("start at login could not be changed", "err", err)
			t.showError(err)
		}
		t.rebuildMenu()
		t.settingsChanged()
	case ActQuit:
		t.quit()
	}
}

// command sends one command to the backend, if one runs.
func (t *trayApp) command(c func(Backend)) {
	if t.backend != nil {
		c(t.backend)
	}
}

// approveOnDemoPhone plays the demo user's phone. The simulator answers
// off the UI goroutine; a failure is logged (the demo goes on waiting).
func (t *trayApp) approveOnDemoPhone() {
	b := t.backend
	if b == nil {
		return
	}
	go func() {
		if err := b.ApproveOnDemoPhone(); err != nil {
			t.o.Log.Error("the demo phone could not approve the login", "err", err)
		}
	}()
}

// login is Log in (the status window's button).
func (t *trayApp) login() { t.command(Backend.Login) }

// loginFromNotification is the notification's Log in button. The
// notification may have sat on screen while things changed: when Log in
// is no longer offered, the status window shows what is.
func (t *trayApp) loginFromNotification() {
	if !t.last.Session.Offers.Login {
		t.showStatus()
		return
	}
	t.login()
}

func (t *trayApp) logout() {
	if t.backend != nil {
		t.backend.Logout()
	}
}

// inShell reports whether this is one of several profiles: the shell owns
// the tray icon, menu and status window. UI goroutine.
func (t *trayApp) inShell() bool { return t.shell != nil && t.shell.several() }

// named puts the profile's name before a title when there are several
// ("live: IBKR login needed"). Any goroutine.
func (t *trayApp) named(title string) string {
	if p := t.prefix.Load(); p != nil {
		return *p + title
	}
	return title
}

// notSetUp reports whether there is nothing to run yet: no gateway folder
// chosen and no demo.
func (t *trayApp) notSetUp() bool { return !t.o.Demo && t.o.Config.GatewayDir == "" }

// restart is Restart / Start gateway; with nothing set up it opens the
// Welcome window, where the gateway folder is chosen.
func (t *trayApp) restart() {
	if t.backend == nil && t.notSetUp() {
		t.openWelcome()
		return
	}
	if t.backend != nil {
		t.backend.RestartGateway()
		return
	}
	t.startBackend()
}

func (t *trayApp) selectAccount(id string) {
	if t.backend != nil {
		t.backend.SelectAccount(id)
	}
}

// quit ends the app. Every profile's watcher stops updating the UI first:
// once Fyne has quit it runs fyne.Do's funcs on the caller's goroutine,
// and the watchers of several profiles then updated the UI at the same
// time (a data race in Fyne's text cache). A stop signal cancels them.
func (t *trayApp) quit() {
	if t.shell != nil {
		for _, p := range t.shell.profiles {
			p.quitting.Store(true)
		}
	}
	t.quitting.Store(true)
	t.app.Quit()
}

// openWelcome shows the Welcome window, the one already open if any.
func (t *trayApp) openWelcome() {
	if t.welcome != nil {
		t.welcome.Show()
		t.welcome.RequestFocus()
	} else {
		t.showWelcome()
	}
	t.shown("welcome")
}

// openURL hands a URL to the browser; the opener may take a moment, so it
// runs off the UI goroutine.
func (t *trayApp) openURL(s string) {
	u, err := url.Parse(s)
	if err != nil || s == "" {
		return
	}
	go func() {
		if err := t.app.OpenURL(u); err != nil {
			t.o.Log.Error("could not open the browser", "url", s, "err", err)
			t.o.Do(func() { t.openFailed(u, err) })
		}
	}()
}

func (t *trayApp) openLogFolder() {
	t.openURL((&url.URL{Scheme: "file", Path: filepath.ToSlash(t.o.Paths.StateDir)}).String())
}
