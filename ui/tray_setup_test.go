package ui

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/ibkr-tray/ibkr-tray/gateway"
	"github.com/ibkr-tray/ibkr-tray/session"
	"github.com/ibkr-tray/ibkr-tray/ui/config"
	"github.com/ibkr-tray/ibkr-tray/ui/runner"
)

// TestTrayNotSetUpSaysSoAndStartOpensTheWelcome: with no gateway folder
// the menu says "Not set up", and its Start item brings the Welcome
// window back after the user closed it (it used to do nothing visible).
func TestTrayNotSetUpSaysSoAndStartOpensTheWelcome(t *testing.T) {
	a := test.NewTempApp(t)
	ui := &serialUI{}
	ctx, cancel := context.WithCancel(context.Background())
	var shown []string
	tr := newTrayApp(ctx, a, trayOptions{
		Paths:  config.Paths{Profile: "default", ConfigFile: filepath.Join(t.TempDir(), "config.json"), StateDir: t.TempDir()},
		Config: config.Default(), Deps: testDeps(), Notifier: &recordingNotifier{},
		Autostart: &fakeAutostart{}, Now: fixedNow, Log: slog.New(slog.DiscardHandler), NoTray: "test", Do: ui.do,
		OnShow: func(w string) { shown = append(shown, w) },
	})
	t.Cleanup(func() {
		cancel()
		tr.background.Wait()
	})
	ui.do(func() {
		tr.setup()
		tr.start()
		if tr.welcome == nil {
			t.Fatal("no welcome window without a gateway folder")
		}
		tr.welcome.Close()
		if tr.welcome != nil {
			t.Fatal("the closed welcome window is still held")
		}
		if first := tr.menu.Items[0].Label; first != lineNotSetUp {
			t.Errorf("menu's first line %q; want %q", first, lineNotSetUp)
		}
		tr.do(ActRestart) // the menu's "Set up the gateway…"
		if tr.welcome == nil {
			t.Error("Set up the gateway… did not open the Welcome window")
		}
	})
	if len(shown) == 0 || shown[len(shown)-1] != "welcome" {
		t.Errorf("windows shown %v; want the welcome window last", shown)
	}
	if tr.backend != nil {
		t.Error("a backend started with nothing set up")
	}
}

func TestTooltipSaysTheStateAndWhy(t *testing.T) {
	for _, tc := range []struct {
		name string
		tip  string
		want string
	}{
		{"authenticated", tooltipText(authenticated(), false), "ibkr-tray: Authenticated as U1234567 · paper"},
		{"no credentials", tooltipText(noCredentials(), false), "ibkr-tray: Login needed\n" + whatOf(noCredentials())},
		{"stopped", tooltipText(stoppedStatus("The gateway exited."), false), "ibkr-tray: Gateway stopped\nThe gateway exited."},
		{"not set up", tooltipText(stoppedStatus("Not started yet."), true), "ibkr-tray: Not set up\nChoose the gateway folder in the Welcome window (Set up the gateway… in this menu)."},
	} {
		if tc.tip != tc.want {
			t.Errorf("%s: tooltip %q; want %q", tc.name, tc.tip, tc.want)
		}
	}
	if tip := tooltipText(keeper(snap(gateway.Running, session.NeedsManualLogin), session.CauseBadCredentials, true, session.Offers{}), false); !strings.Contains(tip, "\n") {
		t.Errorf("bad credentials tooltip %q has no reason line", tip)
	}
}

func whatOf(st runner.Status) string {
	_, what, _ := explain(st)
	return what
}

// TestTrayMenuStaysTheSameObjectWhenNothingInItChanged: every snapshot
// (one per tickle) replaced the tray menu, renumbering its items, so a
// click on the menu the user had open could miss ("no menu item with ID").
func TestTrayMenuStaysTheSameObjectWhenNothingInItChanged(t *testing.T) {
	h := newHarness(t, authenticated())
	eventually(t, "authenticated", func() bool { return strings.HasPrefix(h.menu(), "(Authenticated") })
	var before, after *fyne.Menu
	h.ui.do(func() { before = h.tray.menu })
	st := authenticated()
	st.Session.LastTickle = fixedNow().Add(time.Second) // a tickle: nothing the menu shows
	h.ui.do(func() { h.tray.apply(st, nil) })
	h.ui.do(func() { after = h.tray.menu })
	if before != after {
		t.Error("a tickle replaced the tray menu")
	}
	h.ui.do(func() { h.tray.apply(noCredentials(), nil) })
	h.ui.do(func() { after = h.tray.menu })
	if before == after || !strings.HasPrefix(h.menu(), "(Login needed)") {
		t.Errorf("a change in the menu did not rebuild it: %s", h.menu())
	}
}
