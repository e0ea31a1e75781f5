package ui

import (
	"context"
	"errors"
	"flag"
	"image/png"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/ibkr-tray/ibkr-tray/gateway"
	"github.com/ibkr-tray/ibkr-tray/session"
	"github.com/ibkr-tray/ibkr-tray/ui/config"
	"github.com/ibkr-tray/ibkr-tray/ui/runner"
)

// fixedNow is the clock of the window tests: goldens must not move.
func fixedNow() time.Time { return t0.Add(2 * time.Hour) }

type recordingNotifier struct {
	mu  sync.Mutex
	got []Notification
}

func (r *recordingNotifier) Notify(n Notification) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, n)
	return nil
}

func (r *recordingNotifier) titles() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var s []string
	for _, n := range r.got {
		s = append(s, n.Title)
	}
	return s
}

type fakeAutostart struct{ on bool }

func (f *fakeAutostart) Installed() bool   { return f.on }
func (f *fakeAutostart) Set(on bool) error { f.on = on; return nil }

// richStatus is an authenticated snapshot with every field filled.
func richStatus() runner.Status {
	st := snap(gateway.Running, session.Authenticated)
	st.Gateway.PID = 4242
	st.Gateway.Port = 5000
	st.Gateway.Started = t0
	st.Gateway.Version = "1.0.0 (build 2023-10-12)"
	st.Gateway.Dir = "/home/ann/clientportal.gw"
	st.Gateway.Restarts = 1
	st.Gateway.LastExit = "exit status 1"
	st.Session.Reason = "session checked"
	st.Session.Auth = session.AuthStatus{Authenticated: true, Connected: true, ServerName: "JifN19053", ServerVersion: "Build 10.25.0p"}
	st.Session.Accounts = []string{"DU1234567", "DU7654321"}
	st.Session.SelectedAccount = "DU1234567"
	st.Session.SSOExpires = fixedNow().Add(5*time.Hour + 59*time.Minute)
	st.Session.LastTickle = fixedNow().Add(-3 * time.Second)
	st.Session.LastLogin = t0.Add(5 * time.Minute)
	st.Session.LastLoginMethod = "browser"
	return st
}

type trayHarness struct {
	t       *testing.T
	app     fyne.App
	tray    *trayApp
	backend *fakeBackend
	notes   *recordingNotifier
	auto    *fakeAutostart
	ui      *serialUI
}

func newHarness(t *testing.T, st runner.Status) *trayHarness {
	return newHarnessWith(t, st, nil)
}

// newHarnessWith is newHarness with the tray's options changed by edit.
func newHarnessWith(t *testing.T, st runner.Status, edit func(*trayOptions)) *trayHarness {
	a := test.NewTempApp(t)
	h := &trayHarness{t: t, app: a, backend: newFakeBackend(st), notes: &recordingNotifier{}, auto: &fakeAutostart{}, ui: &serialUI{}}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() {
		cancel()
		h.tray.background.Wait() // no goroutine outlives the test
	})
	cfg := config.Default()
	cfg.GatewayDir = "/home/ann/clientportal.gw"

	o := trayOptions{
		Paths:  config.Paths{Profile: "default", ConfigFile: t.TempDir() + "/config.json", StateDir: t.TempDir()},
		Config: cfg, Deps: testDeps(), Notifier: h.notes, Autostart: h.auto, Now: fixedNow,
		Log: slog.New(slog.DiscardHandler), NoTray: "test",
		Start: func(ctx context.Context, _ BackendOptions) (Started, error) { return fakeStarted(ctx, h.backend), nil },
		Do:    h.ui.do,
	}
	if edit != nil {
		edit(&o)
	}
	h.tray = newTrayApp(ctx, a, o)
	h.ui.do(func() {
		h.tray.setup()
		h.tray.start()
	})
	return h
}

// menu returns the tray menu as one line per item (see menuLines).
func (h *trayHarness) menu() string {
	var s string
	h.ui.do(func() { s = fyneMenuLines(h.tray.menu) })
	return s
}

