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

// fakeApp is a status endpoint whose session a test scripts.
type fakeApp struct {
	mu       sync.Mutex
	sessions []session.Status // served in order; the last one repeats
	commands []string
}

func (f *fakeApp) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.Method == http.MethodPost {
		f.commands = append(f.commands, r.URL.Path)
		return
	}
	st := runner.Status{Gateway: gateway.Status{State: gateway.Running, Port: 5000}, Session: f.sessions[0]}
	if len(f.sessions) > 1 {
		f.sessions = f.sessions[1:]
	}
	_ = json.NewEncoder(w).Encode(st)
}

// inState is a session as a keeper publishes it now: an authenticated one
// is ready for a minute.
func inState(s session.State) session.Status {
	st := session.Status{State: s, Reason: "because " + s.String(), Since: time.Now()}
	if s == session.Authenticated {
		st.ReadyUntil = time.Now().Add(time.Minute)
	}
	return st
}

// startFakeApp serves f on a unix socket, as the app's control socket.
func startFakeApp(t *testing.T, sessions ...session.Status) (*fakeApp, *remote) {
	t.Helper()
	f := &fakeApp{sessions: sessions}
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

// appFlags are the flags that make a command reach the app behind r.
func appFlags(r *remote) []string { return []string{"--socket", r.socket} }

// notRunning is a remote at which no app answers.
func notRunning(t *testing.T) *remote {
	t.Helper()
	sock := filepath.Join(shortDir(t), "none.sock")
	return &remote{socket: sock, http: runner.ControlClient(sock, 2*time.Second)}
}

func TestWaitAuthenticatedFollowsStatesUntilAuthenticated(t *testing.T) {
	sent := time.Now()
	_, r := startFakeApp(t, inState(session.NotAuthenticated), inState(session.LoggingIn), inState(session.LoggingIn), inState(session.Authenticated))
	var out bytes.Buffer
	stdout = &out
	t.Cleanup(func() { stdout = os.Stdout })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := waitAuthenticated(ctx, r, time.Millisecond, sent); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	want := "Not logged in: Because NotAuthenticated.\nLogging in: Because LoggingIn.\nAuthenticated: Because Authenticated.\n"
	if got != want {
		t.Fatalf("progress lines:\n%s\nwant:\n%s", got, want)
	}
}

func TestWaitAuthenticatedStopsWhenTheKeeperSaysItNeedsYou(t *testing.T) {
	sent := time.Now()
	capped := inState(session.LoginLocked)
	capped.Cause, capped.NeedsYou = session.CauseCapInRow, true
	capped.Reason = "automated login stopped after 3 failed attempts in a row"
	_, r := startFakeApp(t, inState(session.LoggingIn), capped)
	stdout = &bytes.Buffer{}
	t.Cleanup(func() { stdout = os.Stdout })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := waitAuthenticated(ctx, r, time.Millisecond, sent)
	if err == nil || !strings.Contains(err.Error(), "the login needs you: Automated login stopped") {
		t.Fatalf("want the cap to end the wait, got %v", err)
	}
}

func TestWaitAuthenticatedWaitsForTheUsersBrowserLogin(t *testing.T) {
	sent := time.Now()
	waiting := inState(session.WaitingForManualLogin)
	waiting.Cause, waiting.NeedsYou = session.CauseManualLoginWait, true
	waiting.Offers = session.Offers{CancelLogin: true, LoginInBrowser: true}
	_, r := startFakeApp(t, waiting, waiting, waiting, inState(session.Authenticated))
	stdout = &bytes.Buffer{}
	t.Cleanup(func() { stdout = os.Stdout })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := waitAuthenticated(ctx, r, time.Millisecond, sent); err != nil {
		t.Fatalf("waiting for the browser login is no reason to stop: %v", err)
	}
}

func TestWaitAuthenticatedIgnoresAVerdictFromBeforeTheCommand(t *testing.T) {
	old := inState(session.NeedsManualLogin)
	old.NeedsYou = true
	sent := time.Now().Add(time.Millisecond) // the command came after that verdict
	_, r := startFakeApp(t, old, inState(session.LoggingIn), inState(session.Authenticated))
	stdout = &bytes.Buffer{}
	t.Cleanup(func() { stdout = os.Stdout })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := waitAuthenticated(ctx, r, time.Millisecond, sent); err != nil {
		t.Fatalf("the snapshot from before the login ended the wait: %v", err)
	}
}

func TestWaitAuthenticatedTimesOutWithTheLastState(t *testing.T) {
	_, r := startFakeApp(t, inState(session.NeedsManualLogin))
	stdout = &bytes.Buffer{}
	t.Cleanup(func() { stdout = os.Stdout })
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := waitAuthenticated(ctx, r, time.Millisecond, time.Now())
	if err == nil || !strings.Contains(err.Error(), "last: Login needed") {
		t.Fatalf("want a timeout naming the last state in words, got %v", err)
	}
}

func TestStatusExitsZeroOnlyWhenTheSessionIsReady(t *testing.T) {
	now := time.Now()
	for _, tc := range []struct {
		name string
		s    session.Status
		want int
	}{
		{"authenticated and checked", session.Status{State: session.Authenticated, ReadyUntil: now.Add(time.Minute)}, exitAuthenticated},
		{"authenticated, no good check lately", session.Status{State: session.Authenticated, ReadyUntil: now.Add(-time.Second)}, exitNotAuthenticated},
		{"logged out", session.Status{State: session.LoggedOut, Cause: session.CauseLoggedOut}, exitNotAuthenticated},
		{"IBKR errors", session.Status{State: session.IBKRErrors, ReadyUntil: now.Add(time.Minute)}, exitNotAuthenticated},
	} {
		if got := exitFor(runner.Status{Session: tc.s}, now); got != tc.want {
			t.Errorf("%s: exit %d, want %d", tc.name, got, tc.want)
		}
	}
}

// Defect 1 of issue 8: acknowledging the cap is one explicit command;
// `login --retry` posts /retry and nothing else.
func TestLoginFlagsPostTheirOneCommand(t *testing.T) {
	stdout = &bytes.Buffer{}
	t.Cleanup(func() { stdout = os.Stdout })
	all := inState(session.LoginLocked)
	all.Offers = session.Offers{Login: true, Retry: true, LoginInBrowser: true, CancelLogin: true}
	for flag, want := range map[string]string{"": "/login", "--retry": "/retry", "--browser": "/login-browser", "--cancel": "/cancel-login"} {
		f, r := startFakeApp(t, all)
		args := appFlags(r)
		if flag != "" {
			args = append([]string{flag}, args...)
		}
		if code := Login(args); code != 0 {
			t.Errorf("login %s: exit %d", flag, code)
		}
		if got := strings.Join(f.commands, " "); got != want {
			t.Errorf("login %s posted %q, want %q", flag, got, want)
		}
	}
}

// Defect 2 of issue 8: `ibkr-tray login` after IBKR rejected the password
// sent it again. What the keeper does not offer is not sent.
func TestLoginRefusesWhatTheAppDoesNotOffer(t *testing.T) {
	rejected := inState(session.NeedsManualLogin)
	rejected.Cause, rejected.NeedsYou = session.CauseBadCredentials, true
	rejected.Offers = session.Offers{LoginInBrowser: true, OpenSettings: true}
	f, r := startFakeApp(t, rejected)
	if code := Login(appFlags(r)); code != exitNotAuthenticated {
		t.Errorf("login exit %d, want %d", code, exitNotAuthenticated)
	}
	if len(f.commands) != 0 {
		t.Errorf("posted %v; the rejected password must not be sent again", f.commands)
	}
}

func TestCommandsArePosted(t *testing.T) {
	f, r := startFakeApp(t, inState(session.Authenticated))
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
		"Gateway:  Running (pid 4242, port 5000, up 2 hours 13 minutes, 1 restart)",
		"Session:  Authenticated as U1234567 · paper (not ready: no recent good check)",
		"connected, not competing, server JifZ12345",
		"SSO expires in 6 hours; last tickle 3 seconds ago",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}

	st.Session.ReadyUntil = now.Add(time.Minute)
	if got := describe(st, now); !strings.Contains(got, "Session:  Authenticated as U1234567 · paper\n") {
		t.Errorf("a ready session reads:\n%s", got)
	}
	st.Session.User = "ann"
	if got := describe(st, now); !strings.Contains(got, "Authenticated as ann · paper\n") {
		t.Errorf("the user is named as the window names them:\n%s", got)
	}

	st.Gateway = gateway.Status{State: gateway.Failed, Reason: "bin/run.sh is missing in /opt/gw"}
	st.Session = session.Status{State: session.GatewayDown, LastError: "connection refused"}
	got = describe(st, now)
	for _, want := range []string{"Gateway:  Failed", "bin/run.sh is missing in /opt/gw", "Session:  Waiting for the gateway", "Last error: connection refused"} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}

	st.Session = session.Status{State: session.LoginLocked, Cause: session.CauseCapInRow, NeedsYou: true,
		Reason: "automated login stopped after 3 failed attempts in a row",
		Offers: session.Offers{Retry: true, LoginInBrowser: true}}
	got = describe(st, now)
	for _, want := range []string{"Needs you:", "You can:  ibkr-tray login --retry\n          ibkr-tray login --browser\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}
}

// TestDescribeSaysNoInternalNames: `status` printed "Session:
// NotAuthenticated" and "NeedsManualLogin".
func TestDescribeSaysNoInternalNames(t *testing.T) {
	now := time.Now()
	for s := session.GatewayDown; s <= session.WaitingForApproval; s++ {
		st := runner.Status{Gateway: gateway.Status{State: gateway.Running}, Session: session.Status{State: s, Reason: "r"}}
		got := describe(st, now)
		if s != session.Authenticated && s != session.Connecting && strings.Contains(got, s.String()) {
			t.Errorf("%v reads %q: the internal name", s, got)
		}
		if strings.Contains(got, "Unknown") {
			t.Errorf("%v has no words: %q", s, got)
		}
	}
	for _, g := range []gateway.State{gateway.Adopted, gateway.Unresponsive} {
		if got := describe(runner.Status{Gateway: gateway.Status{State: g}}, now); strings.Contains(got, "Gateway:  "+g.String()) {
			t.Errorf("gateway %v reads %q", g, got)
		}
	}
}
