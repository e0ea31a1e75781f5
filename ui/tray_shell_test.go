package ui

import (
	"context"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/ibkr-tray/ibkr-tray/gateway"
	"github.com/ibkr-tray/ibkr-tray/session"
	"github.com/ibkr-tray/ibkr-tray/session/secrets"
	"github.com/ibkr-tray/ibkr-tray/ui/config"
	"github.com/ibkr-tray/ibkr-tray/ui/profiles"
	"github.com/ibkr-tray/ibkr-tray/ui/runner"
)

func TestWorstIconOrdersAttentionProblemWorkingOK(t *testing.T) {
	for _, tc := range []struct {
		in   []IconState
		want IconState
	}{
		{nil, IconOK},
		{[]IconState{IconOK, IconOK}, IconOK},
		{[]IconState{IconOK, IconWorking}, IconWorking},
		{[]IconState{IconWorking, IconStopped}, IconStopped},
		{[]IconState{IconStopped, IconOK, IconWorking}, IconStopped},
		{[]IconState{IconStopped, IconAttention}, IconAttention},
		{[]IconState{IconAttention, IconOK}, IconAttention},
	} {
		if got := worstIcon(tc.in...); got != tc.want {
			t.Errorf("worstIcon(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

// shellLines is a shell model as the tray tests write menus.
func shellLines(items []shellItem) string {
	m := make([]menuItem, len(items))
	for i, it := range items {
		m[i] = it.menuItem
	}
	return menuLines(m)
}

func TestShellMenuHasASectionPerProfileThenTheSharedItems(t *testing.T) {
	live := authenticated()
	live.Session.SelectedAccount = "U1234567"
	paper := noCredentials()
	got := shellMenuModel([]profileMenu{{Name: "live", Status: live}, {Name: "paper", Status: paper}}, true)
	want := "(live: Authenticated (U1234567))|Open gateway page|Restart gateway|Status…|-|" +
		"(paper: Login needed)|Log in in the browser|Open Settings…|Open gateway page|Restart gateway|Status…|-|" +
		"Settings…|[x] Start at login|-|Quit and stop the gateways|"
	if s := shellLines(got); s != want {
		t.Errorf("menu\n got %s\nwant %s", s, want)
	}
	// Each profile's items act on that profile, the shared ones on none.
	for _, it := range got {
		switch {
		case strings.HasPrefix(it.Label, "paper:"), it.Action == ActLoginInBrowser:
			if it.Profile != 1 {
				t.Errorf("%q acts on profile %d, want 1 (paper)", it.Label, it.Profile)
			}
		case it.Action == ActSettings, it.Action == ActQuit:
			if it.Profile != sharedItem {
				t.Errorf("%q acts on profile %d, want none", it.Label, it.Profile)
			}
		}
	}
}

func TestShellMenuShowsAProfileThatDidNotStart(t *testing.T) {
	other := "ibkr-tray is already running for profile paper (pid 77). Use its icon in the tray, or quit it first."
	got := shellLines(shellMenuModel([]profileMenu{
		{Name: "live", Status: authenticated()},
		{Name: "paper", Status: stoppedStatus(other), Problem: other},
		{Name: "new", Status: stoppedStatus("Not started yet."), NotSetUp: true},
	}, false))
	want := "(live: Authenticated as U1234567)|Open gateway page|Restart gateway|Status…|-|" +
		"(paper: Not started)|(ibkr-tray is already running for profile paper (pid 77).)|Status…|-|" +
		"(new: Not set up)|(Open gateway page)|Set up the gateway…|Status…|-|" +
		"Settings…|Start at login|-|Quit and stop the gateway|"
	if got != want {
		t.Errorf("menu\n got %s\nwant %s", got, want)
	}
	if icon := worstIcon(iconForProfile(profileMenu{Status: authenticated()}), iconForProfile(profileMenu{Problem: other})); icon != IconStopped {
		t.Errorf("icon %v with a profile not started, want %v", icon, IconStopped)
	}
}

func TestShellMenuShowsLogInWhenOffered(t *testing.T) {
	got := shellLines(shellMenuModel([]profileMenu{{Name: "live", Status: loggedOut()}, {Name: "paper", Status: authenticated()}}, false))
	want := "(live: " + statusWords(loggedOut()) + ")|Log in|Log in in the browser|Open gateway page|Restart gateway|Status…|-|" +
		"(paper: Authenticated as U1234567)|Open gateway page|Restart gateway|Status…|-|" +
		"Settings…|Start at login|-|Quit and stop the gateways|"
	if got != want {
		t.Errorf("menu\n got %s\nwant %s", got, want)
	}
}

func TestShellTooltipListsEachProfile(t *testing.T) {
	live := authenticated()
	live.Session.SelectedAccount = "U1234567"
	got := shellTooltip([]profileMenu{{Name: "live", Status: live}, {Name: "paper", Status: snap(gateway.Starting, session.GatewayDown)}})
	if want := "ibkr-tray\nlive: Authenticated (U1234567)\npaper: Gateway starting…"; got != want {
		t.Errorf("tooltip %q, want %q", got, want)
	}
}

// shellHarness is two profiles, live and paper, in one tray, each with a
// fake backend.
type shellHarness struct {
	t        *testing.T
	shell    *trayShell
	trays    []*trayApp
	backends []*fakeBackend
	notes    []*recordingNotifier
	ui       *serialUI
}

func newShellHarness(t *testing.T, names ...string) *shellHarness {
	return newShellHarnessWith(t, nil, names...)
}

// newShellHarnessWith starts the profiles; a profile in startErr fails to
// start with that error.
func newShellHarnessWith(t *testing.T, startErr map[string]error, names ...string) *shellHarness {
	profileHome(t)
	a := test.NewTempApp(t)
	h := &shellHarness{t: t, ui: &serialUI{}}
	ctx, cancel := context.WithCancel(context.Background())
	auto := &fakeAutostart{}
	deps := testDeps()
	deps.Secrets = secrets.Memory(secrets.Credentials{})
	profile := func(name string, cfg config.Config) *trayApp {
		paths, err := config.PathsFor(name)
		if err != nil {
			t.Fatal(err)
		}
		fb := newFakeBackend(stoppedStatus("starting"))
		notes := &recordingNotifier{}
		tr := newTrayApp(ctx, a, trayOptions{
			Paths: paths, Config: cfg, Deps: deps, Notifier: notes, Autostart: auto, Now: fixedNow,
			Log: slog.New(slog.DiscardHandler), NoTray: "test",
			Start: func(ctx context.Context, _ BackendOptions) (Started, error) {
				if err := startErr[name]; err != nil {
					return Started{}, err
				}
				return fakeStarted(ctx, fb), nil
			},
			Do: h.ui.do,
		})
		h.trays, h.backends, h.notes = append(h.trays, tr), append(h.backends, fb), append(h.notes, notes)
		return tr
	}
	for i, name := range names {
		cfg := config.Default()
		cfg.GatewayDir = "/home/ann/clientportal-" + name
		cfg.StatusAddr = "127.0.0.1:" + strconv.Itoa(5490+i)
		cfg.Port = 5000 + i
		saveProfile(t, name, cfg)
		profile(name, cfg)
	}
	// NoTray "test" keeps the shell off the system tray; it shows the
	// status window at start, as without a tray, with a tab per profile.
	h.shell = newTrayShell(a, slices.Clone(h.trays))
	h.shell.newProfile = func(name string) (*trayApp, error) {
		cfg, err := profiles.Add(name)
		if err != nil {
			return nil, err
		}
		cfg.GatewayDir = "/home/ann/clientportal-" + name // set up: it starts
		return profile(name, cfg), nil
	}
	t.Cleanup(func() {
		cancel()
		if code := h.shell.shutdown(stopTimeout); code != 0 {
			t.Errorf("shutdown: %d", code)
		}
	})
	h.ui.do(func() {
		h.shell.setup()
		h.shell.start()
	})
	return h
}

func (h *shellHarness) menu() string {
	var s string
	h.ui.do(func() { s = fyneMenuLines(h.shell.menu) })
	return s
}

// click clicks the nth enabled item labelled so (0: the first).
func (h *shellHarness) click(label string, nth int) {
	h.t.Helper()
	if !clickMenuItem(h.ui.do, func() *fyne.Menu { return h.shell.menu }, label, nth) {
		h.t.Fatalf("no enabled menu item %q in %s", label, h.menu())
	}
}

func TestShellFaultOnOneProfileTurnsOnlyItsSection(t *testing.T) {
	h := newShellHarness(t, "live", "paper")
	live, paper := authenticated(), authenticated()
	live.Session.SelectedAccount, paper.Session.SelectedAccount = "U1234567", "DU7654321"
	h.backends[0].set(live)
	h.backends[1].set(paper)
	both := "(live: Authenticated (U1234567))|Open gateway page|Restart gateway|Status…|-|" +
		"(paper: Authenticated (DU7654321))|Open gateway page|Restart gateway|Status…|-|"
	eventually(t, "both authenticated", func() bool { return strings.HasPrefix(h.menu(), both) })
	var icon IconState
	h.ui.do(func() { icon = h.shell.lastIcon })
	if icon != IconOK {
		t.Errorf("icon %v with both authenticated, want OK", icon)
	}
	var before *fyne.Menu
	h.ui.do(func() { before = h.shell.menu })

	// A snapshot that changes nothing the menu shows keeps the menu (a
	// click the host sends for an item of the old one would be lost).
	again := live
	again.Session.LastTickle = fixedNow()
	h.backends[0].set(again)
	eventually(t, "the tickle seen", func() bool {
		var seen bool
		h.ui.do(func() { seen = h.trays[0].last.Session.LastTickle.Equal(fixedNow()) })
		return seen
	})
	var same bool
	h.ui.do(func() { same = before == h.shell.menu })
	if !same {
		t.Error("a tickle replaced the menu")
	}

	h.backends[1].set(noCredentials())
	eventually(t, "paper needs a login", func() bool { return strings.Contains(h.menu(), "(paper: Login needed)") })
	if m := h.menu(); !strings.HasPrefix(m, "(live: Authenticated (U1234567))|") {
		t.Errorf("live's section changed with paper's fault: %s", m)
	}
	h.ui.do(func() { icon = h.shell.lastIcon })
	if icon != IconAttention {
		t.Errorf("icon %v with paper needing a login, want Attention", icon)
	}
	eventually(t, "paper's notification", func() bool {
		return strings.Join(h.notes[1].titles(), ",") == "paper: IBKR login needed"
	})
	if got := h.notes[0].titles(); len(got) != 0 {
		t.Errorf("live told %v; nothing happened to it", got)
	}
	var popupTitle, winTitle string
	eventually(t, "paper's popup", func() bool {
		h.ui.do(func() {
			if h.trays[1].popupOpen {
				popupTitle, winTitle = h.trays[1].popup.title.Text, h.trays[1].popupWin.Title()
			}
		})
		return popupTitle != ""
	})
	if !strings.HasPrefix(popupTitle, "paper: ") || !strings.HasPrefix(winTitle, "paper: ") {
		t.Errorf("popup title %q, window %q; want both to name paper", popupTitle, winTitle)
	}

	// The second Log in in the browser is paper's (live has none) and
	// reaches paper's backend alone.
	h.click(labelLoginBrowser, 0)
	h.backends[1].waitCall(t, "LoginInBrowser")
	if got := h.backends[0].commands(); len(got) != 0 {
		t.Errorf("live's backend heard %v", got)
	}
	// Restart gateway in live's section restarts live's gateway only.
	h.click(labelRestart, 0)
	h.backends[0].waitCall(t, "RestartGateway")
}

func TestShellStatusWindowHasATabPerProfile(t *testing.T) {
	h := newShellHarness(t, "live", "paper")
	h.backends[1].set(noCredentials())
	eventually(t, "paper needs a login", func() bool { return strings.Contains(h.menu(), "(paper: Login needed)") })
	h.click(labelStatus, 1) // paper's Status…
	var tabs []string
	var selected string
	h.ui.do(func() {
		at := h.shell.tabs
		for _, it := range at.Items {
			tabs = append(tabs, it.Text)
		}
		selected = at.Selected().Text
	})
	if strings.Join(tabs, ",") != "live,paper" || selected != "paper" {
		t.Errorf("tabs %v, selected %q; want live,paper with paper selected", tabs, selected)
	}
	var icon fyne.Resource
	h.ui.do(func() { icon = h.shell.tabs.Items[1].Icon })
	if icon != iconResource(IconAttention, "") {
		t.Errorf("paper's tab icon %v, want the attention icon", icon)
	}
	var title string
	h.ui.do(func() { title = h.trays[1].status.title.Text })
	if title != statusLine(noCredentials()) {
		t.Errorf("paper's tab says %q, want %q", title, statusLine(noCredentials()))
	}
	h.click(labelStatus, 0)
	h.ui.do(func() { selected = h.shell.tabs.Selected().Text })
	if selected != "live" {
		t.Errorf("live's Status… selected %q", selected)
	}
}

func TestSettingsAddsAProfileBesideTheOneAndRemovesIt(t *testing.T) {
	h := newShellHarness(t, "live")
	h.backends[0].set(authenticated())
	live := h.trays[0]
	// One profile: today's menu, the trayApp's own.
	var single string
	eventually(t, "live authenticated", func() bool {
		h.ui.do(func() { single = fyneMenuLines(live.menu) })
		return strings.HasPrefix(single, "(Authenticated as U1234567 · paper)|-|")
	})
	h.ui.do(live.showSettings)
	var ss *shellSettings
	h.ui.do(func() { ss = h.shell.settings })
	if ss == nil {
		t.Fatal("no Settings window")
	}
	var options []string
	var removable bool
	h.ui.do(func() { options, removable = ss.picker.Options, !ss.remove.Disabled() })
	if strings.Join(options, ",") != "live" || removable {
		t.Errorf("picker %v, Remove enabled %v; want live alone, and the only profile not removable", options, removable)
	}

	// Add paper: it starts beside live; the menu has a section each.
	h.ui.do(func() { ss.addNamed("paper") })
	var n int
	h.ui.do(func() { n = len(h.shell.profiles) })
	if n != 2 {
		t.Fatalf("%d profiles after adding paper", n)
	}
	paperBackend := h.backends[1]
	paperBackend.set(noCredentials())
	eventually(t, "two sections", func() bool {
		m := h.menu()
		return strings.HasPrefix(m, "(live: Authenticated as U1234567)|") && strings.Contains(m, "|(paper: Login needed)|")
	})
	eventually(t, "paper's notification names it", func() bool {
		return strings.Join(h.notes[1].titles(), ",") == "paper: IBKR login needed"
	})
	h.ui.do(func() { options, removable = ss.picker.Options, !ss.remove.Disabled() })
	if strings.Join(options, ",") != "live,paper" || !removable {
		t.Errorf("picker %v, Remove enabled %v; want live,paper, removable", options, removable)
	}
	paperPaths, _ := config.PathsFor("paper")
	if _, err := os.Stat(paperPaths.ConfigFile); err != nil {
		t.Errorf("paper's settings file: %v", err)
	}

	// Remove paper: its backend stops first, then its files go, and the
	// menu is live's alone again.
	var paper *trayApp
	h.ui.do(func() { paper = h.shell.profiles[1]; ss.pick(paper); ss.removeIt(paper) })
	eventually(t, "paper removed", func() bool {
		var n int
		h.ui.do(func() { n = len(h.shell.profiles) })
		return n == 1
	})
	if paper.ctx.Err() == nil {
		t.Error("paper's backend still runs after Remove")
	}
	if _, err := os.Stat(paperPaths.ConfigFile); !os.IsNotExist(err) {
		t.Errorf("paper's settings file after Remove: %v", err)
	}
	eventually(t, "live's own menu again", func() bool {
		h.ui.do(func() { single = fyneMenuLines(live.menu) })
		return strings.HasPrefix(single, "(Authenticated as U1234567 · paper)|-|")
	})
	if p := live.named("x"); p != "x" {
		t.Errorf("live alone still names itself: %q", p)
	}
}

func TestShellProfileRunByAnotherCopySaysSoAndTheOtherRuns(t *testing.T) {
	h := newShellHarnessWith(t, map[string]error{"paper": &runner.AlreadyRunningError{Profile: "paper", PID: 77}}, "live", "paper")
	h.backends[0].set(authenticated())
	want := "(live: Authenticated as U1234567)|Open gateway page|Restart gateway|Status…|-|" +
		"(paper: Not started)|(" + lineOtherCopy + ")|Status…|-|"
	eventually(t, "paper not started, live authenticated", func() bool { return strings.HasPrefix(h.menu(), want) })
	var reason string
	h.ui.do(func() { reason = h.trays[1].last.Gateway.Reason })
	if !strings.Contains(reason, "already running for profile paper (pid 77)") {
		t.Errorf("paper's status says %q; want the other copy's pid", reason)
	}
}

func TestShellProfileThatClashesStaysStoppedUntilItsSettingsChange(t *testing.T) {
	h := newShellHarness(t, "live", "paper")
	h.backends[0].set(authenticated())
	h.backends[1].set(authenticated())
	eventually(t, "both authenticated", func() bool { return strings.Count(h.menu(), ": Authenticated as U1234567)") == 2 })
	paper := h.trays[1]
	setPort := func(port int) {
		h.ui.do(func() {
			c := paper.o.Config
			c.Port = port
			if err := paper.saveSettings(c, false); err != nil {
				t.Error(err)
			}
		})
	}
	setPort(5000) // live's
	clash := "(paper: Not started)|(" + lineClash + ")|Status…|-|"
	eventually(t, "paper clashes with live", func() bool { return strings.Contains(h.menu(), clash) })
	var reason string
	h.ui.do(func() { reason = paper.last.Gateway.Reason })
	if !strings.Contains(reason, "port 5000") || !strings.Contains(reason, `"live"`) {
		t.Errorf("paper's status says %q; want the clash with live on port 5000", reason)
	}
	if m := h.menu(); !strings.HasPrefix(m, "(live: Authenticated as U1234567)|") {
		t.Errorf("live's section with paper's clash: %s", m)
	}
	setPort(5002)
	eventually(t, "paper runs again", func() bool { return strings.Contains(h.menu(), "(paper: Authenticated as U1234567)|") })
}

func TestSettingsRenamesAProfileAndRunsItUnderItsNewName(t *testing.T) {
	h := newShellHarness(t, "live", "paper")
	h.backends[1].set(authenticated())
	eventually(t, "paper authenticated", func() bool { return strings.Contains(h.menu(), "(paper: Authenticated as U1234567)|") })
	paper := h.trays[1]
	h.ui.do(paper.showSettings)
	var ss *shellSettings
	h.ui.do(func() { ss = h.shell.settings; ss.renameTo(paper, "paper2") })
	eventually(t, "renamed", func() bool { return strings.Contains(h.menu(), "(paper2: Authenticated as U1234567)|") })
	var options []string
	var selected string
	h.ui.do(func() { options, selected = ss.picker.Options, ss.picker.Selected })
	if strings.Join(options, ",") != "live,paper2" || selected != "paper2" {
		t.Errorf("picker %v on %q after the rename; want live,paper2 on paper2", options, selected)
	}
	old, _ := config.PathsFor("paper")
	renamed, _ := config.PathsFor("paper2")
	if _, err := os.Stat(old.ConfigFile); !os.IsNotExist(err) {
		t.Errorf("the old settings file: %v", err)
	}
	if _, err := os.Stat(renamed.ConfigFile); err != nil {
		t.Errorf("the new settings file: %v", err)
	}
	h.backends[1].set(noCredentials())
	eventually(t, "the notification names paper2", func() bool {
		return strings.Join(h.notes[1].titles(), ",") == "paper2: IBKR login needed"
	})
}

// Beside other profiles, the Welcome window says which profile it sets up.
func TestShellWelcomeNamesItsProfile(t *testing.T) {
	h := newShellHarness(t, "live", "paper")
	h.ui.do(func() { h.trays[1].showWelcome() })
	var titles []string
	h.ui.do(func() {
		for _, w := range fyne.CurrentApp().Driver().AllWindows() {
			titles = append(titles, w.Title())
		}
	})
	if !slices.Contains(titles, "paper: Welcome to ibkr-tray") {
		t.Errorf("windows %q; want paper's Welcome named", titles)
	}
}

// Two profiles that need the user at once: one popup at a time (two would
// open centred on top of each other); the second comes up when the first
// goes, by Later or because its session came back.
func TestShellShowsOnePopupAtATime(t *testing.T) {
	h := newShellHarness(t, "live", "paper")
	h.backends[0].set(noCredentials())
	eventually(t, "live's popup", func() bool {
		var open bool
		h.ui.do(func() { open = h.trays[0].popupOpen })
		return open
	})
	h.backends[1].set(noCredentials())
	eventually(t, "paper's state seen", func() bool {
		var needs bool
		h.ui.do(func() { needs = h.trays[1].last.Session.NeedsYou })
		return needs
	})
	open := func() (live, paper bool) {
		h.ui.do(func() { live, paper = h.trays[0].popupOpen, h.trays[1].popupOpen })
		return
	}
	if l, p := open(); !l || p {
		t.Fatalf("popups open: live %v, paper %v; want live's alone", l, p)
	}
	h.ui.do(h.trays[0].dismissPopup) // Later on live's
	eventually(t, "paper's popup after live's went", func() bool { l, p := open(); return !l && p })
	var title string
	h.ui.do(func() { title = h.trays[1].popupWin.Title() })
	if !strings.HasPrefix(title, "paper: ") {
		t.Errorf("the second popup is titled %q", title)
	}
	// Paper's session comes back: its popup goes, and live's (Later) stays away.
	h.backends[1].set(authenticated())
	eventually(t, "paper's popup gone", func() bool { _, p := open(); return !p })
	if l, _ := open(); l {
		t.Error("live's popup came back after Later")
	}
}
