package ui

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/systray"

	"github.com/ibkr-tray/ibkr-tray/session"
	"github.com/ibkr-tray/ibkr-tray/ui/profiles"
	"github.com/ibkr-tray/ibkr-tray/ui/runner"
)

// With several profiles (paper beside live) one process runs one trayApp
// per profile: its backend, last snapshot, timeline, popup and
// notifications. The trayShell owns what the system has only one of: the
// tray icon, its tooltip and its menu, and the status window, which shows
// a tab per profile. With one profile there is no shell and the trayApp
// drives the tray itself, exactly as before.

// labelQuitAndStopAll is Quit when more than one gateway would stop.
const labelQuitAndStopAll = "Quit and stop the gateways"

// profileMenu is one profile's part of the tray menu.
type profileMenu struct {
	Name     string
	Status   runner.Status
	NotSetUp bool
	// Problem, when not "", is why this profile did not start (another
	// copy runs it, or it collides with another profile); ProblemLine
	// says it in a few words.
	Problem, ProblemLine string
}

// shellItem is a menu line and the profile it acts on (sharedItem: the
// app's own items: Settings…, Start at login, Quit).
type shellItem struct {
	menuItem
	Profile int
}

const sharedItem = -1

// iconRank orders the icon states for the worst of several profiles:
// attention > problem (stopped) > working > ok.
func iconRank(s IconState) int {
	switch s {
	case IconAttention:
		return 3
	case IconStopped:
		return 2
	case IconWorking:
		return 1
	}
	return 0
}

// worstIcon is the icon for several profiles: the one that most needs a
// look.
func worstIcon(states ...IconState) IconState {
	worst := IconOK
	for _, s := range states {
		if iconRank(s) > iconRank(worst) {
			worst = s
		}
	}
	return worst
}

// iconForProfile is one profile's icon: a profile that could not start is
// a problem.
func iconForProfile(p profileMenu) IconState {
	if p.Problem != "" || p.NotSetUp {
		return IconStopped
	}
	return iconFor(p.Status)
}

// sectionLine is a profile's state in its menu section and the tooltip:
// short, since the profile's name comes first ("live: Authenticated
// (U1234567)").
func sectionLine(p profileMenu) string {
	st := p.Status
	switch {
	case p.Problem != "":
		return "Not started"
	case p.NotSetUp:
		return lineNotSetUp
	case st.Gateway.State.Up() && !st.Session.LoginRunning && !st.Session.NeedsYou &&
		st.Session.State == session.Authenticated && st.Session.Cause == session.CauseNone:
		if a := st.Session.SelectedAccount; a != "" {
			return "Authenticated (" + a + ")"
		}
		if st.Session.User != "" {
			return "Authenticated as " + st.Session.User
		}
		return "Authenticated"
	}
	return statusWords(st)
}

// sectionHeader is a profile's first, disabled, menu line.
func sectionHeader(p profileMenu) string { return p.Name + ": " + sectionLine(p) }

// shellMenuModel is the tray menu for several profiles: a section per
// profile (its state line, then what the one-profile menu offers for it),
// then the app's own items.
func shellMenuModel(ps []profileMenu, autostartInstalled bool) []shellItem {
	var items []shellItem
	add := func(i int, m menuItem) { items = append(items, shellItem{m, i}) }
	running := 0
	for i, p := range ps {
		add(i, menuItem{Label: sectionHeader(p)})
		if p.Problem != "" {
			line := p.ProblemLine
			if line == "" {
				line = firstSentence(p.Problem)
			}
			add(i, menuItem{Label: line})
			add(i, menuItem{Label: labelStatus, Enabled: true, Action: ActStatus})
			add(sharedItem, menuItem{})
			continue
		}
		one := menuModelFor(p.Status, menuContext{NotSetUp: p.NotSetUp})
		// The one-profile menu is: line, -, Log in, offers, Open gateway
		// page, Restart, -, Status…, Settings…, ...: keep its profile's
		// items, from Log in to Status….
		// Log in only when offered: a greyed Log in under each greyed
		// header reads as one more header.
		for _, it := range one[2:] {
			if it.separator() || it.Action == ActLogin && !it.Enabled {
				continue
			}
			add(i, it)
			if it.Action == ActStatus {
				break
			}
		}
		add(sharedItem, menuItem{})
		if runsGateway(p.Status) {
			running++
		}
	}
	quit := labelQuit
	switch {
	case running > 1:
		quit = labelQuitAndStopAll
	case running == 1:
		quit = labelQuitAndStop
	}
	add(sharedItem, menuItem{Label: labelSettings, Enabled: true, Action: ActSettings})
	add(sharedItem, menuItem{Label: labelStartAtLogin, Enabled: true, Checked: autostartInstalled, Action: ActAutostart})
	add(sharedItem, menuItem{})
	add(sharedItem, menuItem{Label: quit, Enabled: true, Action: ActQuit})
	return items
}

