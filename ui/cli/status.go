package cli

import (
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/ibkr-tray/ibkr-tray/gateway"
	"github.com/ibkr-tray/ibkr-tray/session"
	"github.com/ibkr-tray/ibkr-tray/ui/config"
	"github.com/ibkr-tray/ibkr-tray/ui/profiles"
	"github.com/ibkr-tray/ibkr-tray/ui/runner"
)

// Exit statuses of `status`, so scripts can test for a usable session.
const (
	exitAuthenticated    = 0
	exitError            = 1
	exitNotAuthenticated = 3
)

// Status is `ibkr-tray status [--json] [--profile NAME] [--status-addr HOST:PORT]`.
func Status(args []string) int {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	fs.Usage = usage(fs, "status [--json] "+remoteSynopsis,
		"Prints the running app's gateway and session status, and what you can do.\n"+
			"Exits 0 when the session is ready for your programs (authenticated, and\n"+
			"checked recently: the same test as /readyz), 3 when it is not, 1 when the\n"+
			"app cannot be reached.")
	asJSON := fs.Bool("json", false, "print the status as JSON")
	connect := remoteFlags(fs)
	if err := fs.Parse(args); err != nil {
		return flagExit(err)
	}
	named := false
	fs.Visit(func(f *flag.Flag) { named = named || f.Name == "profile" || f.Name == "socket" })
	if !named {
		// No profile named: when several run, one line each.
		if running := runningProfiles(); len(running) > 1 {
			return statusOfSeveral(running, *asJSON)
		}
	}
	r, err := connect()
	if err != nil {
		return fail(err)
	}
	st, err := r.status(context.Background())
	if err != nil {
		return fail(err)
	}
	if *asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(st)
	} else {
		fmt.Print(describe(st, time.Now()))
	}
	return exitFor(st, time.Now())
}

