package ui

import (
	"context"
	"errors"
	"flag"
	"image/png"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

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
	a := test.NewTempApp(t)
	h := &trayHarness{t: t, app: a, backend: newFakeBackend(st), notes: &recordingNotifier{}, auto: &fakeAutostart{}, ui: &serialUI{}}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() {
		cancel()
		h.tray.background.Wait() // no goroutine outlives the test
	})
	cfg := config.Default()
	cfg.GatewayDir = "/home/ann/clientportal.gw"

	h.tray = newTrayApp(ctx, a, trayOptions{
		Paths:  config.Paths{Profile: "default", ConfigFile: t.TempDir() + "/config.json", StateDir: t.TempDir()},
		Config: cfg, Deps: testDeps(), Notifier: h.notes, Autostart: h.auto, Now: fixedNow,
		Log: slog.New(slog.DiscardHandler), NoTray: "test",
		Start: func(ctx context.Context, _ BackendOptions) (Started, error) { return fakeStarted(ctx, h.backend), nil },
		Do:    h.ui.do,
	})
	h.ui.do(func() {
		h.tray.setup()
		h.tray.start()
	})
	return h
}

// menu returns the tray menu as one line per item (see menuLines).
func (h *trayHarness) menu() string {
	var s string
	h.ui.do(func() {
		var b strings.Builder
		for _, it := range h.tray.menu.Items {
			switch {
			case it.IsSeparator:
				b.WriteString("-")
			case it.Checked:
				b.WriteString("[x] " + it.Label)
			case it.Disabled:
				b.WriteString("(" + it.Label + ")")
			default:
				b.WriteString(it.Label)
			}
			b.WriteString("|")
		}
		s = b.String()
	})
	return s
}

func (h *trayHarness) click(label string) {
	h.t.Helper()
	var found bool
	h.ui.do(func() {
		for _, it := range h.tray.menu.Items {
			if it.Label == label && !it.Disabled {
				found = true
				it.Action()
			}
		}
	})
	if !found {
		h.t.Fatalf("no enabled menu item %q in %s", label, h.menu())
	}
}

func TestTrayMenuFollowsEachSnapshot(t *testing.T) {
	h := newHarness(t, snap(gateway.Starting, session.GatewayDown))
	for _, tc := range []struct {
		st   runner.Status
		want string
	}{
		{snap(gateway.Running, session.NeedsManualLogin), "(Login needed)|-|Log in|"},
		{loginRunning(snap(gateway.Running, session.LoggingIn)), "(Logging in…)|-|(Log in)|"},
		{snap(gateway.Running, session.Authenticated), "(Authenticated as U1234567 · paper)|-|(Log in)|"},
		{snap(gateway.Stopped, session.GatewayDown), "(Gateway stopped)|-|(Log in)|(Open gateway page)|Start gateway|"},
	} {
		h.backend.set(tc.st)
		eventually(t, "menu starts "+tc.want, func() bool { return strings.HasPrefix(h.menu(), tc.want) })
	}
}

func TestTrayMenuLogInReachesTheBackend(t *testing.T) {
	h := newHarness(t, snap(gateway.Running, session.NeedsManualLogin))
	eventually(t, "login needed", func() bool { return strings.HasPrefix(h.menu(), "(Login needed)") })
	h.click(labelLogin)
	h.backend.waitCall(t, "Login")
	h.click(labelRestart)
	h.backend.waitCall(t, "RestartGateway")
}

func TestTrayLogInAfterTheCapTrippedClearsTheCapFirst(t *testing.T) {
	h := newHarness(t, snap(gateway.Running, session.LoginLocked))
	eventually(t, "cap tripped", func() bool { return strings.HasPrefix(h.menu(), "(Login needed (automatic") })
	h.click(labelLogin)
	h.backend.waitCall(t, "ResetLoginCap")
	h.backend.waitCall(t, "Login")
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
	var quit *fyne.MenuItem
	h.ui.do(func() { quit = h.tray.menu.Items[len(h.tray.menu.Items)-1] })
	if quit.Label != labelQuit || !quit.IsQuit {
		t.Errorf("last item %q IsQuit=%v; Fyne would add a second Quit", quit.Label, quit.IsQuit)
	}
}

func TestTrayNotifiesLoginNeededAndRestored(t *testing.T) {
	h := newHarness(t, snap(gateway.Running, session.Authenticated))
	eventually(t, "authenticated", func() bool { return strings.HasPrefix(h.menu(), "(Authenticated") })
	h.backend.set(snap(gateway.Running, session.NeedsManualLogin))
	eventually(t, "login needed notified", func() bool { return strings.Join(h.notes.titles(), ",") == "IBKR login needed" })
}

func TestTrayPopupComesAndGoesWithTheSession(t *testing.T) {
	h := newHarness(t, snap(gateway.Running, session.Authenticated))
	visible := func() bool {
		var v bool
		h.ui.do(func() { v = h.tray.popupOpen })
		return v
	}
	h.backend.set(snap(gateway.Running, session.NeedsManualLogin))
	eventually(t, "popup shown", visible)
	var btn fyne.Tappable
	h.ui.do(func() { btn = h.tray.popup.login })
	test.Tap(btn)
	h.backend.waitCall(t, "Login")
	h.backend.set(snap(gateway.Running, session.Authenticated))
	eventually(t, "popup closed", func() bool { return !visible() })
}

func TestStatusWindowGoldens(t *testing.T) {
	lost := snap(gateway.Running, session.NeedsManualLogin)
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
			tl.Observe(snap(gateway.Running, session.Authenticated), t0)
			tl.Observe(snap(gateway.Running, session.Reauthenticating), t0.Add(50*time.Minute))
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
	v.update(snap(gateway.Running, session.NeedsManualLogin), NewTimeline(), nil, fixedNow())
	if v.login.Disabled() || !v.logout.Disabled() {
		t.Errorf("login needed: Log in disabled=%v, Log out disabled=%v; want enabled, disabled", v.login.Disabled(), v.logout.Disabled())
	}
	v.update(richStatus(), NewTimeline(), nil, fixedNow())
	if !v.login.Disabled() || v.logout.Disabled() {
		t.Errorf("authenticated: Log in disabled=%v, Log out disabled=%v; want disabled, enabled", v.login.Disabled(), v.logout.Disabled())
	}
}

func TestWelcomeAndPopupGoldens(t *testing.T) {
	test.NewTempApp(t)
	w := test.NewTempWindow(t, newWelcomeView(nil, nil).content)
	w.Resize(fyne.NewSize(520, 300))
	test.AssertRendersToMarkup(t, "welcome.xml", w.Canvas())
	capture(t, w, "welcome.xml")

	p := newPopupView(nil, nil)
	p.setMessage("IBKR ended the session", false, false)
	w2 := test.NewTempWindow(t, p.content)
	w2.Resize(fyne.NewSize(420, 200))
	test.AssertRendersToMarkup(t, "popup.xml", w2.Canvas())
	capture(t, w2, "popup.xml")
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
