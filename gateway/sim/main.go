package sim

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Version is written to the gateway log's first line, where the supervisor
// looks for the gateway's version.
const Version = "ibkr-tray-simulator 1.0"

// Main is the `ibkr-tray sim` subcommand; args follow "sim". It returns the
// exit status: 143 after SIGTERM, 130 after SIGINT, 2 for bad flags.
//
//	ibkr-tray sim [flags]                 serve a simulated gateway
//	ibkr-tray sim dist DIR [flags]        write a simulated gateway distribution
func Main(args []string) int {
	if len(args) > 0 && args[0] == "dist" {
		return mainDist(args[1:], os.Stdout, os.Stderr)
	}
	return mainServe(args, os.Stdout, os.Stderr)
}

// bindSimFlags binds the flags that set simulator options, with st's values
// as defaults.
func bindSimFlags(fs *flag.FlagSet, st *settings, accountsFile *string) {
	fs.StringVar(accountsFile, "accounts", "", "JSON `file` with a list of accounts: username, password, paper, totpSecret, devices, accountIds (default: the demo users)")
	fs.StringVar(&st.PageVersion, "page", st.PageVersion, "login page `version`: current or 2022")
	fs.TextVar(&st.AuthDelay, "auth-delay", st.AuthDelay, "`time` from login to an authenticated brokerage session")
	fs.TextVar(&st.ReauthDelay, "reauth-delay", st.ReauthDelay, "`time` from reauthenticate or ssodh/init to an authenticated brokerage session")
	fs.TextVar(&st.BrokerageTimeout, "brokerage-timeout", st.BrokerageTimeout, "brokerage session idle `timeout`")
	fs.TextVar(&st.SSOLifetime, "sso-lifetime", st.SSOLifetime, "SSO session `lifetime`")
	fs.StringVar(&st.ResetAt, "reset-at", st.ResetAt, "nightly reset `HH:MM` in --location (empty: none)")
	fs.StringVar(&st.Location, "location", st.Location, "time `zone` of --reset-at, e.g. America/New_York (empty: this computer's)")
	fs.Float64Var(&st.Speed, "speed", st.Speed, "simulated time runs this many `times` faster")
	fs.BoolVar(&st.Authenticated, "authenticated", st.Authenticated, "start with the first live user logged in and authenticated")
	fs.BoolFunc("no-rate-limits", "answer no 429s", func(v string) error {
		on, err := strconv.ParseBool(v)
		st.RateLimits = !on
		return err
	})
	fs.IntVar(&st.MaxFailedLogins, "max-failed-logins", st.MaxFailedLogins, "failed logins that lock a user (0: never)")
	fs.TextVar(&st.TOTPSkew, "totp-skew", st.TOTPSkew, "the simulator's TOTP clock runs this `duration` ahead of this computer's")
	fs.TextVar(&st.TermDelay, "term-delay", st.TermDelay, "`delay` between SIGTERM and exit")
	fs.StringVar(&st.IP2Loc, "ip2loc", st.IP2Loc, "ip2loc of the GET / redirect")
	fs.BoolVar(&st.NoSessionAs200, "no-session-200", st.NoSessionAs200, `tickle without a session answers 200 {"error":"no session"} instead of 401`)
	fs.BoolVar(&st.ExpiredCert, "expired-cert", st.ExpiredCert, "serve an expired certificate, like the real gateway's")
	fs.TextVar(&st.PushLifetime, "push-lifetime", st.PushLifetime, "`time` an IB Key notification waits for POST /sim/approve or /sim/deny before it expires (0: 3m)")
	fs.BoolVar(&st.IBKeyPromo, "ibkey-promo", st.IBKeyPromo, "show the IB Key promotion (skip link .ibkey-promo-skip) after the login form")
	fs.BoolVar(&st.RefuseBrokerage, "refuse-brokerage", st.RefuseBrokerage, "start with the refuse-brokerage fault on: logins succeed, the brokerage session never opens (until /sim/reset)")
}

type serveFlags struct {
	addr, conf, accounts, logLevel, mainClass string
	port                                      int
	nossl                                     bool
}

