package runner

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// The control socket carries the commands and the detailed status (user,
// accounts, the gateway's MAC and hardware info): only the user who runs
// the app may open it. It is a unix socket in the app's own folder of the
// runtime folder ($XDG_RUNTIME_DIR/ibkr-tray, else the state folder), kept
// at mode 0700, so the kernel refuses every other local user before a byte
// is read. Windows 10 and later have unix sockets too: there the folder is
// under %LocalAppData%, whose access list admits only the user (and the
// system), so one mechanism serves every OS.

// maxSocketPath is the shortest limit of a unix socket's path (macOS: 104
// bytes with the NUL; Linux allows 108).
const maxSocketPath = 103

// ControlURL is the base URL of requests over the control socket; the host
// is a loopback name so the endpoint's host check passes.
const ControlURL = "http://localhost"

// ControlClient is an HTTP client whose requests go to the control socket
// at path, whatever the URL's host (use ControlURL).
func ControlClient(path string, timeout time.Duration) *http.Client {
	var d net.Dialer
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
				return d.DialContext(ctx, "unix", path)
			},
			DisableKeepAlives: true,
		},
	}
}

// listenControl makes the folder of the socket private and listens on the
// socket. A socket left by a copy that crashed is replaced; one that still
// answers belongs to a running copy and is left alone.
func listenControl(path string) (net.Listener, error) {
	if path == "" {
		return nil, errors.New("no control socket is configured (config.Paths.ControlSocket)")
	}
	if len(path) > maxSocketPath {
		return nil, fmt.Errorf("the control socket's path %s is longer than the %d bytes a unix socket allows; set XDG_RUNTIME_DIR (or XDG_STATE_HOME) to a shorter folder", path, maxSocketPath)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("cannot create the folder of the control socket %s: %w", dir, err)
	}
	if err := makePrivate(dir); err != nil {
		return nil, err
	}
	if info, err := os.Lstat(path); err == nil {
		if info.Mode().Type() != fs.ModeSocket {
			return nil, fmt.Errorf("%s should be ibkr-tray's control socket but is another kind of file; remove it and start again", path)
		}
		if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
			c.Close()
			return nil, fmt.Errorf("another copy of ibkr-tray answers on the control socket %s; quit it first or use another --profile", path)
		}
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("cannot remove the stale control socket %s: %w", path, err)
		}
	}
	l, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("the control socket cannot listen on %s: %w", path, err)
	}
	if err := privateSocket(path); err != nil {
		l.Close()
		return nil, fmt.Errorf("cannot make the control socket %s private: %w", path, err)
	}
	return l, nil
}