func (h *trayHarness) click(label string) {
	h.t.Helper()
	if !clickMenuItem(h.ui.do, func() *fyne.Menu { return h.tray.menu }, label, 0) {
		h.t.Fatalf("no enabled menu item %q in %s", label, h.menu())
	}
}

func TestTrayMenuFollowsEachSnapshot(t *testing.T) {
	h := newHarness(t, snap(gateway.Starting, session.GatewayDown))
	for _, tc := range []struct {
		st   runner.Status
		want string
	}{
		{noCredentials(), "(Login needed)|-|(Log in)|Log in in the browser|Open Settings…|"},
		{loginRunning(keeper(snap(gateway.Running, session.LoggingIn), session.CauseSessionLost, false, session.Offers{})), "(Logging in…)|-|(Log in)|Open gateway page|"},
		{authenticated(), "(Authenticated as U1234567 · paper)|-|(Log in)|"},
		{snap(gateway.Stopped, session.GatewayDown), "(Gateway stopped)|-|(Log in)|(Open gateway page)|Start gateway|"},
	} {
		h.backend.set(tc.st)
		eventually(t, "menu starts "+tc.want, func() bool { return strings.HasPrefix(h.menu(), tc.want) })
	}
}

func TestTrayMenuLogInReachesTheBackend(t *testing.T) {
	h := newHarness(t, loggedOut())
	eventually(t, "logged out", func() bool { return strings.HasPrefix(h.menu(), "(Logged out)|-|Log in|") })
	h.click(labelLogin)
	h.backend.waitCall(t, "Login")
	h.click(labelRestart)
	h.backend.waitCall(t, "RestartGateway")
}

// Defect 1 of issue 8: after the cap tripped, one click sent ResetLoginCap
// then Login, which made two automated logins and wiped the day's count.
func TestTrayRetryAfterTheCapTrippedIsOneRetryAndNothingElse(t *testing.T) {
	h := newHarness(t, capInRow())
	eventually(t, "cap tripped", func() bool { return strings.HasPrefix(h.menu(), "(Automatic login paused)") })
	h.click(labelRetry)
	h.backend.waitCall(t, "RetryLogin")
	h.click(labelStatus) // a later command: all before it has arrived
	h.ui.do(func() { h.tray.closeStatus() })
	if got := strings.Join(h.backend.commands(), ","); got != "RetryLogin" {
		t.Errorf("one click on %q sent %s; want exactly one RetryLogin", labelRetry, got)
	}
}

func TestTrayCapForTheDayOffersOnlyTheBrowserLogin(t *testing.T) {
	h := newHarness(t, capPerDay())
	eventually(t, "day's cap", func() bool { return strings.HasPrefix(h.menu(), "(Automatic login stopped for today)") })
	if m := h.menu(); strings.Contains(m, labelRetry) || !strings.Contains(m, "|(Log in)|") {
		t.Errorf("menu %s: after the day's cap only the browser login may be offered", m)
	}
	h.click(labelLoginBrowser)
	h.backend.waitCall(t, "LoginInBrowser")
}

func TestTrayWaitingForAManualLoginCanBeCancelledAndRestarted(t *testing.T) {
	h := newHarness(t, manualWait())
	eventually(t, "waiting", func() bool { return strings.HasPrefix(h.menu(), "(Waiting for your login in the browser)") })
	h.click(labelCancelLogin)
	h.backend.waitCall(t, "CancelLogin")
	h.click(labelLoginBrowser)
	h.backend.waitCall(t, "LoginInBrowser")
	h.click(labelRestart)
	h.backend.waitCall(t, "RestartGateway")
	var icon IconState
	h.ui.do(func() { icon = h.tray.lastIcon })
	if icon != IconAttention {
		t.Errorf("icon %v while the app waits for the user; want attention", icon)
	}
}

func TestTrayOpenSettingsOpensTheSettings(t *testing.T) {
	h := newHarness(t, badCredentials())
	eventually(t, "rejected", func() bool { return strings.HasPrefix(h.menu(), "(IBKR rejected") })
	h.click(labelOpenSettings)
	h.ui.do(func() {
		if h.tray.settings == nil {
			t.Error("Open Settings… opened no settings window")
			return
		}
		h.tray.settings.Close()
	})
}