// shellTooltip lists each profile's state, one a line.
func shellTooltip(ps []profileMenu) string {
	lines := []string{"ibkr-tray"}
	for _, p := range ps {
		lines = append(lines, sectionHeader(p))
	}
	return strings.Join(lines, "\n")
}

// trayShell holds every profile of this process. With one it stays out of
// the way (the trayApp drives the tray as it always did); with several it
// is the tray icon, tooltip, menu and status window over them. UI
// goroutine.
type trayShell struct {
	app      fyne.App
	desk     desktop.App
	noTray   string
	profiles []*trayApp
	auto     autostarter
	do       func(func())
	onShow   func(window string)
	// newProfile makes the trayApp of a profile added in Settings (nil:
	// profiles cannot be added here).
	newProfile func(name string) (*trayApp, error)

	menu        *fyne.Menu
	menuItems   []shellItem
	lastIcon    IconState
	lastTooltip string
	lastStatus  string

	statusWin fyne.Window
	tabs      *container.AppTabs

	settings *shellSettings // the open Settings window, nil when none
	// removed are profiles taken out while the app runs: shutdown still
	// waits for their goroutines.
	removed []*trayApp
}

// newTrayShell joins the profiles' trayApps under one tray. Each trayApp
// is made with newTrayApp and is set up and started by the shell.
func newTrayShell(a fyne.App, ts []*trayApp) *trayShell {
	s := &trayShell{app: a, profiles: ts}
	if len(ts) > 0 {
		o := ts[0].o
		s.desk, s.noTray, s.auto, s.do, s.onShow = ts[0].desk, o.NoTray, o.Autostart, o.Do, o.OnShow
	}
	for _, t := range ts {
		s.join(t)
	}
	s.namePrefixes()
	return s
}

// join makes t one of the shell's profiles.
func (s *trayShell) join(t *trayApp) {
	t.shell = s
	if t.o.OnShow == nil {
		t.o.OnShow = s.onShow
	}
}

// several reports whether the shell shows more than one profile.
func (s *trayShell) several() bool { return len(s.profiles) > 1 }

// namePrefixes names each profile in its notifications and popups when
// there are several.
func (s *trayShell) namePrefixes() {
	for _, t := range s.profiles {
		if s.several() {
			p := t.o.Paths.Profile + ": "
			t.prefix.Store(&p)
		} else {
			t.prefix.Store(nil)
		}
	}
}

// setup builds the tray before the app runs (see trayApp.setup).
func (s *trayShell) setup() {
	if !s.several() {
		s.profiles[0].setup()
	} else {
		for _, t := range s.profiles {
			t.last = stoppedStatus("Not started yet.")
			t.timeline.Observe(t.last, t.o.Now())
		}
		s.refresh()
	}
	if s.noTray == "" {
		systray.SetOnTapped(func() { s.do(func() { s.showStatus(nil) }) })
	}
}

// start starts every profile's backend; one not set up, or with a
// problem, stays stopped and says so in its section. With one profile it
// starts as it always did (the Welcome window when not set up).
func (s *trayShell) start() {
	if !s.several() {
		s.profiles[0].start()
		return
	}
	if s.noTray != "" {
		s.showStatus(nil)
	}
	for _, t := range s.profiles {
		s.startProfile(t)
	}
}

func (s *trayShell) startProfile(t *trayApp) {
	switch {
	case t.o.Problem != "":
		t.apply(stoppedStatus(t.o.Problem), nil)
	case t.notSetUp():
		t.apply(t.last, nil)
	default:
		t.startBackend()
	}
}

