package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/ibkr-tray/ibkr-tray/session"
	"github.com/ibkr-tray/ibkr-tray/ui/runner"
)

// loginAction is one of the ways `login` asks the app to log in: the
// endpoint it posts to, and whether the keeper offers it now.
type loginAction struct {
	flag, path, what string
	offered          func(session.Offers) bool
}

var (
	actLogin   = loginAction{"", "login", "Log in", func(o session.Offers) bool { return o.Login }}
	actRetry   = loginAction{"--retry", "retry", "Retry automatic login", func(o session.Offers) bool { return o.Retry }}
	actBrowser = loginAction{"--browser", "login-browser", "Log in in the browser", func(o session.Offers) bool { return o.LoginInBrowser }}
	actCancel  = loginAction{"--cancel", "cancel-login", "Cancel login", func(o session.Offers) bool { return o.CancelLogin }}
)

// exitInterrupted is the status of a command stopped with Ctrl+C (128 +
// SIGINT), as shells report it.
const exitInterrupted = 130

// interruptible is a context that Ctrl+C ends (tests end it themselves).
var interruptible = func() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt)
}

// Login is `ibkr-tray login [--retry | --browser | --cancel] [--wait] [--timeout 5m]`.
func Login(args []string) int {
	fs := flag.NewFlagSet("login", flag.ContinueOnError)
	fs.Usage = usage(fs, "login [--retry | --browser | --cancel] [--wait] [--timeout 5m] "+remoteSynopsis,
		"Asks the running app to log in now: automated when credentials are stored\n"+
			"(ibkr-tray secrets set) and allowed, otherwise the gateway's login page opens\n"+
			"in your browser. `ibkr-tray status` lists what the app offers now.")
	retry := fs.Bool("retry", false, "after too many failed logins in a row: make exactly one more automated attempt")
	browser := fs.Bool("browser", false, "open the gateway's login page in your browser and wait for your login")
	cancel := fs.Bool("cancel", false, "stop waiting for a login in the browser")
	wait := fs.Bool("wait", false, "wait until the session is ready (with IB Key: until you approve the login in IBKR Mobile, or deny it, or the wait ends)")
	timeout := fs.Duration("timeout", 5*time.Minute, "with --wait: how long to wait")
	poll := fs.Duration("poll", time.Second, "with --wait: how often to check")
	connect := remoteFlags(fs)
	if err := fs.Parse(args); err != nil {
		return flagExit(err)
	}
	act, n := actLogin, 0
	for _, f := range []struct {
		on bool
		a  loginAction
	}{{*retry, actRetry}, {*browser, actBrowser}, {*cancel, actCancel}} {
		if f.on {
			act, n = f.a, n+1
		}
	}
	if n > 1 {
		fmt.Fprintln(os.Stderr, "ibkr-tray login: choose one of --retry, --browser and --cancel")
		return 2
	}
	r, err := connect()
	if err != nil {
		return fail(err)
	}
	ctx, stop := interruptible()
	defer stop()
	st, err := r.status(ctx)
	if err != nil {
		return fail(err)
	}
	if !act.offered(st.Session.Offers) {
		// Sending it anyway would do nothing, or worse (the same rejected
		// password again): say why and what is possible instead.
		fmt.Fprintf(os.Stderr, "ibkr-tray: %s is not possible now: %s\n", act.what, sentence(st.Session.Reason))
		if o := offers(st.Session.Offers); len(o) > 0 {
			fmt.Fprintf(os.Stderr, "You can: %s\n", strings.Join(o, "; "))
		}
		return exitNotAuthenticated
	}
	sent := time.Now()
	if err := r.command(ctx, act.path); err != nil {
		return fail(err)
	}
	if act.path == actCancel.path {
		fmt.Fprintln(stdout, "Login cancelled.")
		return 0
	}
	if !*wait {
		fmt.Fprintln(stdout, "Login requested; `ibkr-tray status` shows how it goes.")
		return 0
	}
	ctx, end := context.WithTimeout(ctx, *timeout)
	defer end()
	approved, err := waitReady(ctx, r, *poll, sent)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			// Ctrl+C: the user stopped waiting; the login goes on in
			// the app. Quietly, with the shell's status for SIGINT.
			fmt.Fprintln(stdout)
			return exitInterrupted
		}
		return fail(err)
	}
	if approved {
		fmt.Fprintln(stdout, "Approved in IBKR Mobile. Authenticated.")
		return 0
	}
	fmt.Fprintln(stdout, "Authenticated.")
	return 0
}

// clockNow is the clock of the waits (tests set it).
var clockNow = time.Now

// approvalEvery is how often a wait for the tap in IBKR Mobile says the
// time left again.
const approvalEvery = 30 * time.Second