// runningProfiles are the profiles whose app runs: those with settings,
// the default, and the demos' (whose lock is held).
func runningProfiles() []string {
	names, _ := profiles.List()
	for _, n := range []string{config.DefaultProfile, runner.DemoProfile} {
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	var running []string
	for _, n := range names {
		paths, err := config.PathsFor(n)
		if err != nil {
			continue
		}
		if r, _ := profiles.Running(paths); r {
			running = append(running, n)
		}
	}
	return running
}

// statusOfSeveral prints a line or two per running profile; it exits 0
// when every one is ready, 3 when one is not, 1 when one cannot be read.
func statusOfSeveral(names []string, asJSON bool) int {
	code := exitAuthenticated
	now := time.Now()
	var all []runner.Status
	for _, n := range names {
		paths, _ := config.PathsFor(n)
		r := &remote{socket: paths.ControlSocket, http: runner.ControlClient(paths.ControlSocket, 10*time.Second)}
		st, err := r.status(context.Background())
		if err != nil {
			if !asJSON {
				fmt.Fprintf(stdout, "%s: %v\n", n, err)
			}
			code = exitError
			continue
		}
		st.Profile = n
		all = append(all, st)
		if c := exitFor(st, now); c != exitAuthenticated && code == exitAuthenticated {
			code = c
		}
		if !asJSON {
			fmt.Fprint(stdout, brief(st, now))
		}
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(all)
	} else {
		fmt.Fprintln(stdout, "(ibkr-tray status --profile NAME shows one in full)")
	}
	return code
}

// brief is one profile's status in a line, and its reason when it needs you.
func brief(st runner.Status, now time.Time) string {
	g, s := st.Gateway, st.Session
	line := sessionWords(s.State)
	if s.State == session.Authenticated {
		if who := cmp.Or(s.User, s.SelectedAccount); who != "" {
			line = "Authenticated as " + who + yesNo(s.Paper, " · paper", " · live")
		}
		if !s.Ready(now) {
			line += " (not ready)"
		}
	}
	gw := "gateway " + strings.ToLower(gatewayWords(g.State))
	if g.Port != 0 {
		gw += fmt.Sprintf(" on port %d", g.Port)
	}
	out := fmt.Sprintf("%s: %s; %s\n", st.Profile, line, gw)
	if s.NeedsYou && s.Reason != "" {
		out += "  " + s.Reason + "\n"
	}
	return out
}

// exitFor is status's exit code: ready or not, by Status.Ready, the one
// test /readyz and the hooks use too.
func exitFor(st runner.Status, now time.Time) int {
	if st.Session.Ready(now) {
		return exitAuthenticated
	}
	return exitNotAuthenticated
}

// describe renders a status for people, a few aligned lines.
func describe(st runner.Status, now time.Time) string {
	var b strings.Builder
	g, s := st.Gateway, st.Session

	line := gatewayWords(g.State)
	var facts []string
	if g.PID != 0 {
		facts = append(facts, fmt.Sprintf("pid %d", g.PID))
	}
	if g.Port != 0 {
		facts = append(facts, fmt.Sprintf("port %d", g.Port))
	}
	if g.State.Up() && !g.Started.IsZero() {
		facts = append(facts, "up "+ago(now.Sub(g.Started)))
	}
	if g.Restarts > 0 {
		facts = append(facts, plural(g.Restarts, "restart"))
	}
	if st.Demo || g.Simulator {
		facts = append(facts, "simulator")
	}
	if len(facts) > 0 {
		line += " (" + strings.Join(facts, ", ") + ")"
	}
	fmt.Fprintf(&b, "Gateway:  %s\n", line)
	if g.Reason != "" && g.State != gateway.Running && g.State != gateway.Adopted {
		fmt.Fprintf(&b, "          %s\n", g.Reason)
	}

	line = stateLine(s, now)
	if s.State == session.Authenticated {
		if who := cmp.Or(s.User, s.SelectedAccount); who != "" {
			line = "Authenticated as " + who
			if s.Paper {
				line += " · paper"
			} else {
				line += " · live"
			}
		}
		if !s.Ready(now) {
			line += " (not ready: no recent good check"
			if !s.LastGoodCheck.IsZero() {
				line += "; the last was " + session.Words(now.Sub(s.LastGoodCheck)) + " ago"
			}
			line += ")"
		}
	}
	fmt.Fprintf(&b, "Session:  %s\n", line)
	if s.Reason != "" {
		fmt.Fprintf(&b, "          %s\n", s.Reason)
	}
	if s.NeedsYou {
		fmt.Fprintf(&b, "          Needs you: nothing brings the session back without you.\n")
	}
	var conn []string
	conn = append(conn, yesNo(s.Auth.Connected, "connected", "not connected"))
	conn = append(conn, yesNo(s.Auth.Competing, "competing", "not competing"))
	if s.Auth.ServerName != "" {
		conn = append(conn, "server "+s.Auth.ServerName)
	}
	fmt.Fprintf(&b, "          %s\n", strings.Join(conn, ", "))
	var times []string
	if !s.SSOExpires.IsZero() {
		times = append(times, "SSO expires in "+ago(s.SSOExpires.Sub(now)))
	}
	if !s.LastTickle.IsZero() {
		times = append(times, "last tickle "+ago(now.Sub(s.LastTickle))+" ago")
	}
	if !s.LastLogin.IsZero() {
		l := "last login " + s.LastLogin.Local().Format("Jan 2 15:04")
		if s.LastLoginMethod != "" {
			l += " (" + s.LastLoginMethod + ")"
		}
		times = append(times, l)
	}
	if len(times) > 0 {
		fmt.Fprintf(&b, "          %s\n", strings.Join(times, "; "))
	}
	if s.LastError != "" && s.State != session.Authenticated {
		fmt.Fprintf(&b, "Last error: %s\n", s.LastError)
	}
	if o := offers(s.Offers); len(o) > 0 {
		fmt.Fprintf(&b, "You can:  %s\n", strings.Join(o, "\n          "))
	}
	return b.String()
}

// ago renders a duration the way people say it: "45 seconds", "2 hours
// 13 minutes".
func ago(d time.Duration) string { return session.Words(d) }

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func yesNo(v bool, yes, no string) string {
	if v {
		return yes
	}
	return no
}

// usage prints a command's synopsis, what it does, and its flags.
func usage(fs *flag.FlagSet, synopsis, what string) func() {
	return func() {
		out := fs.Output()
		fmt.Fprintf(out, "Usage: ibkr-tray %s\n\n%s\n\nFlags:\n", synopsis, what)
		fs.PrintDefaults()
	}
}

// flagExit is 0 for -h and 2 for a bad flag (the flag package has printed why).
func flagExit(err error) int {
	if err == flag.ErrHelp {
		return 0
	}
	return 2
}

func fail(err error) int {
	fmt.Fprintln(os.Stderr, "ibkr-tray:", err)
	return exitError
}

var stdout io.Writer = os.Stdout