func newServeFlagSet(st *settings, f *serveFlags, defaultAddr string) *flag.FlagSet {
	fs := flag.NewFlagSet("ibkr-tray sim", flag.ContinueOnError)
	fs.StringVar(&f.addr, "addr", defaultAddr, "listen `address`")
	fs.IntVar(&f.port, "port", 0, "listen on 127.0.0.1 at this port (like the gateway's --port)")
	fs.BoolVar(&f.nossl, "nossl", st.PlainHTTP, "serve plain HTTP (like the gateway's --nossl)")
	fs.StringVar(&f.conf, "conf", "", "gateway `conf.yaml`: read listenPort, listenSsl, ip2loc, and sim.json next to it; write logs/gw.DATE.log")
	fs.StringVar(&f.logLevel, "log-level", "info", "stderr log `level` without --conf: debug, info, warn, error")
	// Ignored: it puts the real gateway's main class in the command line,
	// where tools look for it (bin/run.sh passes it).
	fs.StringVar(&f.mainClass, "main-class", "", "ignored; bin/run.sh passes the real gateway's main `class` so tools that look for it find the simulator")
	bindSimFlags(fs, st, &f.accounts)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: ibkr-tray sim [flags]\n       ibkr-tray sim dist DIR [--port N] [--ssl=false] [flags]\n\nA simulated IBKR Client Portal Gateway for tests and demos.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	return fs
}

// loadServeSettings works out the settings from defaults, conf.yaml,
// sim.json and the flags, in that order.
func loadServeSettings(args []string, stderr io.Writer) (Options, serveFlags, int, error) {
	st := toSettings(DefaultOptions())
	st.Location = ""
	var first serveFlags
	probe := newServeFlagSet(&settings{}, &first, "")
	probe.SetOutput(io.Discard)
	probe.Parse(args) // errors are reported by the real parse below

	defaultAddr := "127.0.0.1:5000"
	var cert *tls.Certificate
	if first.conf != "" {
		c, err := readGatewayConf(first.conf)
		if err != nil {
			return Options{}, first, 1, err
		}
		if c.ListenPort != nil {
			defaultAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(*c.ListenPort))
		}
		if c.ListenSsl != nil {
			st.PlainHTTP = !*c.ListenSsl
		}
		if c.IP2Loc != nil {
			st.IP2Loc = *c.IP2Loc
		}
		if cert, err = c.keystore(first.conf); err != nil {
			return Options{}, first, 1, err
		}
		if err := readSettingsFile(simJSONPath(first.conf), &st, true); err != nil {
			return Options{}, first, 1, err
		}
	}
	var f serveFlags
	fs := newServeFlagSet(&st, &f, defaultAddr)
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return Options{}, f, 0, err
		}
		return Options{}, f, 2, err
	}
	if fs.NArg() > 0 {
		return Options{}, f, 2, fmt.Errorf("unexpected argument %q; see ibkr-tray sim -h", fs.Arg(0))
	}
	addrSet := false
	fs.Visit(func(fl *flag.Flag) { addrSet = addrSet || fl.Name == "addr" })
	if f.port != 0 && !addrSet {
		f.addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(f.port))
	}
	st.PlainHTTP = f.nossl
	if f.accounts != "" {
		as, err := readAccountsFile(f.accounts)
		if err != nil {
			return Options{}, f, 1, err
		}
		st.Accounts = as
	}
	o, err := st.options()
	if err != nil {
		return o, f, 2, err
	}
	o.Certificate = cert
	return o, f, 0, nil
}

func mainServe(args []string, stdout, stderr io.Writer) int {
	o, f, code, err := loadServeSettings(args, stderr)
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stderr, "ibkr-tray sim:", err)
		}
		return code
	}
	logger, closeLog, err := simLogger(f, stderr, o.Now())
	if err != nil {
		fmt.Fprintln(stderr, "ibkr-tray sim:", err)
		return 1
	}
	defer closeLog()
	o.Logger = logger
	o.Exit = os.Exit
	logger.Info("Client Portal Gateway simulator starting", "version", Version)
	logger.Info("effective config", "addr", f.addr, "conf", f.conf, "settings", toSettings(o).redacted())

	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(sigs)

	s, err := Start(ctx, f.addr, o)
	if err != nil {
		fmt.Fprintln(stderr, "ibkr-tray sim:", err)
		return 1
	}
	scheme := "https"
	if o.PlainHTTP {
		scheme = "http"
	}
	base := fmt.Sprintf("%s://localhost:%d", scheme, s.Port())
	fmt.Fprintf(stdout, "Open %s to login\n", base)
	fmt.Fprintf(stdout, "App demo is available after you login under: %s/demo#/\n", base)
	fmt.Fprintf(stdout, "Simulator: users %s; passwords and TOTP secrets are in %s, never printed\n", userList(o.Accounts), secretsPlace(f))

	select {
	case sig := <-sigs:
		logger.Debug("signal received; exiting after the term delay", "signal", sig, "delay", o.TermDelay)
		t := time.NewTimer(o.TermDelay)
		<-t.C
		s.Close()
		if sig == syscall.SIGINT {
			return 130
		}
		return 143
	case <-s.Done():
		return 1
	}
}