func TestTrayStartAtLoginChecksWhatIsInstalled(t *testing.T) {
	h := newHarness(t, snap(gateway.Running, session.Authenticated))
	eventually(t, "authenticated", func() bool { return strings.HasPrefix(h.menu(), "(Authenticated") })
	h.click(labelStartAtLogin)
	if !h.auto.on {
		t.Fatal("autostart not installed after the click")
	}
	if !strings.Contains(h.menu(), "|[x] Start at login|") {
		t.Errorf("menu %s does not show Start at login checked", h.menu())
	}
}

func TestTrayQuitItemIsTheQuitItem(t *testing.T) {
	h := newHarness(t, snap(gateway.Running, session.Authenticated))
	eventually(t, "menu of a running gateway", func() bool { return strings.HasSuffix(h.menu(), labelQuitAndStop+"|") })
	var quit *fyne.MenuItem
	h.ui.do(func() { quit = h.tray.menu.Items[len(h.tray.menu.Items)-1] })
	if quit.Label != labelQuitAndStop || !quit.IsQuit {
		t.Errorf("last item %q IsQuit=%v; Fyne would add a second Quit", quit.Label, quit.IsQuit)
	}
}

func TestTrayNotifiesLoginNeededAndRestored(t *testing.T) {
	h := newHarness(t, authenticated())
	eventually(t, "authenticated", func() bool { return strings.HasPrefix(h.menu(), "(Authenticated") })
	h.backend.set(noCredentials())
	eventually(t, "login needed notified", func() bool { return strings.Join(h.notes.titles(), ",") == "IBKR login needed" })
}

func popupVisible(h *trayHarness) bool {
	var v bool
	h.ui.do(func() { v = h.tray.popupOpen })
	return v
}

func TestTrayPopupComesAndGoesWithTheSession(t *testing.T) {
	h := newHarness(t, authenticated())
	h.backend.set(noCredentials())
	eventually(t, "popup shown", func() bool { return popupVisible(h) })
	var btn fyne.Tappable
	h.ui.do(func() { btn = h.tray.popup.button(labelLoginBrowser) })
	test.Tap(btn)
	h.backend.waitCall(t, "LoginInBrowser")
	h.backend.set(authenticated())
	eventually(t, "popup closed", func() bool { return !popupVisible(h) })
}

// Defect 2 of issue 8: after a rejected password the popup's only action
// was "Log in now", which sent the same password again.
func TestTrayPopupAfterARejectedPasswordOffersSettingsAndTheBrowser(t *testing.T) {
	h := newHarness(t, authenticated())
	h.backend.set(badCredentials())
	eventually(t, "popup shown", func() bool { return popupVisible(h) })
	var labels []string
	var title, text string
	h.ui.do(func() {
		labels = h.tray.popup.buttonLabels()
		title, text = h.tray.popupWin.Title(), h.tray.popup.message.Text
	})
	if got := strings.Join(labels, "|"); got != labelLoginBrowser+"|"+labelOpenSettings+"|"+labelLater {
		t.Errorf("popup buttons %s; want the browser login, Open Settings and Later", got)
	}
	if title != "IBKR rejected the username or password" || strings.Contains(text, "Log in now") {
		t.Errorf("popup %q: %q", title, text)
	}
	var btn fyne.Tappable
	h.ui.do(func() { btn = h.tray.popup.button(labelLoginBrowser) })
	test.Tap(btn)
	h.backend.waitCall(t, "LoginInBrowser")
	if got := h.backend.commands(); slices.Contains(got, "Login") {
		t.Errorf("the popup sent %v: the rejected password was sent again", got)
	}
}

// Defect 3 of issue 8: a deliberate logout raised "IBKR login needed".
func TestTrayLogoutRaisesNoNotificationAndNoPopup(t *testing.T) {
	h := newHarness(t, authenticated())
	eventually(t, "authenticated", func() bool { return strings.HasPrefix(h.menu(), "(Authenticated") })
	h.backend.set(loggedOut())
	eventually(t, "logged out", func() bool { return strings.HasPrefix(h.menu(), "(Logged out)|-|Log in|") })
	h.backend.set(authenticated()) // a later snapshot: the one before was handled
	eventually(t, "authenticated again", func() bool { return strings.HasPrefix(h.menu(), "(Authenticated") })
	if n := h.notes.titles(); len(n) != 0 || popupVisible(h) {
		t.Errorf("after a logout: notifications %q, popup %v; want none", n, popupVisible(h))
	}
}

