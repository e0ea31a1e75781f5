// Package ui is the tray app: a Fyne system-tray icon whose menu and
// windows show the runner's snapshots and send it commands. It never talks
// HTTP to the gateway.
package ui

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"github.com/godbus/dbus/v5"

	"github.com/ibkr-tray/ibkr-tray/assets"
	"github.com/ibkr-tray/ibkr-tray/gateway"
	"github.com/ibkr-tray/ibkr-tray/ui/autostart"
	"github.com/ibkr-tray/ibkr-tray/ui/cli"
	"github.com/ibkr-tray/ibkr-tray/ui/config"
)

// AppID is the app's unique id (preferences, notifications, packaging).
const AppID = "io.github.ibkr-tray.ibkr-tray"

// stopTimeout bounds the wait for the gateway to stop after Quit.
const stopTimeout = 20 * time.Second

// Main runs the tray app: `ibkr-tray [--profile NAME] [--demo]`. It returns
// the process exit code.
func Main(args []string) int {
	return run(args, os.Stdout, os.Stderr)
}

func run(args []string, stdout, stderr io.Writer) int {
	defer gateway.StopOnPanic() // a panic on the UI goroutine leaves no gateway behind
	fs := flag.NewFlagSet("ibkr-tray", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var picked profileFlag
	fs.Var(&picked, "profile", "the settings `profile` to use (one gateway and login each); repeat it to run several side by side (default: every profile)")
	demo := fs.Bool("demo", false, "run the built-in simulator as the gateway, with a demo user and a fault every minute or so")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: ibkr-tray [--profile NAME]... [--demo]")
		fmt.Fprintln(stderr, "       ibkr-tray COMMAND [flags]")
		fmt.Fprintln(stderr, "\nStarts the tray app: it runs the IBKR Client Portal Gateway and keeps you logged in.")
		fmt.Fprintln(stderr, "\nFlags:")
		fs.PrintDefaults()
		fmt.Fprintln(stderr, "\n"+cli.Commands)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "ibkr-tray: unexpected argument %q; run ibkr-tray -h for help\n", fs.Arg(0))
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	names, err := profilesToRun(picked, *demo)
	if err != nil {
		fmt.Fprintln(stderr, "ibkr-tray:", err)
		return 2
	}
	if len(names) > 1 && hasDisplay() {
		return runSeveral(names, *demo, log, stdout, stderr)
	}
	paths, err := config.PathsFor(names[0])
	if err != nil {
		fmt.Fprintln(stderr, "ibkr-tray:", err)
		return 2
	}
	cfg, warnings, err := config.Open(paths.ConfigFile)
	for _, w := range warnings {
		fmt.Fprintln(stderr, "ibkr-tray:", w)
	}
	if err != nil {
		fmt.Fprintln(stderr, "ibkr-tray:", err)
		return 1
	}
	installQuietFyneLog(stderr)
	if hasDisplay() {
		// Before the signal handling, which speaks of stopping a gateway
		// this copy never starts: Ctrl+C just ends it.
		if msg := otherCopy(paths, *demo); msg != "" {
			// Said at once, in a window, before any tray icon exists.
			fmt.Fprintln(stderr, msg)
			a := newFyneApp()
			alreadyRunningWindow(a, msg).Show()
			a.Run()
			return 1
		}
	}
	ctx, cancel := gateway.NotifyStop(context.Background(), stderr)
	defer cancel()

	if !hasDisplay() {
		if *demo {
			return runHeadlessDemo(ctx, BackendOptions{Config: cfg, Paths: paths}, stdout, stderr)
		}
		fmt.Fprintln(stderr, "ibkr-tray: no display (DISPLAY and WAYLAND_DISPLAY are unset), so there is no tray to show; run `ibkr-tray headless` to keep the gateway logged in without one, or `ibkr-tray --demo` to watch the demo in the terminal")
		return 1
	}

	noTray := trayMissing()
	if *demo {
		fmt.Fprintln(stdout, demoBanner(noTray))
	}
	a := newFyneApp()
	t := newTrayApp(ctx, a, trayOptions{
		Paths: paths, Config: cfg, Demo: *demo, Deps: defaultDeps(cfg.SecretsFile),
		Autostart: autostart.Entry{Profile: paths.Profile}, Log: log, NoTray: noTray,
	})
	t.tellSettingsWarnings(warnings)
	if trayHook != nil {
		trayHook(t)
	}
	go func() { // SIGINT, SIGTERM and SIGHUP quit like the menu's Quit
		<-ctx.Done()
		fyne.Do(a.Quit)
	}()
	// A shell of one: Settings can add a profile, which then runs beside.
	s := newTrayShell(a, []*trayApp{t})
	if !*demo {
		s.newProfile = addedProfile(ctx, a, log, noTray)
	}
	s.setup()
	a.Lifecycle().SetOnStarted(s.start)
	a.Run()
	return s.shutdown(stopTimeout)
}

// profilesToRun are the profiles this start runs: those named with
// --profile, else every profile there is (the default alone when there
// are none; with --demo, the demo's two, or one in a terminal).
func profilesToRun(picked []string, demo bool) ([]string, error) {
	switch {
	case demo && hasDisplay(): // live and paper side by side
		return demoProfiles(), nil
	case demo: // the terminal demo: one
		return []string{config.DefaultProfile}, nil
	case len(picked) > 0:
		return picked, nil
	}
	names, err := listProfiles()
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return []string{config.DefaultProfile}, nil
	}
	return names, nil
}

