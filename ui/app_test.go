package ui

import (
	"bytes"
	"context"
	"github.com/ibkr-tray/ibkr-tray/ui/desktoptest"
	"strings"
	"testing"
	"time"

	"github.com/ibkr-tray/ibkr-tray/gateway"
	"github.com/ibkr-tray/ibkr-tray/session"
)

func TestMainFlags(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("DISPLAY", "")
	t.Setenv("WAYLAND_DISPLAY", "")
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"help", []string{"-h"}, 0, "Usage: ibkr-tray [--profile NAME]... [--demo]"},
		{"help says --profile repeats", []string{"-h"}, 0, "repeat it to run several side by side"},
		{"unknown flag", []string{"--nope"}, 2, "flag provided but not defined"},
		{"stray argument", []string{"status"}, 2, `unexpected argument "status"`},
		{"bad profile name", []string{"--profile", "../x"}, 2, "may only use letters"},
		{"no display says what to run instead", nil, 1, "run `ibkr-tray headless`"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			if code := run(tc.args, &out, &errb); code != tc.code {
				t.Errorf("exit code %d, want %d; stderr: %s", code, tc.code, errb.String())
			}
			if !strings.Contains(errb.String(), tc.stderr) {
				t.Errorf("stderr %q does not contain %q", errb.String(), tc.stderr)
			}
		})
	}
}

func TestHeadlessDemoPrintsStateChanges(t *testing.T) {
	fb := newFakeBackend(snap(gateway.Starting, session.GatewayDown))
	var out desktoptest.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	clock := func() time.Time { return t0 }
	go func() {
		printChanges(ctx, fb, &out, clock)
		close(done)
	}()
	eventually(t, "first line", func() bool { return strings.Contains(out.String(), "Gateway starting…") })
	auth := snap(gateway.Running, session.Authenticated)
	auth.Session.Reason = "reauthenticated"
	fb.set(auth)
	eventually(t, "second line", func() bool { return strings.Count(out.String(), "\n") == 2 })
	cancel()
	<-done
	want := "09:00:00 Gateway starting…\n09:00:00 Authenticated as U1234567 · paper: reauthenticated\n"
	if out.String() != want {
		t.Errorf("printed\n%s\nwant\n%s", out.String(), want)
	}
}

// TestHelpListsTheSubcommands: `ibkr-tray -h` showed only -demo and
// -profile.
func TestHelpListsTheSubcommands(t *testing.T) {
	var out, errs bytes.Buffer
	if code := run([]string{"-h"}, &out, &errs); code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"-demo", "-profile", "headless", "status", "login", "logout", "secrets", "sim", "help", "each takes -h"} {
		if !strings.Contains(errs.String(), want) {
			t.Errorf("-h lacks %q:\n%s", want, errs.String())
		}
	}
}

// TestDemoSaysWhereToLook: `make demo` never said where the app was.
func TestDemoSaysWhereToLook(t *testing.T) {
	if got, want := demoBanner(""), "ibkr-tray demo: look for the icon in the tray; Ctrl+C stops the demo."; got != want {
		t.Errorf("with a tray: %q; want %q", got, want)
	}
	if got := demoBanner("no StatusNotifierWatcher"); !strings.Contains(got, `"ibkr-tray status" window`) || !strings.Contains(got, "Ctrl+C stops the demo.") {
		t.Errorf("without a tray: %q", got)
	}
}
