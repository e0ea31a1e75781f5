package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/ibkr-tray/ibkr-tray/gateway"
	"github.com/ibkr-tray/ibkr-tray/gateway/sim"
	"github.com/ibkr-tray/ibkr-tray/session"
	"github.com/ibkr-tray/ibkr-tray/ui/config"
	"github.com/ibkr-tray/ibkr-tray/ui/profiles"
	"github.com/ibkr-tray/ibkr-tray/ui/runner"
)

// Headless is `ibkr-tray headless`: the gateway supervisor, the session
// keeper and the status endpoint without a GUI, for servers and tests.
// SIGINT, SIGTERM and SIGHUP stop it, and the gateway it started, cleanly
// (exit 0); a second one while stopping kills the gateway at once (exit 1).
func Headless(args []string) int {
	defer gateway.StopOnPanic()
	ctx, stop := gateway.NotifyStop(context.Background(), os.Stderr)
	defer stop()
	return headless(ctx, args, os.Stderr, nil)
}

// headlessOptions are the settings files with the flags laid over them:
// one profile, or several run side by side.
type headlessOptions struct {
	profiles []profiles.Profile
	// demo runs the built-in simulator instead of a gateway.
	demo       bool
	demoAddr   string
	faultEvery time.Duration
}

// profileFlags is --profile, which may be given several times.
type profileFlags []string

func (p *profileFlags) String() string { return strings.Join(*p, ",") }
func (p *profileFlags) Set(v string) error {
	if slices.Contains(*p, v) {
		return fmt.Errorf("profile %q is given twice", v)
	}
	*p = append(*p, v)
	return nil
}

func parseHeadless(args []string, stderr io.Writer) (headlessOptions, int, error) {
	fs := flag.NewFlagSet("headless", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = usage(fs, "headless [--gateway-dir DIR] [--port N] [--profile NAME] [--status-addr HOST:PORT]\n       ibkr-tray headless --profile NAME --profile NAME...\n       ibkr-tray headless --demo [--status-addr HOST:PORT] [--fault-every 1m]",
		"Runs the Client Portal Gateway with no GUI and keeps it running and logged in:\n"+
			"restarts it when it dies or hangs, logs in again when the session ends, and\n"+
			"stops it on SIGINT, SIGTERM or SIGHUP. Serves GET /status (states only), /livez and\n"+
			"/readyz (200 when the session is authenticated) on the status address, and\n"+
			"the commands and the whole status on the profile's control socket, for you\n"+
			"alone. Flags override the IBKR_TRAY_* environment variables, which override\n"+
			"the profile's settings file (docs/headless.md lists them).\n\n"+
			"--profile given several times runs those profiles side by side in this one\n"+
			"process, each with its own gateway, status address and log lines (profile=NAME);\n"+
			"their settings must keep them apart (ports, status addresses).\n\n"+
			"--demo runs the built-in gateway simulator with a made-up user instead, and\n"+
			"breaks the session now and then so you can watch it recover.")
	dir := fs.String("gateway-dir", "", "the unzipped clientportal.gw `folder` (default: gatewayDir in the settings)")
	port := fs.Int("port", 0, "run the gateway on this `port` instead of its conf.yaml's listenPort (your conf.yaml is not edited)")
	var names profileFlags
	fs.Var(&names, "profile", "settings `profile` (default "+config.DefaultProfile+"); give it several times to run several profiles")
	addr := fs.String("status-addr", "", "loopback `address` of the status endpoint (default: statusAddr in the settings, "+config.DefaultStatusAddr+"; with --demo "+runner.DemoStatusAddr+")")
	demo := fs.Bool("demo", false, "run the built-in gateway simulator with a made-up user (no IBKR account needed)")
	faultEvery := fs.Duration("fault-every", runner.DemoFaultEvery, "with --demo: `time` between injected faults (0: none)")
	if err := fs.Parse(args); err != nil {
		return headlessOptions{}, flagExit(err), err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "ibkr-tray headless: unexpected argument %q; see ibkr-tray headless -h\n", fs.Arg(0))
		return headlessOptions{}, 2, errors.New("bad arguments")
	}
	if *demo {
		if *dir != "" || *port != 0 {
			fmt.Fprintln(stderr, "ibkr-tray headless: --demo runs the built-in simulator; it takes no --gateway-dir or --port")
			return headlessOptions{}, 2, errors.New("bad arguments")
		}
		if _, err := runner.CheckStatusAddr(*addr); *addr != "" && err != nil {
			return headlessOptions{}, exitError, err
		}
		every := *faultEvery
		if every == 0 {
			every = -1 // none
		}
		return headlessOptions{demo: true, faultEvery: every, demoAddr: *addr}, 0, nil
	}
	if len(names) == 0 {
		names = profileFlags{config.DefaultProfile}
	}
	if len(names) > 1 && (*dir != "" || *port != 0 || *addr != "") {
		fmt.Fprintln(stderr, "ibkr-tray headless: --gateway-dir, --port and --status-addr apply to one profile; set them in each profile's settings (ibkr-tray profiles lists where they are)")
		return headlessOptions{}, 2, errors.New("bad arguments")
	}
	var o headlessOptions
	for _, name := range names {
		p, err := headlessProfile(name, *dir, *port, *addr, stderr)
		if err != nil {
			if len(names) > 1 {
				err = fmt.Errorf("profile %s: %w", name, err)
			}
			return headlessOptions{}, exitError, err
		}
		o.profiles = append(o.profiles, p)
	}
	if clashes := profiles.CheckApart(o.profiles); len(clashes) > 0 {
		return headlessOptions{}, exitError, fmt.Errorf("these profiles cannot run side by side:\n  %s", strings.Join(clashes, "\n  "))
	}
	return o, 0, nil
}

