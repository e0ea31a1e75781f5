package cli

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ibkr-tray/ibkr-tray/session"
)

// TestLoginWaitStoppedWithCtrlCExits130Quietly: Ctrl+C during `login
// --wait` printed "ibkr-tray: context canceled" and exited 1.
func TestLoginWaitStoppedWithCtrlCExits130Quietly(t *testing.T) {
	out := &bytes.Buffer{}
	stdout = out
	t.Cleanup(func() { stdout = os.Stdout })
	errFile, err := os.CreateTemp(t.TempDir(), "stderr")
	if err != nil {
		t.Fatal(err)
	}
	realStderr := os.Stderr
	os.Stderr = errFile
	t.Cleanup(func() { os.Stderr = realStderr })

	ctx, cancel := context.WithCancel(context.Background())
	interruptible = func() (context.Context, context.CancelFunc) { return ctx, cancel }
	t.Cleanup(func() {
		interruptible = func() (context.Context, context.CancelFunc) { return context.WithCancel(context.Background()) }
	})
	loggedOut := inState(session.LoggedOut)
	loggedOut.Offers = session.Offers{Login: true}
	f, r := startFakeApp(t, loggedOut, inState(session.LoggingIn))
	go func() { // Ctrl+C once the login was sent and the wait began
		for {
			f.mu.Lock()
			n := len(f.commands)
			f.mu.Unlock()
			if n > 0 {
				cancel()
				return
			}
			select {
			case <-time.After(5 * time.Millisecond):
			case <-ctx.Done():
				return
			}
		}
	}()
	code := Login(append([]string{"--wait", "--poll", "10ms"}, appFlags(r)...))
	if code != 130 {
		t.Errorf("exit %d; want 130", code)
	}
	b, _ := os.ReadFile(errFile.Name())
	if strings.TrimSpace(string(b)) != "" || strings.Contains(out.String(), "context canceled") {
		t.Errorf("Ctrl+C printed %q on stderr, %q on stdout; want nothing but the wait's progress", b, out.String())
	}
}