// waitAuthenticated polls the app until the session is ready, the keeper
// says a person must act in a way waiting cannot help (a verdict reached
// after the command was sent at sent; waiting for the user's browser login
// can help), or ctx ends. It prints each new state so the user sees
// progress.
func waitAuthenticated(ctx context.Context, r *remote, every time.Duration, sent time.Time) error {
	_, err := waitReady(ctx, r, every, sent)
	return err
}

// waitReady is waitAuthenticated that also tells whether the session came
// after a wait for the user's tap in IBKR Mobile. While the keeper waits for that tap
// it says so with the time left, again every approvalEvery; a denial and
// a missed approval end the wait, each in its own words.
func waitReady(ctx context.Context, r *remote, every time.Duration, sent time.Time) (approved bool, err error) {
	var last session.State
	var lastCause session.Cause
	var told time.Time // when the time left was last said
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		st, err := r.status(ctx)
		if err != nil && ctx.Err() == nil {
			return false, err
		}
		if err == nil {
			s, at := st.Session, clockNow()
			switch {
			case s.State == session.WaitingForApproval:
				if s.State != last || at.Sub(told) >= approvalEvery {
					fmt.Fprintf(stdout, "%s.\n", stateLine(s, at))
					told = at
				}
				approved = true
			case s.State != last || s.Cause != lastCause:
				fmt.Fprintf(stdout, "%s: %s\n", sessionWords(s.State), sentence(s.Reason))
			}
			last, lastCause = s.State, s.Cause
			if s.Ready(at) {
				return approved, nil
			}
			if stuck(st, sent) {
				return false, unanswered(s)
			}
		}
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return false, fmt.Errorf("not authenticated in time (last: %s); see `ibkr-tray status`", sessionWords(last))
			}
			return false, ctx.Err()
		case <-t.C:
		}
	}
}

// unanswered is why a wait that needs the user ended: an IB Key request
// denied or not approved in time, each said plainly, else the keeper's
// reason.
func unanswered(s session.Status) error {
	switch s.Cause {
	case session.CauseApprovalDenied:
		return errors.New("the login was denied in IBKR Mobile; `ibkr-tray login` sends a new request to your phone")
	case session.CauseApprovalMissed:
		return errors.New("the login was not approved in IBKR Mobile in time; `ibkr-tray login` sends a new request to your phone")
	case session.CauseApprovalCancelled:
		return errors.New("the wait for the approval in IBKR Mobile was stopped (Cancel login); `ibkr-tray login` sends a new request to your phone")
	}
	return fmt.Errorf("the login needs you: %s", sentence(s.Reason))
}

// stuck reports whether waiting longer cannot help: since the command was
// sent, the keeper says a person must act, or it latched that no IB Key
// request goes out until one does (a stopped wait needs nobody, but ends
// the login); and it is not waiting for the user's own browser login.
func stuck(st runner.Status, sent time.Time) bool {
	s := st.Session
	needs := s.NeedsYou || s.Latches.ApprovalUnanswered != ""
	return needs && !s.Offers.CancelLogin && !s.LoginRunning && !s.Since.Before(sent)
}

// offers are the commands that do what the app offers now.
func offers(o session.Offers) []string {
	var s []string
	add := func(on bool, what string) {
		if on {
			s = append(s, what)
		}
	}
	add(o.Login, "ibkr-tray login")
	add(o.TakeBack, "ibkr-tray login (takes the session back)")
	add(o.Retry, "ibkr-tray login --retry")
	add(o.LoginInBrowser, "ibkr-tray login --browser")
	add(o.CancelLogin, "ibkr-tray login --cancel")
	add(o.OpenSettings, "correct the settings (tray: Settings…; credentials: ibkr-tray secrets set)")
	return s
}

// sentence makes a keeper's reason (a clause) a sentence.
func sentence(s string) string {
	if s == "" {
		return "the app gives no reason."
	}
	s = strings.ToUpper(s[:1]) + s[1:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

// Logout is `ibkr-tray logout`.
func Logout(args []string) int {
	fs := flag.NewFlagSet("logout", flag.ContinueOnError)
	fs.Usage = usage(fs, "logout "+remoteSynopsis, "Ends the session in the gateway (POST /logout).\n"+
		"The app stops logging back in until you log in again.")
	connect := remoteFlags(fs)
	if err := fs.Parse(args); err != nil {
		return flagExit(err)
	}
	r, err := connect()
	if err != nil {
		return fail(err)
	}
	if err := r.command(context.Background(), "logout"); err != nil {
		return fail(err)
	}
	fmt.Fprintln(stdout, "Logged out.")
	return 0
}
