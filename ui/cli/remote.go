// Package cli holds the subcommands that need no GUI: the headless runner,
// and the small commands that talk to a running app (tray or headless)
// through its loopback status endpoint.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"syscall"
	"time"

	"github.com/ibkr-tray/ibkr-tray/ui/config"
	"github.com/ibkr-tray/ibkr-tray/ui/runner"
)

// remote talks to a running app's status endpoint (ui/runner).
type remote struct {
	addr string
	http *http.Client
}

// remoteSynopsis is the flags remoteFlags adds, for each command's usage line.
const remoteSynopsis = "[--profile NAME] [--status-addr HOST:PORT]"

// remoteFlags adds --profile and --status-addr to a command's flags and
// returns a function that builds the remote once flags are parsed.
func remoteFlags(fs *flag.FlagSet) func() (*remote, error) {
	profile := fs.String("profile", config.DefaultProfile, "the settings profile (`NAME`) whose running app to reach")
	addr := fs.String("status-addr", "", "the app's status endpoint `HOST:PORT` (default: from the profile's settings, "+config.DefaultStatusAddr+")")
	return func() (*remote, error) {
		a := *addr
		if a == "" {
			paths, err := config.PathsFor(*profile)
			if err != nil {
				return nil, err
			}
			c, err := config.Load(paths.ConfigFile)
			if err != nil {
				return nil, err
			}
			a = c.StatusAddr
		}
		return &remote{addr: a, http: &http.Client{Timeout: 10 * time.Second}}, nil
	}
}

func (r *remote) url(path string) string { return "http://" + r.addr + path }

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
		return st, fmt.Errorf("the app at %s answered %s", r.addr, resp.Status)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&st); err != nil {
		return st, fmt.Errorf("the app at %s sent a status that could not be read: %w", r.addr, err)
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

// explain turns "connection refused" into what the user should do.
func (r *remote) explain(err error) error {
	var op *net.OpError
	if errors.Is(err, syscall.ECONNREFUSED) || (errors.As(err, &op) && op.Op == "dial") {
		return fmt.Errorf("%w (nothing answers on %s); start it with `ibkr-tray` or `ibkr-tray headless`", errNotRunning, r.addr)
	}
	return fmt.Errorf("cannot reach ibkr-tray at %s: %w", r.addr, err)
}
