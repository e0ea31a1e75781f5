//go:build linux

package ui

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base32"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ibkr-tray/ibkr-tray/gateway/sim"
	"github.com/ibkr-tray/ibkr-tray/session"
	"github.com/ibkr-tray/ibkr-tray/session/secrets"
	"github.com/ibkr-tray/ibkr-tray/ui/config"
	"github.com/ibkr-tray/ibkr-tray/ui/desktoptest"
	"github.com/ibkr-tray/ibkr-tray/ui/runner"
)

// simUser is the IBKR username the simulator knows; its password and TOTP
// secret are made up for each run.
const simUser = "jdoe42"

// trayWorld is everything the real tray app runs against in a test: a
// simulator laid out as a gateway distribution, a settings file naming
// it, private folders, and the environment of the app's process.
type trayWorld struct {
	dist      string
	gate      string       // the simulator starts once this file exists ("" = at once)
	opened    string       // the xdg-open stub appends each URL it is given here
	simURL    string       // https://127.0.0.1:PORT, for fault injection
	statusURL string       // the runner's status endpoint (states only)
	control   *http.Client // the runner's control socket (the whole status)
	creds     secrets.Credentials
	env       []string
}

type worldOptions struct {
	gate          bool // hold the simulator until openGate
	authenticated bool // the simulator starts with simUser logged in
	ibkey         bool // simUser has only IB Key (no TOTP secret stored)
}

// shortHome makes a home folder for one test world, removed after it, and
// a func that makes a 0700 folder in it. A short path rather than
// t.TempDir(): Chromium's socket path, under TMPDIR, must stay under 108
// bytes, and the screenshots show paths.
func shortHome(t testing.TB) (home string, dir func(name string) string) {
	t.Helper()
	home, err := os.MkdirTemp("", "ibkr-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(home) })
	return home, func(name string) string {
		d := filepath.Join(home, name)
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
		return d
	}
}

func newTrayWorld(t testing.TB, display, busAddr string, o worldOptions) *trayWorld {
	t.Helper()
	home, dir := shortHome(t)
	w := &trayWorld{dist: filepath.Join(home, "clientportal.gw"), opened: filepath.Join(home, "opened-urls")}

	// The manual login and "Open gateway page" open the user's browser with
	// xdg-open: a stub records the URL instead of launching anything.
	stubs := dir("bin")
	stub := "#!/bin/sh\nprintf '%s\\n' \"$*\" >> '" + w.opened + "'\n"
	if err := os.WriteFile(filepath.Join(stubs, "xdg-open"), []byte(stub), 0o755); err != nil {
		t.Fatal(err)
	}

	w.creds = secrets.Credentials{Username: simUser, Password: "pw-" + rand.Text(), TOTPSecret: newTOTPSecret()}
	gwPort, err := sim.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	so := sim.DefaultOptions()
	so.Accounts = []sim.Account{{
		Username: simUser, Password: w.creds.Password, TOTPSecret: w.creds.TOTPSecret,
		AccountIDs: []string{"U2468135", "U1357924"},
	}}
	if o.ibkey {
		so.Accounts[0].TOTPSecret, so.Accounts[0].Devices = "", []string{sim.DeviceIBKey}
		w.creds.TOTPSecret = ""
	}
	so.AuthDelay = 500 * time.Millisecond
	so.ReauthDelay = time.Second
	so.ResetAt = "" // no nightly reset in the middle of a test
	so.Authenticated = o.authenticated
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	err = sim.WriteDist(w.dist, sim.DistOptions{Port: gwPort, SSL: true, Command: []string{exe, "sim"}, Options: so})
	if err != nil {
		t.Fatal(err)
	}
	w.simURL = "https://127.0.0.1:" + strconv.Itoa(gwPort)

	statusPort, err := sim.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.GatewayDir = w.dist
	cfg.StatusAddr = "127.0.0.1:" + strconv.Itoa(statusPort)
	cfg.TickleInterval = config.Duration(time.Second)
	xdgConfig := dir("config")
	if err := cfg.Save(filepath.Join(xdgConfig, "ibkr-tray", "config.json")); err != nil {
		t.Fatal(err)
	}
	w.statusURL = "http://" + cfg.StatusAddr
	runtimeDir := dir("runtime")
	w.control = runner.ControlClient(filepath.Join(runtimeDir, "ibkr-tray", config.DefaultProfile+".sock"), 10*time.Second)

	w.env = []string{
		childEnv + "=real", simEnv + "=1",
		"DISPLAY=" + display, "DBUS_SESSION_BUS_ADDRESS=" + busAddr, "LANG=en_US.UTF-8",
		"HOME=" + home, "XDG_CONFIG_HOME=" + xdgConfig, "XDG_STATE_HOME=" + dir("state"),
		"XDG_RUNTIME_DIR=" + runtimeDir, "XDG_DATA_HOME=" + dir("data"), "XDG_CACHE_HOME=" + dir("cache"),
		"TMPDIR=" + dir("tmp"), "PATH=" + stubs + ":" + os.Getenv("PATH"), "BROWSER=true",
		"GOCOVERDIR=" + os.Getenv("GOCOVERDIR"),
	}
	if o.gate {
		w.gate = filepath.Join(home, "gate")
		w.env = append(w.env, simGateEnv+"="+w.gate)
	}
	return w
}

// newTOTPSecret is a fresh 160-bit base32 secret, as IBKR hands out.
func newTOTPSecret() string {
	b := make([]byte, 20)
	_, _ = rand.Read(b)
	return base32.StdEncoding.EncodeToString(b)
}

// openGate lets the simulator start.
func (w *trayWorld) openGate(t testing.TB) {
	t.Helper()
	if err := os.WriteFile(w.gate, nil, 0o600); err != nil {
		t.Fatal(err)
	}
}

// loopbackClient talks to the simulator (its certificate is made up at
// each start) and the status endpoint, both on 127.0.0.1.
var loopbackClient = &http.Client{
	Timeout:   10 * time.Second,
	Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}},
}

