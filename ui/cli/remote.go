// Package cli holds the subcommands that need no GUI: the headless runner,
// and the small commands that talk to a running app (tray or headless)
// through its control socket.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/ibkr-tray/ibkr-tray/ui/config"
	"github.com/ibkr-tray/ibkr-tray/ui/runner"
)

// remote talks to a running app over its control socket (ui/runner), the
// one door that takes commands and shows the detailed status, and only
// to the user who runs the app.
type remote struct {
	socket string
	http   *http.Client
}

// remoteSynopsis is the flags remoteFlags adds, for each command's usage line.
const remoteSynopsis = "[--profile NAME] [--socket PATH]"

// remoteFlags adds --profile and --socket to a command's flags and returns
// a function that builds the remote once flags are parsed. --status-addr
// is still accepted, and ignored with a warning: the TCP address takes no
// commands any more.
func remoteFlags(fs *flag.FlagSet) func() (*remote, error) {
	profile := fs.String("profile", config.DefaultProfile, "the settings profile (`NAME`) of the running app (the demo's is demo)")
	socket := fs.String("socket", "", "the app's control socket `PATH` (default: the profile's, in $XDG_RUNTIME_DIR/ibkr-tray/)")
	addr := fs.String("status-addr", "", "no longer used: commands and the detailed status go over the profile's control socket")
	return func() (*remote, error) {
		if *addr != "" {
			fmt.Fprintf(os.Stderr, "ibkr-tray: --status-addr is no longer used by this command; it reaches the app of profile %s through its control socket (--profile demo for the demo)\n", *profile)
		}
		s := *socket
		named := false
		fs.Visit(func(f *flag.Flag) { named = named || f.Name == "profile" || f.Name == "socket" })
		if !named {
			// No profile named: the default's app, else the one profile
			// that runs; with several and not the default, ask which.
			if running := runningProfiles(); len(running) > 0 && !slices.Contains(running, config.DefaultProfile) {
				if len(running) > 1 {
					return nil, fmt.Errorf("several profiles run (%s); name one with --profile", strings.Join(running, ", "))
				}
				*profile = running[0]
			}
		}
		if s == "" {
			paths, err := config.PathsFor(*profile)
			if err != nil {
				return nil, err
			}
			s = paths.ControlSocket
		}
		return &remote{socket: s, http: runner.ControlClient(s, 10*time.Second)}, nil
	}
}

func (r *remote) url(path string) string { return runner.ControlURL + path }

// status reads GET /status.
func (r *remote) status(ctx context.Context) (runner.Status, error) {
	var st runner.Status
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.url("/status"), nil)
	if err != nil {
		return st, err
	}
	resp, err := r.http.Do(req)
	if err != nil {
		return st, r.explain(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return st, fmt.Errorf("the app at %s answered %s", r.socket, resp.Status)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&st); err != nil {
		return st, fmt.Errorf("the app at %s sent a status that could not be read: %w", r.socket, err)
	}
	return st, nil
}

// command sends POST /login, /logout, /restart, /retry, /login-browser,
// /cancel-login, /credentials-changed.
func (r *remote) command(ctx context.Context, name string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.url("/"+name), nil)
	if err != nil {
		return err
	}
	resp, err := r.http.Do(req)
	if err != nil {
		return r.explain(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("the app refused %s: %s %s", name, resp.Status, msg)
	}
	return nil
}

// errNotRunning: no app answers (its error says how to start one).
var errNotRunning = errors.New("ibkr-tray is not running")

// explain turns a failed connect into what the user should do.
func (r *remote) explain(err error) error {
	switch {
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%w (nothing answers at %s); start it with `ibkr-tray` or `ibkr-tray headless`, or name its profile with --profile", errNotRunning, r.socket)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("the ibkr-tray at %s belongs to another user; run this command as the user who started it", r.socket)
	}
	return fmt.Errorf("cannot reach ibkr-tray at %s: %w", r.socket, err)
}
