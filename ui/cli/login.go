package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"time"

	"github.com/ibkr-tray/ibkr-tray/session"
)

// Login is `ibkr-tray login [--wait] [--timeout 5m]`.
func Login(args []string) int {
	fs := flag.NewFlagSet("login", flag.ContinueOnError)
	fs.Usage = usage(fs, "login [--wait] [--timeout 5m]",
		"Asks the running app to log in now: automated when credentials are stored\n"+
			"(ibkr-tray secrets set), otherwise the gateway's login page opens in your browser.")
	wait := fs.Bool("wait", false, "wait until the session is authenticated")
	timeout := fs.Duration("timeout", 5*time.Minute, "with --wait: how long to wait")
	poll := fs.Duration("poll", time.Second, "with --wait: how often to check")
	connect := remoteFlags(fs)
	if err := fs.Parse(args); err != nil {
		return flagExit(err)
	}
	r, err := connect()
	if err != nil {
		return fail(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := r.command(ctx, "login"); err != nil {
		return fail(err)
	}
	if !*wait {
		fmt.Fprintln(stdout, "Login requested; `ibkr-tray status` shows how it goes.")
		return 0
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	if err := waitAuthenticated(ctx, r, *poll); err != nil {
		return fail(err)
	}
	fmt.Fprintln(stdout, "Authenticated.")
	return 0
}

// waitAuthenticated polls the app until the session is authenticated, the
// login cap trips (waiting longer cannot help), or ctx ends. It prints each
// new state so the user sees progress.
func waitAuthenticated(ctx context.Context, r *remote, every time.Duration) error {
	var last session.State
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		st, err := r.status(ctx)
		if err != nil && ctx.Err() == nil {
			return err
		}
		if err == nil {
			s := st.Session
			if s.State != last {
				fmt.Fprintf(stdout, "%s: %s\n", s.State, s.Reason)
				last = s.State
			}
			switch s.State {
			case session.Authenticated:
				return nil
			case session.LoginLocked:
				return fmt.Errorf("automated login is stopped: %s", s.Reason)
			}
		}
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return fmt.Errorf("not authenticated in time (last state %s); see `ibkr-tray status`", last)
			}
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Logout is `ibkr-tray logout`.
func Logout(args []string) int {
	fs := flag.NewFlagSet("logout", flag.ContinueOnError)
	fs.Usage = usage(fs, "logout", "Ends the session in the gateway (POST /logout).\n"+
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
