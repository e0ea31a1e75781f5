//go:build linux

package ui

import (
	"bytes"
	"context"
	"crypto/rand"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/ibkr-tray/ibkr-tray/gateway/sim"
	"github.com/ibkr-tray/ibkr-tray/session/secrets"
	"github.com/ibkr-tray/ibkr-tray/ui/config"
	"github.com/ibkr-tray/ibkr-tray/ui/desktoptest"
	"github.com/ibkr-tray/ibkr-tray/ui/runner"
)

// profileWorld is one profile of a several-profile world: its own
// simulator laid out as a gateway folder, settings file and control socket.
type profileWorld struct {
	name    string
	simURL  string
	control *http.Client
	creds   secrets.Credentials
	account string // the account the simulator selects
}

func (p *profileWorld) status(t testing.TB) runner.Status {
	t.Helper()
	var st runner.Status
	getJSONWith(t, p.control, http.MethodGet, runner.ControlURL+"/status", &st)
	return st
}

func (p *profileWorld) fault(t testing.TB, name string) {
	t.Helper()
	var st sim.State
	getJSON(t, http.MethodPost, p.simURL+"/sim/"+name, &st)
}

// newProfilesWorld makes one home with a profile per entry of paper (true:
// a paper user without a second factor), each with a simulator that starts
// logged in. No default profile exists: the app runs them all.
func newProfilesWorld(t testing.TB, display, busAddr string, names []string, paper []bool) ([]*profileWorld, []string) {
	t.Helper()
	home, dir := shortHome(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	xdgConfig, runtimeDir := dir("config"), dir("runtime")
	var ps []*profileWorld
	for i, name := range names {
		p := &profileWorld{name: name, creds: secrets.Credentials{Username: name + "user", Password: "pw-" + rand.Text()}}
		acc := sim.Account{Username: p.creds.Username, Password: p.creds.Password, Paper: paper[i]}
		p.account = "U2468135"
		if paper[i] {
			p.account = "DU7654321"
		} else {
			p.creds.TOTPSecret = newTOTPSecret()
			acc.TOTPSecret = p.creds.TOTPSecret
		}
		acc.AccountIDs = []string{p.account}
		gwPort, err := sim.FreePort()
		if err != nil {
			t.Fatal(err)
		}
		so := sim.DefaultOptions()
		so.Accounts = []sim.Account{acc}
		so.AuthDelay, so.ReauthDelay = 500*time.Millisecond, time.Second
		so.ResetAt = ""
		so.Authenticated = true
		dist := filepath.Join(home, "gw-"+name)
		if err := sim.WriteDist(dist, sim.DistOptions{Port: gwPort, SSL: true, Command: []string{exe, "sim"}, Options: so}); err != nil {
			t.Fatal(err)
		}
		p.simURL = "https://127.0.0.1:" + strconv.Itoa(gwPort)
		statusPort, err := sim.FreePort()
		if err != nil {
			t.Fatal(err)
		}
		cfg := config.Default()
		cfg.GatewayDir = dist
		cfg.Paper = paper[i]
		cfg.StatusAddr = "127.0.0.1:" + strconv.Itoa(statusPort)
		cfg.TickleInterval = config.Duration(time.Second)
		if err := cfg.Save(filepath.Join(xdgConfig, "ibkr-tray", "profiles", name, "config.json")); err != nil {
			t.Fatal(err)
		}
		p.control = runner.ControlClient(filepath.Join(runtimeDir, "ibkr-tray", name+".sock"), 10*time.Second)
		ps = append(ps, p)
	}
	stubs := dir("bin")
	opened := filepath.Join(home, "opened-urls")
	stub := "#!/bin/sh\nprintf '%s\\n' \"$*\" >> '" + opened + "'\n"
	if err := os.WriteFile(filepath.Join(stubs, "xdg-open"), []byte(stub), 0o755); err != nil {
		t.Fatal(err)
	}
	env := []string{
		childEnv + "=real", simEnv + "=1",
		"DISPLAY=" + display, "DBUS_SESSION_BUS_ADDRESS=" + busAddr, "LANG=en_US.UTF-8",
		"HOME=" + home, "XDG_CONFIG_HOME=" + xdgConfig, "XDG_STATE_HOME=" + dir("state"),
		"XDG_RUNTIME_DIR=" + runtimeDir, "XDG_DATA_HOME=" + dir("data"), "XDG_CACHE_HOME=" + dir("cache"),
		"TMPDIR=" + dir("tmp"), "PATH=" + stubs + ":" + os.Getenv("PATH"), "BROWSER=true",
		"GOCOVERDIR=" + os.Getenv("GOCOVERDIR"),
	}
	return ps, env
}

// section is a profile's part of the menu: its lines from its header to
// the separator after it.
func section(lines, name string) string {
	i := strings.Index(lines, "("+name+": ")
	if i < 0 {
		return ""
	}
	s := lines[i:]
	if j := strings.Index(s, "|-|"); j >= 0 {
		s = s[:j+1]
	}
	return s
}

// TestTrayEndToEndWithTwoProfiles runs the app as a user with a paper and
// a live profile does (Main, no --profile: every profile; the real runner,
// keeper and keyring) against two simulators as their gateways, and
// watches it over D-Bus as the desktop does. A fault on live turns the
// icon, live's section and a notification naming live, and nothing of
// paper; Quit stops both gateways.
func TestTrayEndToEndWithTwoProfiles(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: starts Xvfb, a bus, a keyring and two simulators")
	}
	desktoptest.RequireTools(t, "Xvfb", "xdpyinfo", "dbus-daemon", "gnome-keyring-daemon", "import", "xwininfo")
	bus := desktoptest.StartBus(t)
	desktoptest.StartKeyring(t, bus, keyringPassword)
	watcher := desktoptest.StartWatcher(t, bus)
	notes := desktoptest.StartNotificationServer(t, bus)
	display := desktoptest.StartXvfb(t)
	ps, env := newProfilesWorld(t, display.Name, bus.Address, []string{"live", "paper"}, []bool{false, true})
	live, paper := ps[0], ps[1]
	keyring := secrets.Keyring(10 * time.Second)
	ctx := context.Background()
	for _, p := range ps {
		if err := keyring.Set(ctx, p.name, p.creds); err != nil {
			t.Fatalf("store %s's credentials in the test keyring: %v", p.name, err)
		}
	}

	began := time.Now()
	c := startChildWith(t, env)
	item := watcher.WaitItem(t, 30*time.Second)
	t.Logf("start to tray registered: %v", item.At.Sub(began).Round(time.Millisecond))

	// Both authenticate, each in its own section.
	liveOK := "(live: Authenticated (" + live.account + "))|Open gateway page|Restart gateway|Status…|"
	paperOK := "(paper: Authenticated (" + paper.account + "))|Open gateway page|Restart gateway|Status…|"
	both := liveOK + "-|" + paperOK + "-|Settings…|Start at login|-|" + labelQuitAndStopAll + "|"
	item.WaitMenu(t, both, 60*time.Second)
	t.Logf("start to both authenticated: %v", time.Since(began).Round(time.Millisecond))
	waitToolTip(t, item, "ibkr-tray\nlive: Authenticated ("+live.account+")\npaper: Authenticated ("+paper.account+")")
	waitStatus(t, item, sniActive)
	okIcon := iconPixels(t, item)
	var gateways []int
	for _, p := range ps {
		st := p.status(t)
		below := append([]int{st.Gateway.PID}, desktoptest.Descendants(st.Gateway.PID)...)
		if len(below) < 2 || !strings.Contains(desktoptest.CommandLine(below[len(below)-1]), "--conf") {
			t.Fatalf("%s: did not find run.sh and the simulator below the gateway pid %d: %v", p.name, st.Gateway.PID, below)
		}
		gateways = append(gateways, below...)
	}

	// Live's SSO session expires with no credentials stored: live needs
	// the user; paper carries on.
	if err := keyring.Delete(ctx, live.name); err != nil {
		t.Fatal(err)
	}
	live.fault(t, "expire-sso")
	var lines string
	waitFor(t, "live's section says login needed", 30*time.Second, func() bool {
		m, err := item.Menu()
		if err != nil {
			return false
		}
		lines = m.Lines()
		return strings.HasPrefix(section(lines, "live"), "(live: Login needed)|"+labelLoginBrowser+"|")
	})
	if got := section(lines, "paper"); got != paperOK {
		t.Errorf("paper's section with live's fault:\n got %s\nwant %s", got, paperOK)
	}
	need := notes.Wait(t, "live's login needed", func(n desktoptest.Notification) bool { return strings.Contains(n.Summary, "login needed") }, 10*time.Second)
	if need.Summary != "live: IBKR login needed" || need.Urgency != 2 {
		t.Errorf("notification %q (urgency %d); want an urgent one naming live", need.Summary, need.Urgency)
	}
	waitStatus(t, item, sniNeedsAttention)
	if bytes.Equal(iconPixels(t, item), okIcon) {
		t.Error("the tray icon did not change with live needing a login")
	}
	waitToolTip(t, item, "ibkr-tray\nlive: Login needed\npaper: Authenticated ("+paper.account+")")
	for _, n := range notes.All() {
		if strings.HasPrefix(n.Summary, "paper") {
			t.Errorf("paper told %q; nothing happened to it", n.Summary)
		}
	}
	if st := paper.status(t); st.Session.NeedsYou || st.Session.Cause != "" {
		t.Errorf("paper's status: needs you %v, cause %q", st.Session.NeedsYou, st.Session.Cause)
	}
	c.expect("SHOWN popup", 10*time.Second)

	// The menu with two profiles, drawn as Fyne draws a menu.
	dir := os.Getenv(screenshotsEnv)
	if dir == "" {
		dir = t.TempDir()
	}
	c.send(childCommand{Capture: "menu"})
	if res := c.expect("CAPTURED menu", 10*time.Second); res != "<nil>" {
		t.Fatalf("capture menu: %s", res)
	}
	grabWindow(t, display, "ibkr-tray menu", filepath.Join(dir, "screenshot-menu-profiles.png"))
	checkPNG(t, filepath.Join(dir, "screenshot-menu-profiles.png"))

	// Quit stops both gateways.
	m, err := item.Menu()
	if err != nil {
		t.Fatal(err)
	}
	quitAll(t, item, m, c, "the tray app")
	for _, pid := range gateways {
		if desktoptest.Alive(pid) {
			t.Errorf("gateway process %d (%s) is still running after Quit", pid, desktoptest.CommandLine(pid))
		}
	}
	if left := desktoptest.Descendants(c.cmd.Process.Pid); len(left) > 0 {
		t.Errorf("processes left below the app after Quit: %v", left)
	}
}