func TestTrayPopupLaterHoldsForTheCauseNotForANewOne(t *testing.T) {
	h := newHarness(t, authenticated())
	h.backend.set(noCredentials())
	eventually(t, "popup shown", func() bool { return popupVisible(h) })
	h.ui.do(func() { test.Tap(h.tray.popup.button(labelLater)) })
	eventually(t, "popup gone", func() bool { return !popupVisible(h) })
	h.backend.set(reconnecting())
	h.backend.set(noCredentials())
	h.backend.set(badCredentials())
	eventually(t, "popup back for the new cause", func() bool { return popupVisible(h) })
	var title string
	h.ui.do(func() { title = h.tray.popupWin.Title() })
	if title != "IBKR rejected the username or password" {
		t.Errorf("popup titled %q", title)
	}
}

func TestStatusWindowGoldens(t *testing.T) {
	lost := noCredentials()
	lost.Session.Reason = "IBKR ended the session"
	lost.Session.FailedLoginsInRow = 2
	lost.Session.FailedLoginsToday = 3
	for _, tc := range []struct {
		golden string
		st     runner.Status
	}{
		{"status_authenticated.xml", richStatus()},
		{"status_login_needed.xml", lost},
		{"status_gateway_stopped.xml", snap(gateway.Stopped, session.GatewayDown)},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			test.NewTempApp(t)
			v := newStatusView(statusActions{})
			tl := NewTimeline()
			tl.Observe(authenticated(), t0)
			tl.Observe(reconnecting(), t0.Add(50*time.Minute))
			tl.Observe(tc.st, t0.Add(55*time.Minute))
			v.update(tc.st, tl, []string{"Open https://localhost:5000 to login", "App demo is available after you login"}, fixedNow())
			w := test.NewTempWindow(t, v.content)
			w.Resize(fyne.NewSize(560, 1400))
			test.AssertRendersToMarkup(t, tc.golden, w.Canvas())
			capture(t, w, tc.golden)
		})
	}
}

func TestStatusWindowAccountPickerSelectsAccount(t *testing.T) {
	test.NewTempApp(t)
	var picked []string
	v := newStatusView(statusActions{SelectAccount: func(id string) { picked = append(picked, id) }})
	v.update(richStatus(), NewTimeline(), nil, fixedNow())
	if len(picked) != 0 {
		t.Fatalf("showing a snapshot sent %v; only the user's pick may", picked)
	}
	v.accounts.SetSelected("DU7654321")
	if strings.Join(picked, ",") != "DU7654321" {
		t.Errorf("picked %v, want DU7654321", picked)
	}
}

func TestStatusWindowButtonsFollowTheState(t *testing.T) {
	test.NewTempApp(t)
	v := newStatusView(statusActions{})
	v.update(loggedOut(), NewTimeline(), nil, fixedNow())
	if v.login.Disabled() || !v.logout.Disabled() {
		t.Errorf("logged out: Log in disabled=%v, Log out disabled=%v; want enabled, disabled", v.login.Disabled(), v.logout.Disabled())
	}
	v.update(badCredentials(), NewTimeline(), nil, fixedNow())
	if !v.login.Disabled() {
		t.Error("rejected password: Log in enabled; it would send the same password again")
	}
	v.update(richStatus(), NewTimeline(), nil, fixedNow())
	if !v.login.Disabled() || v.logout.Disabled() {
		t.Errorf("authenticated: Log in disabled=%v, Log out disabled=%v; want disabled, enabled", v.login.Disabled(), v.logout.Disabled())
	}
}