// getJSON decodes the answer of method url into v.
func getJSON(t testing.TB, method, url string, v any) {
	t.Helper()
	getJSONWith(t, loopbackClient, method, url, v)
}

func getJSONWith(t testing.TB, c *http.Client, method, url string, v any) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("%s %s: %s", method, url, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
}

// fault injects a simulator fault (POST /sim/NAME) and returns its state.
func (w *trayWorld) fault(t testing.TB, name string) sim.State {
	t.Helper()
	var st sim.State
	getJSON(t, http.MethodPost, w.simURL+"/sim/"+name, &st)
	return st
}

func (w *trayWorld) simState(t testing.TB) sim.State {
	t.Helper()
	var st sim.State
	getJSON(t, http.MethodGet, w.simURL+"/sim/state", &st)
	return st
}

// command posts one of the app's commands (POST /logout,
// /credentials-changed, ...) over its control socket, as the command
// line does.
func (w *trayWorld) command(t testing.TB, name string) {
	t.Helper()
	resp, err := w.control.Post(runner.ControlURL+"/"+name, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("POST /%s: %s", name, resp.Status)
	}
}

// status is the app's own GET /status, over its control socket.
func (w *trayWorld) status(t testing.TB) runner.Status {
	t.Helper()
	var st runner.Status
	getJSONWith(t, w.control, http.MethodGet, runner.ControlURL+"/status", &st)
	return st
}

// authenticated reports whether GET /status on the TCP address answers
// and says the session is authenticated.
func (w *trayWorld) authenticated() bool {
	resp, err := loopbackClient.Get(w.statusURL + "/status")
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	var st runner.Status
	return json.NewDecoder(resp.Body).Decode(&st) == nil && st.Session.State == session.Authenticated
}

// waitFor polls cond every 50 ms until it holds, failing after timeout.
func waitFor(t testing.TB, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not so after %v", what, timeout)
		}
		<-tick.C
	}
}

// browsersBelow lists the Chromium processes below pid.
func browsersBelow(pid int) []int {
	var out []int
	for _, p := range desktoptest.Descendants(pid) {
		if strings.Contains(desktoptest.CommandLine(p), "chromium") {
			out = append(out, p)
		}
	}
	return out
}

const keyringPassword = "e2e-keyring-password"