// TestTrayDemoShowsLiveAndPaperSideBySide runs `ibkr-tray --demo` as a
// user would: a live user who approves with IB Key and a paper user, in
// one tray. The live login waits for the tap, which the demo's "Approve
// on the demo phone" gives; then both are authenticated.
func TestTrayDemoShowsLiveAndPaperSideBySide(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: starts Xvfb, a bus, two simulators and Chromium")
	}
	desktoptest.RequireTools(t, "Xvfb", "xdpyinfo", "dbus-daemon", "chromium", "import", "xwininfo")
	bus := desktoptest.StartBus(t)
	watcher := desktoptest.StartWatcher(t, bus)
	notes := desktoptest.StartNotificationServer(t, bus)
	display := desktoptest.StartXvfb(t)
	_, env := newProfilesWorld(t, display.Name, bus.Address, nil, nil)
	c := startChildWith(t, append(env, childArgsEnv+"=--demo"))
	item := watcher.WaitItem(t, 30*time.Second)

	// The live login waits for the phone: its section offers the demo's.
	var lines string
	menuSays := func(what string, timeout time.Duration, ok func(lines string) bool) {
		t.Helper()
		waitFor(t, what, timeout, func() bool {
			m, err := item.Menu()
			if err != nil {
				return false
			}
			lines = m.Lines()
			return ok(lines)
		})
	}
	menuSays("demo-live waits for the approval", 90*time.Second, func(l string) bool {
		return strings.Contains(section(l, "demo-live"), "|"+labelApproveDemo+"|")
	})
	t.Logf("menu waiting for the approval: %s", lines)
	ask := notes.Wait(t, "approve notice", func(n desktoptest.Notification) bool { return strings.Contains(n.Summary, approveTitle) }, 20*time.Second)
	if ask.Summary != "demo-live: "+approveTitle {
		t.Errorf("notification %q; want it to name demo-live", ask.Summary)
	}
	// The menu, drawn as Fyne draws one.
	dir := os.Getenv(screenshotsEnv)
	if dir == "" {
		dir = t.TempDir()
	}
	c.send(childCommand{Capture: "menu"})
	if res := c.expect("CAPTURED menu", 10*time.Second); res != "<nil>" {
		t.Fatalf("capture menu: %s", res)
	}
	grabWindow(t, display, "ibkr-tray menu", filepath.Join(dir, "screenshot-menu-demo.png"))

	m, err := item.Menu()
	if err != nil {
		t.Fatal(err)
	}
	approve, ok := m.Find(labelApproveDemo)
	if !ok {
		t.Fatalf("no %q in %s", labelApproveDemo, m.Lines())
	}
	if err := item.Click(approve.ID); err != nil {
		t.Fatal(err)
	}
	menuSays("both authenticated", 90*time.Second, func(l string) bool {
		return strings.HasPrefix(section(l, "demo-live"), "(demo-live: Authenticated") &&
			strings.HasPrefix(section(l, "demo-paper"), "(demo-paper: Authenticated")
	})
	t.Logf("menu with both authenticated: %s", lines)

	// The status window, a tab per profile.
	c.send(childCommand{Capture: "status"})
	if res := c.expect("CAPTURED status", 10*time.Second); res != "<nil>" {
		t.Fatalf("capture status: %s", res)
	}
	grabWindow(t, display, "ibkr-tray status", filepath.Join(dir, "screenshot-status-demo.png"))
	for _, name := range []string{"status", "menu"} {
		checkPNG(t, filepath.Join(dir, "screenshot-"+name+"-demo.png"))
	}

	// The menu of now: an item of an older one is no longer there.
	if m, err = item.Menu(); err != nil {
		t.Fatal(err)
	}
	quitAll(t, item, m, c, "the demo")
}

// iconPixels are the tray icon's first pixmap, as the tray host draws it.
func iconPixels(t testing.TB, item desktoptest.Item) []byte {
	t.Helper()
	v, err := item.Property("IconPixmap")
	if err != nil {
		t.Fatal(err)
	}
	var px []struct {
		W, H int32
		Pix  []byte
	}
	if err := dbus.Store([]any{v.Value()}, &px); err != nil || len(px) == 0 {
		t.Fatalf("icon pixmap %v: %v", v, err)
	}
	return px[0].Pix
}

// quitAll clicks "Quit and stop the gateways" in menu m and waits for the
// app (who) to exit cleanly.
func quitAll(t *testing.T, item desktoptest.Item, m desktoptest.MenuNode, c *child, who string) {
	t.Helper()
	quit, ok := m.Find(labelQuitAndStopAll)
	if !ok {
		t.Fatalf("no %q in %s", labelQuitAndStopAll, m.Lines())
	}
	if err := item.Click(quit.ID); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-c.exit:
		if err != nil {
			t.Errorf("%s exited with %v after Quit", who, err)
		}
	case <-time.After(40 * time.Second):
		t.Fatalf("%s did not exit within 40 s of Quit", who)
	}
}
