package login

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"

	"github.com/chromedp/chromedp"
)

// browserEnv are the variables the browser inherits; everything else in
// our environment stays out of it.
var browserEnv = []string{
	"HOME", "PATH", "USER", "LOGNAME", "LANG", "LC_ALL", "TMPDIR", "TZ",
	"DISPLAY", "WAYLAND_DISPLAY", "XAUTHORITY", "XDG_RUNTIME_DIR",
	"XDG_CONFIG_HOME", "XDG_CACHE_HOME", "FONTCONFIG_PATH", "FONTCONFIG_FILE",
	// Windows
	"SYSTEMROOT", "SystemRoot", "TEMP", "TMP", "LOCALAPPDATA", "APPDATA",
	"USERPROFILE", "ProgramFiles", "ProgramFiles(x86)", "ProgramData",
}

// startBrowser starts Chromium with a fresh profile and opens a tab. ctx
// bounds the start only: the browser lives until close. trustKey, when not
// "", is the SPKI hash of the one certificate key the browser accepts
// without the usual checks (the gateway's; see trust.go).
func startBrowser(ctx context.Context, exe, trustKey string, visible bool, log *slog.Logger) (*browser, error) {
	profile, err := os.MkdirTemp("", "ibkr-tray-login-")
	if err != nil {
		return nil, &Error{Kind: Unknown, Msg: "Cannot create a temporary folder for the login browser.", Err: err}
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.UserDataDir(profile),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.NoInheritEnv,
		chromedp.Env(inheritedEnv()...),
		// Else Chromium starts D-Bus services and takes names on the
		// user's session bus.
		chromedp.Env("DBUS_SESSION_BUS_ADDRESS=disabled:"),
	)
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox) // Chromium refuses to run as root with it
	}
	if trustKey != "" {
		// Only the gateway's own key: its certificate is self-signed (and
		// expired in the stock distribution); any other site that fails
		// the usual checks is still refused.
		opts = append(opts, chromedp.Flag("ignore-certificate-errors-spki-list", trustKey))
	}
	if visible {
		opts = append(opts, chromedp.VisibleWindow)
	}
	out := &tailBuffer{max: 4 << 10}
	opts = append(opts, chromedp.CombinedOutput(out))

	// The allocator ties the browser process to the context of the first
	// action, so that context must not carry ctx's deadline.
	allocCtx, allocCancel := chromedp.NewExecAllocator(context.WithoutCancel(ctx), opts...)
	tabCtx, tabCancel := chromedp.NewContext(allocCtx,
		chromedp.WithLogf(func(f string, v ...any) { log.Debug("chromedp: " + fmt.Sprintf(f, v...)) }),
		chromedp.WithErrorf(func(f string, v ...any) { log.Debug("chromedp error: " + fmt.Sprintf(f, v...)) }),
	)
	b := &browser{ctx: tabCtx, profile: profile, tabCancel: tabCancel, allocCancel: allocCancel}

	started := make(chan error, 1)
	go func() { started <- chromedp.Do(tabCtx) }()
	select {
	case err = <-started:
	case <-ctx.Done():
		allocCancel() // kills a browser that is starting
		<-started
		err = ctx.Err()
	}
	if err != nil {
		b.close()
		if ctx.Err() != nil {
			return nil, &Error{Kind: Timeout, Msg: "The login browser did not start in time.", Err: ctx.Err()}
		}
		if errors.Is(err, chromedp.ErrNoDisplay) {
			return nil, &Error{Kind: NoBrowser, Msg: "A visible login browser needs a display (DISPLAY or WAYLAND_DISPLAY is not set); turn off the visible-browser setting on a computer without a desktop."}
		}
		return nil, &Error{Kind: NoBrowser, Msg: fmt.Sprintf(
			"The browser %s did not start; check that it is a working Chromium or Chrome. Its output: %s", exe, out.String()), Err: err}
	}
	return b, nil
}

// inheritedEnv picks browserEnv from our environment.
func inheritedEnv() []string {
	var env []string
	for _, k := range browserEnv {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// tailBuffer keeps the last max bytes written, for error messages.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		t.buf = t.buf[len(t.buf)-t.max:]
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := strings.TrimSpace(string(bytes.ToValidUTF8(t.buf, nil)))
	if s == "" {
		return "(none)"
	}
	return s
}