func userList(as []Account) string {
	var names []string
	for _, a := range as {
		kind := "live"
		if a.Paper {
			kind = "paper"
		} else if a.TOTPSecret != "" {
			kind = "live, authenticator app"
		}
		names = append(names, fmt.Sprintf("%s (%s)", a.Username, kind))
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

func secretsPlace(f serveFlags) string {
	switch {
	case f.accounts != "":
		return f.accounts
	case f.conf != "":
		return simJSONPath(f.conf) + " (or the demo accounts: DemoAccounts and DemoTOTPSecret in gateway/sim)"
	}
	return "DemoAccounts and DemoTOTPSecret in gateway/sim"
}

// simLogger logs like the real gateway when run from a distribution (to
// logs/gw.YYYY-MM-DD.log under the working directory, DEBUG, nothing on
// stderr), else to stderr.
func simLogger(f serveFlags, stderr io.Writer, now time.Time) (*slog.Logger, func(), error) {
	if f.conf == "" {
		var lvl slog.Level
		if err := lvl.UnmarshalText([]byte(f.logLevel)); err != nil {
			return nil, nil, fmt.Errorf("unknown log level %q; use debug, info, warn or error", f.logLevel)
		}
		return slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: lvl})), func() {}, nil
	}
	if err := os.MkdirAll("logs", 0o755); err != nil {
		return nil, nil, fmt.Errorf("cannot make the logs folder: %w", err)
	}
	name := filepath.Join("logs", "gw."+now.Format("2006-01-02")+".log")
	file, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot open the gateway log: %w", err)
	}
	return slog.New(slog.NewTextHandler(file, &slog.HandlerOptions{Level: slog.LevelDebug})), func() { file.Close() }, nil
}

// mainDist is `ibkr-tray sim dist DIR [flags]`.
func mainDist(args []string, stdout, stderr io.Writer) int {
	var dir string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		dir, args = args[0], args[1:]
	}
	o := DefaultOptions()
	o.TermDelay = 2 * time.Second // java takes about 2 s to exit after SIGTERM
	st := toSettings(o)
	st.Location = ""
	var accounts string
	var port int
	var ssl bool
	fs := flag.NewFlagSet("ibkr-tray sim dist", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&port, "port", 5000, "listenPort in conf.yaml (0: any free port)")
	fs.BoolVar(&ssl, "ssl", true, "listenSsl in conf.yaml")
	bindSimFlags(fs, &st, &accounts)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: ibkr-tray sim dist DIR [flags]\n\nWrites a gateway distribution (bin/run.sh, root/conf.yaml, root/sim.json) that runs the simulator.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if dir == "" && fs.NArg() > 0 {
		dir = fs.Arg(0)
	}
	if dir == "" {
		fmt.Fprintln(stderr, "ibkr-tray sim dist: name the folder to write, e.g. ibkr-tray sim dist ./gw")
		return 2
	}
	if accounts != "" {
		as, err := readAccountsFile(accounts)
		if err != nil {
			fmt.Fprintln(stderr, "ibkr-tray sim dist:", err)
			return 1
		}
		st.Accounts = as
	}
	so, err := st.options()
	if err == nil {
		_, err = New(so) // catch bad settings now, not when the gateway starts
	}
	if err != nil {
		fmt.Fprintln(stderr, "ibkr-tray sim dist:", err)
		return 2
	}
	abs, _ := filepath.Abs(dir)
	if err := writeDist(abs, DistOptions{Port: port, SSL: ssl, Options: so}); err != nil {
		fmt.Fprintln(stderr, "ibkr-tray sim dist:", err)
		return 1
	}
	fmt.Fprintf(stdout, "Wrote a simulated gateway to %s; start it with: cd %s && bin/run.sh root/conf.yaml\n", abs, abs)
	return 0
}