// runSeveral runs several profiles in one tray. A profile another copy
// runs, or one that collides with another, shows why in its section.
func runSeveral(names []string, demo bool, log *slog.Logger, stdout, stderr io.Writer) int {
	installQuietFyneLog(stderr)
	var ps []pickedProfile
	var err error
	if demo {
		ps, err = pickDemo()
	} else {
		ps, err = pickProfiles(names, func(p config.Paths) string { return otherCopy(p, false) })
	}
	if err != nil {
		fmt.Fprintln(stderr, "ibkr-tray:", err)
		return 1
	}
	ctx, cancel := gateway.NotifyStop(context.Background(), stderr)
	defer cancel()
	return runProfiles(ctx, ps, demo, log, stdout, stderr)
}

// demoBanner is the demo's first line: where to look and how to stop.
func demoBanner(noTray string) string {
	if noTray != "" {
		return "ibkr-tray demo: there is no system tray here, so look for the \"ibkr-tray status\" window; Ctrl+C stops the demo."
	}
	return "ibkr-tray demo: look for the icon in the tray; Ctrl+C stops the demo."
}

// trayHook, when set (by the end-to-end tests, which run Main in a child
// process), sees the tray app before it runs.
var trayHook func(t *trayApp)

// newFyneApp makes the Fyne app with our metadata (a plain go build has no
// FyneApp.toml metadata; the tray's title comes from Name).
func newFyneApp() fyne.App {
	icon := appIcon()
	app.SetMetadata(fyne.AppMetadata{ID: AppID, Name: "ibkr-tray", Icon: icon,
		Migrations: map[string]bool{"fyneDo": true}})
	a := app.NewWithID(AppID)
	a.SetIcon(icon)
	return a
}

// appIconPixels is the size of the app icon handed to Fyne: its X11
// window icons are 256 px.
const appIconPixels = 256

// appIcon is the app icon as PNG pixels. Given the SVG, Fyne rasterises it
// for the (hidden) window that runs the tray, allocating about 8 MB on the
// way, which the idle tray then keeps as heap; a PNG is only decoded.
func appIcon() fyne.Resource {
	b, err := rasterize(assets.AppIcon.Content(), appIconPixels)
	if err != nil {
		return assets.AppIcon
	}
	return fyne.NewStaticResource("app-icon.png", b)
}

// shutdown stops the backend after the app has quit and waits, bounded,
// until every gateway it started is gone.
func (t *trayApp) shutdown() int {
	t.cancel()
	done := make(chan struct{})
	go func() {
		t.background.Wait()
		close(done)
	}()
	select {
	case <-done:
		return 0
	case <-time.After(stopTimeout):
		t.o.Log.Error("the gateway did not stop in time", "waited", stopTimeout)
		return 1
	}
}

// hasDisplay reports whether a GUI can open.
func hasDisplay() bool {
	switch runtime.GOOS {
	case "darwin", "windows":
		return true
	}
	return os.Getenv("DISPLAY") != "" || os.Getenv("WAYLAND_DISPLAY") != ""
}

// trayMissing says why there is no system tray, or "" when one is there. On
// Linux the tray is whoever owns org.kde.StatusNotifierWatcher.
func trayMissing() string {
	switch runtime.GOOS {
	case "darwin", "windows":
		return ""
	}
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		return "cannot reach the D-Bus session bus (" + err.Error() + ")"
	}
	defer conn.Close()
	var has bool
	err = conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, "org.kde.StatusNotifierWatcher").Store(&has)
	if err != nil || !has {
		return "no StatusNotifierWatcher on the session bus (on GNOME, install the AppIndicator extension)"
	}
	return ""
}

// runHeadlessDemo runs the demo without a display and prints each state
// change until interrupted.
func runHeadlessDemo(ctx context.Context, o BackendOptions, stdout, stderr io.Writer) int {
	if StartDemo == nil {
		fmt.Fprintln(stderr, "ibkr-tray: this build has no demo wired in")
		return 1
	}
	ctx, cancel := context.WithCancel(ctx)
	s, err := StartDemo(ctx, o)
	if err != nil {
		cancel()
		fmt.Fprintln(stderr, "ibkr-tray:", err)
		return 1
	}
	fmt.Fprintln(stdout, "No display: running the demo headless. Press Ctrl+C to stop.")
	printChanges(ctx, s.Backend, stdout, time.Now)
	cancel()
	select {
	case <-s.Done:
		return 0
	case <-time.After(stopTimeout):
		fmt.Fprintln(stderr, "ibkr-tray: the demo gateway did not stop in time")
		return 1
	}
}

// printChanges writes one line per state change until ctx ends.
func printChanges(ctx context.Context, b Backend, w io.Writer, now func() time.Time) {
	ch, unsub := b.Subscribe()
	defer unsub()
	tl := NewTimeline()
	var last Event
	for {
		select {
		case <-ctx.Done():
			return
		case <-ch:
			tl.Observe(b.Status(), now())
			ev := tl.Events() // newest first
			n := 0
			for n < len(ev) && ev[n] != last {
				n++
			}
			for i := n - 1; i >= 0; i-- {
				fmt.Fprintln(w, ev[i].At.Format("15:04:05"), ev[i].Text)
			}
			if len(ev) > 0 {
				last = ev[0]
			}
		}
	}
}