// apart reports whether t may start beside the profiles that run (or
// would): when it clashes with one (profiles.CheckApart), its section says
// so and it does not start. Settings may have changed since the app
// started, either way.
func (s *trayShell) apart(t *trayApp) bool {
	var others []profiles.Profile
	for _, p := range s.profiles {
		if p != t && p.o.Problem == "" {
			others = append(others, profiles.Profile{Paths: p.o.Paths, Config: p.o.Config})
		}
	}
	before := checkApart(others)
	var mine []string
	for _, c := range checkApart(append(others, profiles.Profile{Paths: t.o.Paths, Config: t.o.Config})) {
		if !slices.Contains(before, c) {
			mine = append(mine, c)
		}
	}
	if len(mine) == 0 {
		// Starting again: a lock another copy holds says so again.
		t.o.Problem, t.o.ProblemLine = "", ""
		return true
	}
	t.o.Problem, t.o.ProblemLine = clashText(mine), lineClash
	t.apply(stoppedStatus(t.o.Problem), nil)
	return false
}

// menus is each profile's part of the menu now.
func (s *trayShell) menus() []profileMenu {
	ps := make([]profileMenu, len(s.profiles))
	for i, t := range s.profiles {
		ps[i] = profileMenu{Name: t.o.Paths.Profile, Status: t.last, NotSetUp: t.notSetUp(), Problem: t.o.Problem, ProblemLine: t.o.ProblemLine}
	}
	return ps
}

// refresh shows every profile's last snapshot in the icon, tooltip and
// menu. It replaces the menu only when its model changed (see
// trayApp.rebuildMenu). Several profiles only.
func (s *trayShell) refresh() {
	if !s.several() {
		return
	}
	ps := s.menus()
	installed := s.auto != nil && s.auto.Installed()
	items := shellMenuModel(ps, installed)
	tray := s.desk != nil && s.noTray == ""
	if s.menu == nil || !slices.Equal(items, s.menuItems) {
		s.menu, s.menuItems = s.fyneMenu(items), items
		if tray {
			s.desk.SetSystemTrayMenu(s.menu)
		}
	}
	var states []IconState
	for _, p := range ps {
		states = append(states, iconForProfile(p))
	}
	icon := worstIcon(states...)
	if icon != s.lastIcon {
		s.lastIcon = icon
		if tray {
			if res, err := trayIcon(icon); err == nil {
				s.desk.SetSystemTrayIcon(res)
			}
		}
	}
	if st := sniStatusFor(icon); st != s.lastStatus && tray {
		s.lastStatus = st
		setTrayStatus(st)
	}
	if tip := shellTooltip(ps); tip != s.lastTooltip && tray {
		s.lastTooltip = tip
		setTrayTooltip(tip)
	}
	for _, t := range s.profiles {
		if t.noTray != nil {
			t.noTray.update(t)
		}
	}
	s.tabIcons()
}

// tabIcons show each profile's state on its tab of the status window.
func (s *trayShell) tabIcons() {
	if s.tabs == nil || len(s.tabs.Items) != len(s.profiles) {
		return
	}
	changed := false
	for i, p := range s.menus() {
		res := iconResource(iconForProfile(p), "")
		if it := s.tabs.Items[i]; it.Icon != res {
			it.Icon, changed = res, true
		}
	}
	if changed {
		s.tabs.Refresh()
	}
}

func (s *trayShell) fyneMenu(items []shellItem) *fyne.Menu {
	out := make([]*fyne.MenuItem, 0, len(items))
	for _, it := range items {
		if it.separator() {
			out = append(out, fyne.NewMenuItemSeparator())
			continue
		}
		p, act := it.Profile, it.Action
		mi := fyne.NewMenuItem(it.Label, func() { s.act(p, act) })
		mi.Disabled = !it.Enabled
		mi.Checked = it.Checked
		mi.IsQuit = act == ActQuit
		out = append(out, mi)
	}
	return fyne.NewMenu("ibkr-tray", out...)
}

// act runs a menu item: a profile's on that profile, the app's on the
// first (Settings opens on it; Start at login starts them all). The item
// may be from a menu made before a profile was removed.
func (s *trayShell) act(profile int, a Action) {
	if len(s.profiles) == 0 {
		return
	}
	if profile < 0 || profile >= len(s.profiles) {
		profile = 0
	}
	s.profiles[profile].do(a)
}

