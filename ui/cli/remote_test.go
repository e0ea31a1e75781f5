package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ibkr-tray/ibkr-tray/gateway"
	"github.com/ibkr-tray/ibkr-tray/session"
	"github.com/ibkr-tray/ibkr-tray/ui/runner"
)

// fakeApp is a status endpoint whose session state a test scripts.
type fakeApp struct {
	mu       sync.Mutex
	states   []session.State // served in order; the last one repeats
	commands []string
}

func (f *fakeApp) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.Method == http.MethodPost {
		f.commands = append(f.commands, r.URL.Path)
		return
	}
	st := runner.Status{Gateway: gateway.Status{State: gateway.Running, Port: 5000}}
	st.Session.State = f.states[0]
	st.Session.Reason = "because " + f.states[0].String()
	if len(f.states) > 1 {
		f.states = f.states[1:]
	}
	_ = json.NewEncoder(w).Encode(st)
}

// startFakeApp serves f on a unix socket, as the app's control socket.
func startFakeApp(t *testing.T, states ...session.State) (*fakeApp, *remote) {
	t.Helper()
	f := &fakeApp{states: states}
	sock := filepath.Join(shortDir(t), "app.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(f)
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	return f, &remote{socket: sock, http: runner.ControlClient(sock, 10*time.Second)}
}

// shortDir is a fresh folder with a path short enough for a unix socket.
func shortDir(t *testing.T) string {
	t.Helper()
	d, err := os.MkdirTemp("", "ibt")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

func TestWaitAuthenticatedFollowsStatesUntilAuthenticated(t *testing.T) {
	_, r := startFakeApp(t, session.NotAuthenticated, session.LoggingIn, session.LoggingIn, session.Authenticated)
	var out bytes.Buffer
	stdout = &out
	t.Cleanup(func() { stdout = os.Stdout })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := waitAuthenticated(ctx, r, time.Millisecond); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	want := "NotAuthenticated: because NotAuthenticated\nLoggingIn: because LoggingIn\nAuthenticated: because Authenticated\n"
	if got != want {
		t.Fatalf("progress lines:\n%s\nwant:\n%s", got, want)
	}
}

func TestWaitAuthenticatedStopsWhenTheCapTrips(t *testing.T) {
	_, r := startFakeApp(t, session.LoggingIn, session.LoginLocked)
	stdout = &bytes.Buffer{}
	t.Cleanup(func() { stdout = os.Stdout })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := waitAuthenticated(ctx, r, time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "automated login is stopped") {
		t.Fatalf("want the cap to end the wait, got %v", err)
	}
}

func TestWaitAuthenticatedTimesOutWithTheLastState(t *testing.T) {
	_, r := startFakeApp(t, session.NeedsManualLogin)
	stdout = &bytes.Buffer{}
	t.Cleanup(func() { stdout = os.Stdout })
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := waitAuthenticated(ctx, r, time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "NeedsManualLogin") {
		t.Fatalf("want a timeout naming the last state, got %v", err)
	}
}

func TestCommandsArePosted(t *testing.T) {
	f, r := startFakeApp(t, session.Authenticated)
	for _, c := range []string{"login", "logout", "restart"} {
		if err := r.command(context.Background(), c); err != nil {
			t.Fatal(err)
		}
	}
	if got := strings.Join(f.commands, " "); got != "/login /logout /restart" {
		t.Fatalf("posted %q", got)
	}
}

func TestNoAppRunningSaysHowToStartIt(t *testing.T) {
	dir := shortDir(t)
	stale := filepath.Join(dir, "stale.sock")
	ln, err := net.Listen("unix", stale)
	if err != nil {
		t.Fatal(err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close() // the file stays, nothing listens: a crashed app
	for _, sock := range []string{filepath.Join(dir, "none.sock"), stale} {
		r := &remote{socket: sock, http: runner.ControlClient(sock, 2*time.Second)}
		_, err = r.status(context.Background())
		if err == nil || !strings.Contains(err.Error(), "ibkr-tray is not running") {
			t.Errorf("%s: want a sentence saying the app is not running, got %v", sock, err)
		}
	}
}

func TestDescribeReadsLikeASentence(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	st := runner.Status{
		Gateway: gateway.Status{State: gateway.Running, PID: 4242, Port: 5000, Started: now.Add(-2*time.Hour - 13*time.Minute), Restarts: 1},
		Session: session.Status{
			State: session.Authenticated, SelectedAccount: "U1234567", Paper: true,
			Auth:       session.AuthStatus{Connected: true, Authenticated: true, ServerName: "JifZ12345"},
			SSOExpires: now.Add(6 * time.Hour), LastTickle: now.Add(-3 * time.Second),
		},
	}
	got := describe(st, now)
	for _, want := range []string{
		"Gateway:  Running (pid 4242, port 5000, up 2h13m, 1 restart)",
		"Session:  Authenticated as U1234567 · paper",
		"connected, not competing, server JifZ12345",
		"SSO expires in 6h0m; last tickle 3s ago",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}

	st.Gateway = gateway.Status{State: gateway.Failed, Reason: "bin/run.sh is missing in /opt/gw"}
	st.Session = session.Status{State: session.GatewayDown, LastError: "connection refused"}
	got = describe(st, now)
	for _, want := range []string{"Gateway:  Failed", "bin/run.sh is missing in /opt/gw", "Session:  GatewayDown", "Last error: connection refused"} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}
}