func TestStatusWindowShowsTheKeepersOffers(t *testing.T) {
	test.NewTempApp(t)
	var did []Action
	v := newStatusView(statusActions{Do: func(a Action) { did = append(did, a) }})
	v.update(capInRow(), NewTimeline(), nil, fixedNow())
	var labels []string
	for _, o := range v.offers.Objects {
		labels = append(labels, o.(*widget.Button).Text)
	}
	if got := strings.Join(labels, "|"); got != labelLoginBrowser+"|"+labelRetry || !v.offers.Visible() {
		t.Fatalf("offers %s (visible %v)", got, v.offers.Visible())
	}
	test.Tap(v.offers.Objects[1].(*widget.Button))
	if len(did) != 1 || did[0] != ActRetry {
		t.Errorf("tapping %s did %v", labelRetry, did)
	}
	v.update(richStatus(), NewTimeline(), nil, fixedNow())
	if v.offers.Visible() {
		t.Error("offers shown while nothing is offered")
	}
}

func TestWelcomeAndPopupGoldens(t *testing.T) {
	test.NewTempApp(t)
	w := test.NewTempWindow(t, newWelcomeView(nil, nil).content)
	w.Resize(fyne.NewSize(520, 300))
	test.AssertRendersToMarkup(t, "welcome.xml", w.Canvas())
	capture(t, w, "welcome.xml")

	p := newPopupView(func(Action) {}, func() {})
	p.show(badCredentials(), fixedNow())
	w2 := test.NewTempWindow(t, p.content)
	w2.Resize(p.fit())
	test.AssertRendersToMarkup(t, "popup.xml", w2.Canvas())
	capture(t, w2, "popup.xml")
}

// Defect 8 of issue 8: the popup was a fixed 420x200 that its text
// outgrew (294 px tall). Sized by fit, every cause's popup shows all of its
// text and buttons, and stays small enough for any screen.
func TestPopupIsSizedToItsTextForEveryCause(t *testing.T) {
	test.NewTempApp(t)
	for c := range causes {
		st := keeper(snap(gateway.Running, session.NeedsManualLogin), c, true,
			session.Offers{Login: true, LoginInBrowser: true, Retry: true, OpenSettings: true, CancelLogin: true})
		st.Gateway.Reason = "another program (pid 4242, java) listens on port 5000; stop it or choose another port in Settings"
		st.Session.Reason = "the answer to GET /v1/api/tickle was an HTML page, not the gateway's JSON"
		p := newPopupView(func(Action) {}, func() {})
		p.show(st, fixedNow())
		w := test.NewTempWindow(t, p.content)
		size := p.fit()
		w.Resize(size)
		got, need := w.Canvas().Size(), w.Canvas().Content().MinSize()
		if need.Width > got.Width+0.5 || need.Height > got.Height+0.5 {
			t.Errorf("cause %q: content needs %v, the popup is %v", c, need, got)
		}
		if size.Height > 320 || size.Width > 640 {
			t.Errorf("cause %q: popup %v; keep it small", c, size)
		}
	}
}

var errNotGateway = errors.New("the folder /tmp/x has no bin/run.sh; choose the unzipped clientportal.gw folder")

var captureDir = flag.String("capture", "", "write PNG captures of the window goldens into this folder")