// TestTrayEndToEndWithTheSimulator runs the app as a user does (Main, the
// settings file, the real runner and keeper, credentials in a real
// gnome-keyring, Chromium logins) against the simulator as its gateway,
// under Xvfb on a private bus, and watches it the way the desktop does:
// a StatusNotifierWatcher, the menu over dbusmenu, a notification server.
// The simulator's faults drive the states; Log in and Quit are clicked
// in the menu.
func TestTrayEndToEndWithTheSimulator(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: starts Xvfb, a bus, a keyring, the simulator and Chromium")
	}
	desktoptest.RequireTools(t, "Xvfb", "xdpyinfo", "dbus-daemon", "gnome-keyring-daemon", "chromium", "import", "xwininfo")
	bus := desktoptest.StartBus(t)
	desktoptest.StartKeyring(t, bus, keyringPassword)
	watcher := desktoptest.StartWatcher(t, bus)
	notes := desktoptest.StartNotificationServer(t, bus)
	display := desktoptest.StartXvfb(t)
	w := newTrayWorld(t, display.Name, bus.Address, worldOptions{gate: true, authenticated: true})
	keyring := secrets.Keyring(10 * time.Second)
	ctx := context.Background()
	if err := keyring.Set(ctx, config.DefaultProfile, w.creds); err != nil {
		t.Fatalf("store the credentials in the test keyring: %v", err)
	}

	began := time.Now()
	last := began
	phase := func(what string) { // the timings, for the log
		t.Logf("%-45s %6.1f s", what, time.Since(last).Seconds())
		last = time.Now()
	}
	c := startChildWith(t, w.env)
	item := watcher.WaitItem(t, 30*time.Second)
	t.Logf("start to tray registered: %v", item.At.Sub(began).Round(time.Millisecond))
	if wd, ht, err := item.IconSize(); err != nil || wd != trayIconPixels || ht != trayIconPixels {
		t.Errorf("tray icon %dx%d (err %v); want %d px pixels", wd, ht, err, trayIconPixels)
	}

	// The gateway starts (the simulator waits at the gate meanwhile), then
	// the session is found authenticated.
	item.WaitMenu(t, "(Gateway starting…)|-|(Log in)|(Open gateway page)|(Restart gateway)|"+menuTail, 20*time.Second)
	phase("start to gateway starting")
	w.openGate(t)
	authenticated := "(Authenticated as " + simUser + " · live)|-|(Log in)|Open gateway page|Restart gateway|" + menuTail
	item.WaitMenu(t, authenticated, 30*time.Second)
	phase("gate opened to authenticated")
	st := w.status(t)
	gateway := append([]int{st.Gateway.PID}, desktoptest.Descendants(st.Gateway.PID)...)
	if len(gateway) < 2 || !strings.Contains(desktoptest.CommandLine(gateway[len(gateway)-1]), "--conf") {
		t.Fatalf("did not find run.sh and the simulator below the gateway pid %d: %v", st.Gateway.PID, gateway)
	}

	// The brokerage session times out: the keeper re-authenticates without
	// a login, and says the session is back once it has held.
	w.fault(t, "expire-brokerage")
	item.WaitMenuPrefix(t, "(Reconnecting the session…)|-|", 15*time.Second)
	item.WaitMenu(t, authenticated, 30*time.Second)
	isRestored := func(n desktoptest.Notification) bool { return n.Summary == "IBKR session restored" }
	reauth := notes.Wait(t, "restored after the brokerage timeout", isRestored, 20*time.Second)
	phase("expire-brokerage to restored notification")
	if !strings.HasPrefix(reauth.Body, "Session restored after ") || reauth.Urgency != 1 {
		t.Errorf("restored notification %+v; want a normal one saying how long", reauth)
	}
	if st := w.status(t); st.Session.LastLoginMethod != "reauthenticate" {
		t.Errorf("last login method %q after the brokerage timeout, want reauthenticate", st.Session.LastLoginMethod)
	}
	before := w.simState(t)

	// The SSO session expires and no credentials are stored: the user is
	// needed, and told so, with what the keeper offers.
	if err := keyring.Delete(ctx, config.DefaultProfile); err != nil {
		t.Fatal(err)
	}
	w.fault(t, "expire-sso")
	item.WaitMenuPrefix(t, "(Login needed)|-|(Log in)|"+labelLoginBrowser+"|"+labelOpenSettings+"|", 20*time.Second)
	need := notes.Wait(t, "login needed", func(n desktoptest.Notification) bool { return n.Summary == "IBKR login needed" }, 10*time.Second)
	phase("expire-sso to login needed notification")
	st = w.status(t)
	if st.Session.Cause != session.CauseNoCredentials || !st.Session.NeedsYou || st.Session.CredentialsStored {
		t.Errorf("session %s, cause %q, needs you %v (credentials stored %v); want no-credentials, needing the user",
			st.Session.State, st.Session.Cause, st.Session.NeedsYou, st.Session.CredentialsStored)
	}
	// What happened, then what to do: the cause's two sentences.
	const todo = " Choose " + labelLoginBrowser + ", or store them in Settings."
	if need.Urgency != 2 || hasAction(need, actionLogin) != st.Session.Offers.Login ||
		!strings.HasPrefix(need.Body, "No login details are stored") || !strings.HasSuffix(need.Body, todo) {
		t.Errorf("login needed notification %+v;\nwant urgent, saying no login details are stored and what to do", need)
	}
	c.expect("SHOWN popup", 10*time.Second)

	// The credentials are stored again, and the app told, as `secrets
	// set` does: it tries them once by itself, Chromium logging in through
	// the simulator's login page.
	if err := keyring.Set(ctx, config.DefaultProfile, w.creds); err != nil {
		t.Fatal(err)
	}
	w.command(t, "credentials-changed")
	item.WaitMenu(t, authenticated, 60*time.Second)
	phase("credentials stored to authenticated")
	after := w.simState(t)
	if after.Logins != before.Logins+1 || after.Session == nil || after.Session.User != simUser || !after.Session.Authenticated {
		t.Errorf("simulator after the new credentials: %d logins (before %d), session %+v; want one more login of %s, authenticated",
			after.Logins, before.Logins, after.Session, simUser)
	}
	if st := w.status(t); st.Session.LastLoginMethod != "browser" {
		t.Errorf("last login method %q, want browser", st.Session.LastLoginMethod)
	}
	back := notes.Wait(t, "restored after the login", func(n desktoptest.Notification) bool { return isRestored(n) && n.ID != reauth.ID }, 20*time.Second)
	if !strings.HasPrefix(back.Body, "Session restored after ") || back.ReplacesID != need.ID {
		t.Errorf("restored notification %+v; want it to say how long and replace the login-needed one (%d)", back, need.ID)
	}
	phase("authenticated to restored notification")

	// The user logs out: nothing is lost, so nothing is told; the menu
	// offers Log in, and a click there logs in again, automated.
	told := len(notes.All())
	w.command(t, "logout")
	item.WaitMenuPrefix(t, "(Logged out)|-|"+labelLogin+"|", 20*time.Second)
	m, err := item.Menu()
	if err != nil {
		t.Fatal(err)
	}
	login, ok := m.Find(labelLogin)
	if !ok || !login.Enabled {
		t.Fatalf("no Log in in %s", m.Lines())
	}
	if err := item.Click(login.ID); err != nil {
		t.Fatal(err)
	}
	item.WaitMenu(t, authenticated, 60*time.Second)
	phase("logout, then Log in clicked, to authenticated")
	if st := w.status(t); st.Session.LastLoginMethod != "browser" {
		t.Errorf("last login method %q, want browser", st.Session.LastLoginMethod)
	}
	if all := notes.All(); len(all) != told {
		t.Errorf("a logout the user chose, and their login after it, told %+v", all[told:])
	}
	if b, err := os.ReadFile(w.opened); err == nil {
		t.Errorf("the app opened the user's browser (%q); with credentials stored the login is automated", b)
	}
	waitFor(t, "the login browser has exited", 15*time.Second, func() bool { return len(browsersBelow(c.cmd.Process.Pid)) == 0 })

	// The windows, drawn with real data, for the docs.
	dir := os.Getenv(screenshotsEnv)
	if dir == "" {
		dir = t.TempDir()
	}
	if err := item.Activate(); err != nil { // a left click on the icon
		t.Fatal(err)
	}
	c.expect("SHOWN status", 10*time.Second)
	grabWindow(t, display, "ibkr-tray status", filepath.Join(dir, "screenshot-status.png"))
	m, err = item.Menu()
	if err != nil {
		t.Fatal(err)
	}
	settings, _ := m.Find(labelSettings)
	if err := item.Click(settings.ID); err != nil {
		t.Fatal(err)
	}
	c.expect("SHOWN settings", 10*time.Second)
	grabWindow(t, display, "ibkr-tray settings", filepath.Join(dir, "screenshot-settings.png"))
	c.send(childCommand{Capture: "menu"})
	if res := c.expect("CAPTURED menu", 10*time.Second); res != "<nil>" {
		t.Fatalf("capture menu: %s", res)
	}
	grabWindow(t, display, "ibkr-tray menu", filepath.Join(dir, "screenshot-menu.png"))
	phase("screenshots")
	for _, name := range []string{"status", "settings", "menu"} {
		checkPNG(t, filepath.Join(dir, "screenshot-"+name+".png"))
	}

	// Quit exits and leaves no gateway process.
	quit, ok := m.Find(labelQuitAndStop)
	if !ok {
		t.Fatalf("no Quit in %s", m.Lines())
	}
	if err := item.Click(quit.ID); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-c.exit:
		if err != nil {
			t.Errorf("the tray app exited with %v after Quit", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the tray app did not exit within 30 s of Quit")
	}
	phase("Quit to exited")
	for _, pid := range gateway {
		if desktoptest.Alive(pid) {
			t.Errorf("gateway process %d (%s) is still running after Quit", pid, desktoptest.CommandLine(pid))
		}
	}
}
