package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/ibkr-tray/ibkr-tray/gateway"
	"github.com/ibkr-tray/ibkr-tray/gateway/sim"
	"github.com/ibkr-tray/ibkr-tray/session"
	"github.com/ibkr-tray/ibkr-tray/ui/config"
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

// headlessOptions are the settings file with the flags laid over it.
type headlessOptions struct {
	paths  config.Paths
	config config.Config
	// demo runs the built-in simulator instead of a gateway.
	demo       bool
	faultEvery time.Duration
}

func parseHeadless(args []string, stderr io.Writer) (headlessOptions, int, error) {
	fs := flag.NewFlagSet("headless", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = usage(fs, "headless [--gateway-dir DIR] [--port N] [--profile NAME] [--status-addr HOST:PORT]\n       ibkr-tray headless --demo [--status-addr HOST:PORT] [--fault-every 1m]",
		"Runs the Client Portal Gateway with no GUI and keeps it running and logged in:\n"+
			"restarts it when it dies or hangs, logs in again when the session ends, and\n"+
			"stops it on SIGINT, SIGTERM or SIGHUP. Serves GET /status (states only), /livez and\n"+
			"/readyz (200 when the session is authenticated) on the status address, and\n"+
			"the commands and the whole status on the profile's control socket, for you\n"+
			"alone. Flags override the IBKR_TRAY_* environment variables, which override\n"+
			"the profile's settings file (docs/headless.md lists them).\n\n"+
			"--demo runs the built-in gateway simulator with a made-up user instead, and\n"+
			"breaks the session now and then so you can watch it recover.")
	dir := fs.String("gateway-dir", "", "the unzipped clientportal.gw `folder` (default: gatewayDir in the settings)")
	port := fs.Int("port", 0, "run the gateway on this `port` instead of its conf.yaml's listenPort (your conf.yaml is not edited)")
	profile := fs.String("profile", config.DefaultProfile, "settings `profile`")
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
		return headlessOptions{demo: true, faultEvery: every, config: config.Config{StatusAddr: *addr}}, 0, nil
	}
	paths, err := config.PathsFor(*profile)
	if err != nil {
		return headlessOptions{}, exitError, err
	}
	c, warnings, err := config.OpenWithEnv(paths.ConfigFile)
	for _, w := range warnings {
		fmt.Fprintln(stderr, "ibkr-tray headless:", w)
	}
	if err != nil {
		return headlessOptions{}, exitError, err
	}
	if *dir != "" {
		c.GatewayDir = *dir
	}
	if *port != 0 {
		c.Port = *port
	}
	if *addr != "" {
		c.StatusAddr = *addr
	}
	if c.GatewayDir == "" {
		return headlessOptions{}, exitError, fmt.Errorf("no gateway folder is configured; pass --gateway-dir DIR (the unzipped clientportal.gw folder, from %s), set gatewayDir in %s or set IBKR_TRAY_GATEWAY_DIR", gateway.DownloadPage, paths.ConfigFile)
	}
	if err := c.Validate(); err != nil {
		return headlessOptions{}, exitError, err
	}
	return headlessOptions{paths: paths, config: c}, 0, nil
}

// headless runs until ctx ends. started, when set, is called once the
// status endpoint listens (tests).
func headless(ctx context.Context, args []string, stderr io.Writer, started func(*runner.Runner)) int {
	o, code, err := parseHeadless(args, stderr)
	if err != nil {
		if code == exitError {
			fmt.Fprintln(stderr, "ibkr-tray headless:", err)
		}
		return code
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	r, release, err := newHeadlessRunner(o, log)
	if err != nil {
		fmt.Fprintln(stderr, "ibkr-tray headless:", err)
		return exitError
	}
	defer release()

	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	go logChanges(ctx, r, log)
	select {
	case <-r.Listening():
		if started != nil {
			started(r)
		}
	case err := <-done:
		fmt.Fprintln(stderr, "ibkr-tray headless:", err)
		return exitError
	}
	if err := <-done; err != nil {
		fmt.Fprintln(stderr, "ibkr-tray headless:", err)
		return exitError
	}
	log.Info("ibkr-tray headless stopped")
	return 0
}

// newHeadlessRunner takes the profile's lock and makes the runner: the
// demo's, or one of the settings. release undoes both once Run returned.
func newHeadlessRunner(o headlessOptions, log *slog.Logger) (*runner.Runner, func(), error) {
	if o.demo {
		return runner.NewDemo(runner.DemoOptions{StatusAddr: o.config.StatusAddr, FaultEvery: o.faultEvery, Logger: log, Gateway: testGateway, Keeper: testKeeper, Sim: testSim})
	}
	lock, err := runner.Lock(o.paths.LockFile, o.paths.Profile)
	if err != nil {
		return nil, nil, err
	}
	r, err := runner.New(runner.Options{Config: o.config, Paths: o.paths, Logger: log, Gateway: testGateway, Keeper: testKeeper})
	if err != nil {
		lock.Release()
		return nil, nil, err
	}
	log.Info("ibkr-tray headless starting", "profile", o.paths.Profile, "gatewayDir", o.config.GatewayDir, "gatewayLog", o.paths.GatewayLog())
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