// capture writes a window as PNG when -capture is set, to look at.
func capture(t *testing.T, w fyne.Window, name string) {
	if *captureDir == "" {
		return
	}
	f, err := os.Create(filepath.Join(*captureDir, strings.TrimSuffix(name, ".xml")+".png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, w.Canvas().Capture()); err != nil {
		t.Fatal(err)
	}
}

func TestFirstRunShowsWelcomeAndStartsOnceAGatewayFolderIsChosen(t *testing.T) {
	a := test.NewTempApp(t)
	fb := newFakeBackend(snap(gateway.Running, session.NeedsManualLogin))
	ui := &serialUI{}
	ctx, cancel := context.WithCancel(context.Background())
	var tr *trayApp
	t.Cleanup(func() {
		cancel()
		tr.background.Wait()
	})
	started := make(chan BackendOptions, 1)
	paths := config.Paths{Profile: "default", ConfigFile: filepath.Join(t.TempDir(), "config.json"), StateDir: t.TempDir()}
	tr = newTrayApp(ctx, a, trayOptions{
		Paths: paths, Config: config.Default(), Deps: testDeps(), Notifier: &recordingNotifier{},
		Autostart: &fakeAutostart{}, Now: fixedNow, Log: slog.New(slog.DiscardHandler), NoTray: "test", Do: ui.do,
		Start: func(ctx context.Context, o BackendOptions) (Started, error) {
			started <- o
			return fakeStarted(ctx, fb), nil
		},
	})
	var v *welcomeView
	ui.do(func() {
		tr.setup()
		tr.start()
		if tr.welcome == nil {
			t.Fatal("no welcome window without a gateway folder")
		}
		v = newWelcomeView(nil, nil)
		tr.useGatewayDir("/tmp/x", v)
	})
	if !v.errorText.Visible() || !strings.Contains(v.errorText.Text, "no bin/run.sh") {
		t.Errorf("a bad folder shows %q (visible %v); want the supervisor's sentence", v.errorText.Text, v.errorText.Visible())
	}
	select {
	case <-started:
		t.Fatal("started with a bad folder")
	default:
	}
	ui.do(func() { tr.useGatewayDir("/home/ann/clientportal.gw", v) })
	select {
	case o := <-started:
		if o.Config.GatewayDir != "/home/ann/clientportal.gw" {
			t.Errorf("started with %+v", o.Config)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the backend did not start after a good folder was chosen")
	}
	saved, _, err := config.Load(paths.ConfigFile)
	if err != nil || saved.GatewayDir != "/home/ann/clientportal.gw" {
		t.Errorf("settings file has %+v (err %v); want the folder saved", saved, err)
	}
}

// fakeStarted is a running fake backend that stops when ctx ends.
func fakeStarted(ctx context.Context, b Backend) Started {
	done := make(chan struct{})
	go func() {
		<-ctx.Done()
		close(done)
	}()
	return Started{Backend: b, Done: done}
}

func TestShutdownWaitsForAGatewayStillStarting(t *testing.T) {
	a := test.NewTempApp(t)
	ui := &serialUI{}
	release := make(chan struct{})
	var gone atomic.Bool
	tr := newTrayApp(context.Background(), a, trayOptions{
		Paths: config.Paths{Profile: "default", StateDir: t.TempDir()}, Config: func() config.Config {
			c := config.Default()
			c.GatewayDir = "/home/ann/clientportal.gw"
			return c
		}(),
		Deps: testDeps(), Notifier: &recordingNotifier{}, Autostart: &fakeAutostart{}, Now: fixedNow,
		Log: slog.New(slog.DiscardHandler), NoTray: "test", Do: ui.do,
		Start: func(ctx context.Context, _ BackendOptions) (Started, error) {
			<-release // still starting when the user quits
			done := make(chan struct{})
			go func() {
				<-ctx.Done()
				gone.Store(true)
				close(done)
			}()
			return Started{Backend: newFakeBackend(snap(gateway.Starting, session.GatewayDown)), Done: done}, nil
		},
	})
	ui.do(func() {
		tr.setup()
		tr.start()
	})
	code := make(chan int, 1)
	go func() { code <- tr.shutdown() }()
	close(release)
	select {
	case c := <-code:
		if c != 0 || !gone.Load() {
			t.Errorf("shutdown returned %d with the gateway gone=%v; want 0 after it stopped", c, gone.Load())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("shutdown did not return")
	}
}

func TestNotificationLogInSendsLoginOnlyWhileItIsOffered(t *testing.T) {
	h := newHarness(t, loggedOut())
	eventually(t, "logged out", func() bool { return strings.HasPrefix(h.menu(), "(Logged out)") })
	h.ui.do(h.tray.loginFromNotification)
	h.backend.waitCall(t, "Login")

	h.backend.set(badCredentials()) // the notification is still on screen
	eventually(t, "rejected", func() bool { return strings.HasPrefix(h.menu(), "(IBKR rejected") })
	h.ui.do(h.tray.loginFromNotification)
	var shown bool
	h.ui.do(func() {
		shown = h.tray.statusWin != nil
		if shown {
			h.tray.closeStatus()
		}
	})
	if got := h.backend.commands(); strings.Join(got, ",") != "Login" || !shown {
		t.Errorf("commands %v, status shown %v; a stale Log in button must not send the rejected password", got, shown)
	}
}