// headlessProfile reads one profile's settings and lays the flags over them.
func headlessProfile(name, dir string, port int, addr string, stderr io.Writer) (profiles.Profile, error) {
	p, warnings, err := profiles.Open(name)
	for _, w := range warnings {
		fmt.Fprintln(stderr, "ibkr-tray headless:", w)
	}
	if err != nil {
		return p, err
	}
	c := &p.Config
	if dir != "" {
		c.GatewayDir = dir
	}
	if port != 0 {
		c.Port = port
	}
	if addr != "" {
		c.StatusAddr = addr
	}
	if c.GatewayDir == "" {
		return p, fmt.Errorf("no gateway folder is configured; pass --gateway-dir DIR (the unzipped clientportal.gw folder, from %s), set gatewayDir in %s or set IBKR_TRAY_GATEWAY_DIR", gateway.DownloadPage, p.Paths.ConfigFile)
	}
	return p, c.Validate()
}

// headless runs until ctx ends. started, when set, is called once every
// profile's status endpoint listens, once per runner in the order of the
// profiles (tests).
func headless(ctx context.Context, args []string, stderr io.Writer, started func(*runner.Runner)) int {
	o, code, err := parseHeadless(args, stderr)
	if err != nil {
		if code == exitError {
			fmt.Fprintln(stderr, "ibkr-tray headless:", err)
		}
		return code
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	if o.demo {
		r, release, err := newDemoRunner(o, log)
		if err != nil {
			fmt.Fprintln(stderr, "ibkr-tray headless:", err)
			return exitError
		}
		defer release()
		return runHeadless(ctx, []*runner.Runner{r}, []string{runner.DemoProfile}, false, log, stderr, started)
	}
	several := len(o.profiles) > 1
	var rs []*runner.Runner
	var names []string
	for _, p := range o.profiles {
		plog := log
		if several {
			plog = log.With("profile", p.Paths.Profile)
		}
		r, release, err := newHeadlessRunner(p, several, plog)
		if err != nil {
			if several {
				err = fmt.Errorf("profile %s: %w", p.Paths.Profile, err)
			}
			fmt.Fprintln(stderr, "ibkr-tray headless:", err)
			return exitError // the deferred releases free the profiles before it
		}
		defer release()
		rs, names = append(rs, r), append(names, p.Paths.Profile)
	}
	return runHeadless(ctx, rs, names, several, log, stderr, started)
}

// runHeadless runs the runners until ctx ends (exit 0), or until one of
// them fails: then it stops the others and exits 1 with the reason.
func runHeadless(ctx context.Context, rs []*runner.Runner, names []string, several bool, log *slog.Logger, stderr io.Writer, started func(*runner.Runner)) int {
	ctx, stopAll := context.WithCancel(ctx)
	defer stopAll()
	type ended struct {
		i   int
		err error
	}
	done := make(chan ended, len(rs))
	for i, r := range rs {
		go func() { done <- ended{i, r.Run(ctx)} }()
		go logChanges(ctx, r, log.With(profileAttr(several, names[i])...))
	}
	running := len(rs)
	var failed error // the first error: what the exit says
	fail := func(e ended) {
		running--
		err := e.err
		if err == nil && ctx.Err() == nil {
			err = errors.New("it stopped by itself")
		}
		if err == nil {
			return
		}
		if several {
			err = fmt.Errorf("profile %s: %w", names[e.i], err)
		}
		if failed == nil {
			failed = err
			if ctx.Err() == nil && several {
				log.Error("a profile failed; stopping the others", "profile", names[e.i], "err", e.err)
			}
		}
		stopAll()
	}
waitListening:
	for _, r := range rs {
		for {
			select {
			case <-r.Listening():
				continue waitListening
			case <-ctx.Done():
				break waitListening
			case e := <-done:
				fail(e)
				if failed != nil {
					break waitListening
				}
			}
		}
	}
	if failed == nil && ctx.Err() == nil && started != nil {
		for _, r := range rs {
			started(r)
		}
	}
	for running > 0 {
		fail(<-done)
	}
	if failed != nil {
		fmt.Fprintln(stderr, "ibkr-tray headless:", failed)
		return exitError
	}
	log.Info("ibkr-tray headless stopped")
	return 0
}

// profileAttr is the profile=NAME of log lines when several profiles run.
func profileAttr(several bool, name string) []any {
	if !several {
		return nil
	}
	return []any{"profile", name}
}

// newDemoRunner makes the demo's runner (it takes the demo's lock).
func newDemoRunner(o headlessOptions, log *slog.Logger) (*runner.Runner, func(), error) {
	return runner.NewDemo(runner.DemoOptions{StatusAddr: o.demoAddr, FaultEvery: o.faultEvery, Logger: log, Gateway: testGateway, Keeper: testKeeper, Sim: testSim})
}

// newHeadlessRunner takes the profile's lock and makes its runner. release
// undoes both once Run returned.
func newHeadlessRunner(p profiles.Profile, several bool, log *slog.Logger) (*runner.Runner, func(), error) {
	lock, err := runner.Lock(p.Paths.LockFile, p.Paths.Profile)
	if err != nil {
		return nil, nil, err
	}
	r, err := runner.New(runner.Options{Config: p.Config, Paths: p.Paths, Logger: log, Gateway: testGateway, Keeper: testKeeper})
	if err != nil {
		lock.Release()
		return nil, nil, err
	}
	attrs := []any{"gatewayDir", p.Config.GatewayDir, "gatewayLog", p.Paths.GatewayLog()}
	if !several { // with several, the logger names the profile already
		attrs = append([]any{"profile", p.Paths.Profile}, attrs...)
	}
	log.Info("ibkr-tray headless starting", attrs...)
	return r, func() { lock.Release() }, nil
}

// testGateway, testKeeper and testSim let tests adjust the parts (nil
// otherwise).
var (
	testGateway func(*gateway.Config)
	testKeeper  func(*session.KeeperOptions)
	testSim     func(*sim.Options)
)

// logChanges writes one line per change of the gateway's state and one per
// change of the session's, with the reason: what a headless user (and the
// demo's watcher) follows.
func logChanges(ctx context.Context, r *runner.Runner, log *slog.Logger) {
	ch, unsub := r.Subscribe()
	defer unsub()
	var last runner.Status
	for {
		select {
		case <-ctx.Done():
			return
		case <-ch:
		}
		st := r.Status()
		if st.Gateway.State != last.Gateway.State {
			attrs := []any{"gateway", st.Gateway.State, "port", st.Gateway.Port}
			if !st.Gateway.RetryAt.IsZero() {
				attrs = append(attrs, "retryIn", time.Until(st.Gateway.RetryAt).Round(100*time.Millisecond))
			}
			log.Info("status", attrs...)
		}
		if s := st.Session; s.State != 0 && (s.State != last.Session.State || s.Cause != last.Session.Cause) {
			attrs := []any{"session", s.State, "reason", s.Reason}
			if s.Cause != session.CauseNone {
				attrs = append(attrs, "cause", s.Cause)
			}
			if s.State == session.Authenticated && s.SelectedAccount != "" {
				attrs = append(attrs, "account", s.SelectedAccount)
			}
			// A person must act: an error, the level a headless user's
			// log watcher alerts on.
			level := slog.LevelInfo
			if s.NeedsYou {
				level = slog.LevelError
				attrs = append(attrs, "needsYou", true)
			}
			log.Log(ctx, level, "status", attrs...)
		}
		last = st
	}
}