// showStatus shows the status window on t's tab (nil: the one that most
// needs a look).
func (s *trayShell) showStatus(t *trayApp) {
	if !s.several() {
		s.profiles[0].showStatus()
		return
	}
	if t == nil {
		t = s.worstProfile()
	}
	if s.statusWin == nil {
		w := s.app.NewWindow("ibkr-tray status")
		w.Resize(fyne.NewSize(560, 800))
		s.tabs = container.NewAppTabs()
		for _, p := range s.profiles {
			p.status = p.newStatus()
			p.statusWin = w
			s.tabs.Append(container.NewTabItemWithIcon(p.o.Paths.Profile, nil, p.status.content))
		}
		first := s.profiles[0]
		if s.noTray != "" {
			w.SetContent(first.noTrayContent(s.tabs))
			first.status.setNotice(fmt.Sprintf(noTrayNotice, s.noTray))
			w.SetCloseIntercept(first.askQuit)
		} else {
			w.SetContent(s.tabs)
			w.SetCloseIntercept(s.closeStatus)
		}
		s.statusWin = w
		s.tabIcons()
	}
	for i, p := range s.profiles {
		p.statusVisible.Store(true)
		p.refreshStatus()
		if p == t {
			s.tabs.SelectIndex(i)
		}
	}
	if s.onShow != nil {
		s.onShow("status")
	}
	s.statusWin.Show()
	s.statusWin.RequestFocus()
}

// closeStatus closes the status window; the next showStatus makes a new one.
func (s *trayShell) closeStatus() {
	for _, p := range s.profiles {
		p.statusVisible.Store(false)
		p.status, p.statusWin, p.noTray = nil, nil, nil
	}
	if s.statusWin != nil {
		s.statusWin.Close()
	}
	s.statusWin, s.tabs = nil, nil
}

// worstProfile is the profile whose state most needs a look (the first
// of equals).
func (s *trayShell) worstProfile() *trayApp {
	var worst *trayApp
	rank := -1
	for i, p := range s.menus() {
		if r := iconRank(iconForProfile(p)); r > rank {
			worst, rank = s.profiles[i], r
		}
	}
	return worst
}

// regroup is the change between one profile and several: the one who
// drives the tray changes, so each forgets what it last handed to it
// and the status window is made anew.
func (s *trayShell) regroup(before []*trayApp) {
	if len(before) > 1 {
		s.closeStatus()
	} else if len(before) == 1 && before[0].statusWin != nil {
		before[0].closeStatus()
	}
	s.menu, s.menuItems, s.lastIcon, s.lastTooltip, s.lastStatus = nil, nil, 0, "", ""
	for _, t := range s.profiles {
		t.menu, t.menuItems, t.lastIcon, t.lastTooltip, t.lastTrayStatus = nil, nil, 0, "", ""
	}
	s.namePrefixes()
	if s.several() {
		s.refresh()
	} else {
		p := s.profiles[0]
		p.apply(p.last, p.output)
	}
}

// addProfile runs a profile added in Settings beside the others.
func (s *trayShell) addProfile(t *trayApp) {
	before := slices.Clone(s.profiles)
	s.join(t)
	s.profiles = append(s.profiles, t)
	t.last = stoppedStatus("Not started yet.")
	t.timeline.Observe(t.last, t.o.Now())
	s.regroup(before)
	if s.several() {
		s.startProfile(t)
	} else {
		t.start()
	}
}

// removeProfile takes a stopped profile out of the tray.
func (s *trayShell) removeProfile(t *trayApp) {
	before := slices.Clone(s.profiles)
	s.profiles = slices.DeleteFunc(s.profiles, func(p *trayApp) bool { return p == t })
	t.closePopup() // hidden, not closed: see closePopup
	t.cancel()
	t.shell = nil
	s.removed = append(s.removed, t)
	s.regroup(before)
}

// shutdown stops every profile's backend after the app has quit and
// waits, bounded, until every gateway is gone. Their stops run at once.
func (s *trayShell) shutdown(timeout time.Duration) int {
	var wg sync.WaitGroup
	for _, t := range s.profiles {
		t.cancel()
		wg.Go(t.background.Wait)
	}
	for _, t := range s.removed {
		wg.Go(t.background.Wait)
	}
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return 0
	case <-time.After(timeout):
		s.profiles[0].o.Log.Error("the gateways did not stop in time", "waited", timeout)
		return 1
	}
}

// popupUpElsewhere reports whether another profile's popup is on screen.
// UI goroutine.
func (s *trayShell) popupUpElsewhere(t *trayApp) bool {
	for _, p := range s.profiles {
		if p != t && p.popupOpen {
			return true
		}
	}
	return false
}

// popupGone lets the next profile that needs the user show its popup, now
// that t's went. UI goroutine.
func (s *trayShell) popupGone(t *trayApp) {
	for _, p := range s.profiles {
		if p != t && !p.popupOpen {
			p.updatePopup(p.last)
		}
	}
}
