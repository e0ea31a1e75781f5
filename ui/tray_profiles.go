package ui

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"

	"fyne.io/fyne/v2"

	"github.com/ibkr-tray/ibkr-tray/ui/autostart"
	"github.com/ibkr-tray/ibkr-tray/ui/config"
	"github.com/ibkr-tray/ibkr-tray/ui/profiles"
	"github.com/ibkr-tray/ibkr-tray/ui/runner"
)

// profileFlag is the repeatable --profile.
type profileFlag []string

func (p *profileFlag) String() string { return strings.Join(*p, ",") }
func (p *profileFlag) Set(s string) error {
	if !slices.Contains(*p, s) {
		*p = append(*p, s)
	}
	return nil
}

// listProfiles and checkApart are ui/profiles' (tests swap them).
var (
	listProfiles = profiles.List
	checkApart   = profiles.CheckApart
)

// pickedProfile is one profile to run, as start-up found it.
type pickedProfile struct {
	Paths    config.Paths
	Config   config.Config
	Warnings []string
	Problem  string // why it does not start ("" = it starts)
	// ProblemLine says it in a few words, for the menu.
	ProblemLine string
}

// A profile that does not start says why in its menu section, in a few
// words; the status window has the whole sentence.
const (
	lineOtherCopy = "Another copy of ibkr-tray runs it"
	lineClash     = "It clashes with another profile: Status… says how"
	// lineUnreadable: its settings file is not valid.
	lineUnreadable = "Its settings file cannot be read: Status… says why"
)

// clashText is CheckApart's sentences as one profile's problem.
func clashText(s []string) string {
	return strings.Join(s, " ") + " It does not start until that is changed in Settings."
}

// pickProfiles opens each named profile's settings and decides which
// start: one whose lock another copy holds, or that collides with a
// profile before it, or whose settings file cannot be read, stays stopped
// and says why. A bad name is an error.
func pickProfiles(names []string, otherCopy func(config.Paths) string) ([]pickedProfile, error) {
	var out []pickedProfile
	var apart []profiles.Profile
	for _, name := range names {
		paths, err := config.PathsFor(name)
		if err != nil {
			return nil, err
		}
		cfg, warnings, err := config.Open(paths.ConfigFile)
		p := pickedProfile{Paths: paths, Config: cfg, Warnings: warnings}
		if err != nil { // the others run; this one says why it does not
			p.Config = config.Default()
			p.Problem, p.ProblemLine = sentence(capitalise(err.Error())), lineUnreadable
		} else if msg := otherCopy(paths); msg != "" {
			p.Problem, p.ProblemLine = msg, lineOtherCopy
		} else if s := checkApart(append(slices.Clone(apart), profiles.Profile{Paths: paths, Config: cfg})); len(s) > 0 {
			p.Problem, p.ProblemLine = clashText(s), lineClash
		} else {
			apart = append(apart, profiles.Profile{Paths: paths, Config: cfg})
		}
		out = append(out, p)
	}
	return out, nil
}

// runProfiles runs several profiles in one tray until the app quits.
func runProfiles(ctx context.Context, ps []pickedProfile, demo bool, log *slog.Logger, stdout, stderr io.Writer) int {
	noTray := trayMissing()
	if demo {
		fmt.Fprintln(stdout, demoBanner(noTray))
	}
	a := newFyneApp()
	var ts []*trayApp
	for _, p := range ps {
		for _, w := range p.Warnings {
			fmt.Fprintf(stderr, "ibkr-tray: profile %s: %s\n", p.Paths.Profile, w)
		}
		t := profileTray(ctx, a, p, demo, log, noTray)
		t.tellSettingsWarnings(p.Warnings)
		ts = append(ts, t)
	}
	if trayHook != nil {
		trayHook(ts[0])
	}
	s := newTrayShell(a, ts)
	if !demo {
		s.newProfile = addedProfile(ctx, a, log, noTray)
	}
	go func() { // SIGINT, SIGTERM and SIGHUP quit like the menu's Quit
		<-ctx.Done()
		fyne.Do(a.Quit)
	}()
	s.setup()
	a.Lifecycle().SetOnStarted(s.start)
	a.Run()
	return s.shutdown(stopTimeout)
}

// profileTray is the trayApp of one of several profiles.
func profileTray(ctx context.Context, a fyne.App, p pickedProfile, demo bool, log *slog.Logger, noTray string) *trayApp {
	return newTrayApp(ctx, a, trayOptions{
		Paths: p.Paths, Config: p.Config, Demo: demo, Deps: defaultDeps(p.Config.SecretsFile),
		// One entry starts them all: ibkr-tray with no --profile.
		Autostart: autostart.Entry{Profile: config.DefaultProfile},
		Log:       log.With("profile", p.Paths.Profile), NoTray: noTray,
		Problem: p.Problem, ProblemLine: p.ProblemLine,
	})
}

// addedProfile makes the profiles added in Settings (profiles.Add: a
// settings file with a free status address).
func addedProfile(ctx context.Context, a fyne.App, log *slog.Logger, noTray string) func(name string) (*trayApp, error) {
	return func(name string) (*trayApp, error) {
		cfg, err := profiles.Add(name)
		if err != nil {
			return nil, err
		}
		paths, err := config.PathsFor(name)
		if err != nil {
			return nil, err
		}
		return profileTray(ctx, a, pickedProfile{Paths: paths, Config: cfg}, false, log, noTray), nil
	}
}

// The demo with a display shows a live and a paper profile side by side:
// the live user approves with IB Key (a tap on the demo phone), the paper
// user has no second factor. Each has its own lock, state folder and
// status address.
const (
	demoLive = "demo-live"
	// demoPaper is the paper profile of the demo.
	demoPaper = "demo-paper"
	// demoPaperStatusAddr is below the addresses profiles.FreeStatusAddr
	// hands out (5480, then 5482 up; 5481 is runner.DemoStatusAddr).
	demoPaperStatusAddr = "127.0.0.1:5479"
)

// demoProfiles are the demo's profiles, live first.
func demoProfiles() []string { return []string{demoLive, demoPaper} }

// demoOptions are the runner's demo options for a profile: the two of the
// side-by-side demo by name, else the one demo of old (headless).
func demoOptions(o BackendOptions) runner.DemoOptions {
	d := runner.DemoOptions{Browser: o.Config.Browser, VisibleBrowser: o.Config.VisibleBrowser, Logger: o.Log}
	switch o.Paths.Profile {
	case demoLive:
		d.Kind, d.Profile, d.StatusAddr = runner.DemoIBKey, demoLive, runner.DemoStatusAddr
	case demoPaper:
		d.Kind, d.Profile, d.StatusAddr = runner.DemoPaper, demoPaper, demoPaperStatusAddr
	}
	return d
}

// pickDemo is the side-by-side demo's profiles: settings in memory (the
// defaults), and no start where another copy runs that demo.
func pickDemo() ([]pickedProfile, error) {
	var out []pickedProfile
	for _, name := range demoProfiles() {
		paths, err := config.PathsFor(name)
		if err != nil {
			return nil, err
		}
		cfg := config.Default()
		cfg.StatusAddr = demoOptions(BackendOptions{Paths: paths}).StatusAddr
		p := pickedProfile{Paths: paths, Config: cfg, Problem: otherCopy(paths, false)}
		if p.Problem != "" {
			p.ProblemLine = lineOtherCopy
		}
		out = append(out, p)
	}
	return out, nil
}
