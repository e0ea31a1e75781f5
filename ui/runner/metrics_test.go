//go:build unix

package runner

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"

	"github.com/ibkr-tray/ibkr-tray/gateway"
	"github.com/ibkr-tray/ibkr-tray/gateway/sim"
	"github.com/ibkr-tray/ibkr-tray/session"
	"github.com/ibkr-tray/ibkr-tray/session/login"
	"github.com/ibkr-tray/ibkr-tray/session/secrets"
	"github.com/ibkr-tray/ibkr-tray/ui/desktoptest"
)

// writeScript writes an executable /bin/sh script (a test's hook; the app
// itself never runs a shell) and returns its path.
func writeScript(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "hook.sh")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// recordingHook is a script that appends, per event, one line
// "PREVIOUS|STATE|GATEWAY|READY|NEEDS_YOU|PROFILE|CAUSE" to its first
// argument, and its whole environment and command line to .env and .args.
const recordingHook = `printf '%s|%s|%s|%s|%s|%s|%s\n' "$IBKR_TRAY_PREVIOUS" "$IBKR_TRAY_STATE" "$IBKR_TRAY_GATEWAY_STATE" "$IBKR_TRAY_READY" "$IBKR_TRAY_NEEDS_YOU" "$IBKR_TRAY_PROFILE" "$IBKR_TRAY_CAUSE" >> "$1"
env >> "$1.env"
echo "$0 $*" >> "$1.args"
echo "hook saw $IBKR_TRAY_STATE"
`

// waitFile waits until the file at path satisfies ok.
func waitFile(t *testing.T, path, what string, ok func(string) bool) string {
	t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for deadline := time.Now().Add(20 * time.Second); ; <-tick.C {
		b, _ := os.ReadFile(path)
		if ok(string(b)) {
			return string(b)
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited 20s for %s; %s holds:\n%s", what, path, b)
		}
	}
}

// TestMetricsAndHooksAfterALoginAgainstTheSimulatorNameNoUserOrSecret
// runs the real runner, keeper and simulator, logs in (the browser step
// replaced by the simulator's own login), scrapes /metrics and reads what
// the hook got. The username, the account IDs, the stored password and
// TOTP secret, and secret-like variables of the app's environment appear
// in neither.
func TestMetricsAndHooksAfterALoginAgainstTheSimulatorNameNoUserOrSecret(t *testing.T) {
	const user = "metricsbot7x"
	accounts := []string{"U5550017", "U5550029"}
	password, totp := "pw-"+rand.Text(), rand.Text()
	planted := map[string]string{"IBKR_TRAY_WEBHOOK_TOKEN": "tok-" + rand.Text(), "MY_BROKER_PASSWORD": "env-" + rand.Text()}
	for k, v := range planted {
		t.Setenv(k, v)
	}
	o := sim.DefaultOptions()
	o.TermDelay, o.AuthDelay = 0, 200*time.Millisecond
	o.Accounts = []sim.Account{{Username: user, Password: password, AccountIDs: accounts}}
	out := filepath.Join(t.TempDir(), "events")
	hook := writeScript(t, recordingHook)
	var logs desktoptest.Buffer
	var r *Runner
	r = simRunnerOf(t, o, nil, func(opt *Options) {
		opt.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		opt.Credentials = secrets.Memory(secrets.Credentials{Username: user, Password: password, TOTPSecret: totp})
		opt.Config.OnStateChange = [][]string{{hook, out}}
		kp := opt.Keeper
		opt.Keeper = func(k *session.KeeperOptions) {
			kp(k)
			k.StatusPoll = 200 * time.Millisecond
			k.BrowserLogin = func(ctx context.Context, a login.Attempt) (login.Result, error) {
				return login.Result{}, simLogin(ctx, r, user)
			}
		}
	})
	run(t, r)
	st := waitStatus(t, r, "authenticated after the login", func(st Status) bool {
		return st.Session.State == session.Authenticated && st.Session.User == user && len(st.Session.Accounts) == 2
	})
	if st.Session.LastLoginMethod != "browser" {
		t.Errorf("logged in by %q; want the automated (browser) login", st.Session.LastLoginMethod)
	}

	var body string
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for deadline := time.Now().Add(20 * time.Second); ; <-tick.C {
		var code int
		code, body = get(t, r, "GET", "/metrics")
		if code != http.StatusOK {
			t.Fatalf("/metrics = %d %s", code, body)
		}
		if strings.Contains(body, `ibkr_tray_logins_total{kind="automated",result="success"} 1`) &&
			strings.Contains(body, `ibkr_tray_request_duration_seconds_count{endpoint="/v1/api/iserver/accounts"}`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/metrics did not count the login within 20s:\n%s", body)
		}
	}
	for _, want := range []string{
		`ibkr_tray_session_state{state="Authenticated"} 1`,
		`ibkr_tray_session_state{state="LoggingIn"} 0`,
		`ibkr_tray_session_state{state="WaitingForManualLogin"} 0`,
		`ibkr_tray_gateway_state{state="Running"} 1`,
		`ibkr_tray_gateway_state{state="Failed"} 0`,
		`ibkr_tray_authenticated 1`,
		`ibkr_tray_needs_you 0`,
		`ibkr_tray_login_paused{cause="cap-in-row"} 0`,
		`ibkr_tray_logins_total{kind="automated",result="failure"} 0`,
		`ibkr_tray_recoveries_total{step="ssodh"} 0`,
		`ibkr_tray_gateway_restarts_total 0`,
		`ibkr_tray_request_duration_seconds_bucket{endpoint="/v1/api/iserver/auth/status",le="+Inf"}`,
		`ibkr_tray_sso_expires_seconds `,
		"\ngo_goroutines ",
		"\nprocess_resident_memory_bytes ",
		`ibkr_tray_ready `,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	secretsToo := append([]string{user, password, totp}, accounts...)
	for _, v := range planted {
		secretsToo = append(secretsToo, v)
	}
	for _, s := range secretsToo {
		if strings.Contains(body, s) {
			t.Errorf("/metrics holds %q", s)
		}
	}

	// The hook: one line per change, in order, each PREVIOUS the STATE
	// of the line before.
	events := waitFile(t, out, "the hook to see Authenticated", func(s string) bool {
		return strings.Contains(s, "|Authenticated|Running|")
	})
	t.Logf("the hook saw:\n%s", events)
	lines := strings.Split(strings.TrimSpace(events), "\n")
	prevState := ""
	for i, line := range lines {
		f := strings.Split(line, "|")
		if len(f) != 7 {
			t.Fatalf("event line %q", line)
		}
		if i > 0 && f[0] != prevState && f[0] != f[1] {
			t.Errorf("event %d %q: PREVIOUS %q, but the event before was %q (out of order or lost)", i, line, f[0], prevState)
		}
		if f[5] != "test" || (f[3] != "0" && f[3] != "1") || (f[4] != "0" && f[4] != "1") {
			t.Errorf("event %d %q: profile, READY or NEEDS_YOU not as documented", i, line)
		}
		prevState = f[1]
	}
	if !strings.HasPrefix(lines[0], "|") {
		t.Errorf("the first event %q has a PREVIOUS; want none", lines[0])
	}
	env, _ := os.ReadFile(out + ".env")
	args, _ := os.ReadFile(out + ".args")
	if !strings.Contains(string(env), "PATH=") || !strings.Contains(string(env), "IBKR_TRAY_STATE=") {
		t.Errorf("the hook's environment lacks PATH or its facts:\n%s", env)
	}
	for k := range planted {
		if strings.Contains(string(env), k+"=") {
			t.Errorf("the hook inherited %s", k)
		}
	}
	for _, s := range append([]string{password, totp}, secretsToo[3+len(accounts):]...) {
		if strings.Contains(string(env)+string(args), s) {
			t.Errorf("a secret reached the hook's environment or arguments: %q", s)
		}
	}
	// The hook prints its last line after writing the file, and the runner
	// logs its output once the hook has ended: wait for it.
	tick = time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(logs.String(), "hook saw Authenticated"); <-tick.C {
		if time.Now().After(deadline) {
			t.Errorf("the hook's output is not in the log after 10 s")
			break
		}
	}
}

// simLogin logs user in at r's simulator, as a browser login would.
func simLogin(ctx context.Context, r *Runner, user string) error {
	port := r.Supervisor().Status().Port
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	req, _ := http.NewRequestWithContext(ctx, "POST", "https://127.0.0.1:"+strconv.Itoa(port)+"/sim/login?user="+user, nil)
	resp, err := client.Do(req)
	if err != nil {
		return &login.Error{Kind: login.Unknown, Msg: err.Error()}
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return &login.Error{Kind: login.Unknown, Msg: fmt.Sprintf("the simulator's login answered %d", resp.StatusCode)}
	}
	return nil
}

func TestMetricsEndpointTemplatesNeverKeepAnAccountID(t *testing.T) {
	tests := []struct{ path, want string }{
		{"/", "/"},
		{"/v1/api/tickle", "/v1/api/tickle"},
		{"/v1/api/iserver/auth/ssodh/init", "/v1/api/iserver/auth/ssodh/init"},
		{"/v1/api/iserver/account", "/v1/api/iserver/account"},
		{"/v1/api/iserver/account/U1234567", "/v1/api/iserver/account/{accountId}"},
		{"/v1/api/iserver/account/DU7654321", "/v1/api/iserver/account/{accountId}"},
		{"/v1/api/portfolio/U1234567/summary", "/v1/api/portfolio/{accountId}/summary"},
		{"/v1/api/portfolio/U1234567/positions/0", "other"},
		{"/v1/api/iserver/account/johnsmith", "other"},
		{"/sso/Login", "other"},
	}
	for _, tt := range tests {
		if got := endpointOf(tt.path); got != tt.want {
			t.Errorf("endpointOf(%q) = %q, want %q", tt.path, got, tt.want)
		}
	}
}

// TestMetricsCountLoginsAndRecoveriesFromStatusChanges feeds the watcher
// snapshots as the keeper publishes them.
func TestMetricsCountLoginsAndRecoveriesFromStatusChanges(t *testing.T) {
	m := newMetrics()
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	var sent []Event
	w := &watcher{now: func() time.Time { return now }, profile: "p", m: m, send: func(e Event) { sent = append(sent, e) }}
	var s Status
	s.Gateway.State = gateway.Running
	step := func(d time.Duration, f func(*session.Status)) {
		now = now.Add(d)
		f(&s.Session)
		w.see(s)
	}
	step(0, func(s *session.Status) { s.State = session.Connecting })
	// The keeper reads the counts of an earlier run from its state file:
	// not a failure of this one.
	step(0, func(s *session.Status) {
		s.State, s.FailedLoginsInRow, s.FailedLoginsToday = session.NotAuthenticated, 2, 3
	})
	step(0, func(s *session.Status) { s.FailedLoginsInRow, s.FailedLoginsToday = 0, 0 }) // the user reset the cap
	// An automated login that fails: counted once it is over (the keeper
	// counts it failed while it runs).
	step(time.Second, func(s *session.Status) {
		s.State, s.LoginRunning, s.FailedLoginsInRow, s.FailedLoginsToday = session.LoggingIn, true, 1, 1
	})
	step(time.Second, func(s *session.Status) { s.State, s.LoginRunning = session.NotAuthenticated, false })
	// One that works: the in-row count is taken back.
	step(time.Second, func(s *session.Status) {
		s.State, s.LoginRunning, s.FailedLoginsInRow, s.FailedLoginsToday = session.LoggingIn, true, 1, 2
	})
	step(time.Second, func(s *session.Status) {
		s.State, s.LoginRunning, s.FailedLoginsInRow, s.FailedLoginsToday = session.Authenticated, false, 0, 1
		s.LastLogin, s.LastLoginMethod = now, "browser"
	})
	// Lost, and back by reauthenticate 4 s later, after ssodh/init.
	step(time.Minute, func(s *session.Status) { s.State = session.Reauthenticating })
	m.sawSSODH()
	step(4*time.Second, func(s *session.Status) {
		s.State, s.LastLogin, s.LastLoginMethod = session.Authenticated, now.Add(4*time.Second), "reauthenticate"
	})
	// Lost, back by itself (IBKR reachable again): timed, no step.
	step(time.Minute, func(s *session.Status) { s.State = session.IBKRUnreachable })
	step(10*time.Second, func(s *session.Status) { s.State = session.Authenticated })
	// Logged out by the user, then logged in by hand: not a recovery.
	step(time.Minute, func(s *session.Status) { s.State = session.LoggedOut })
	step(time.Minute, func(s *session.Status) {
		s.State, s.NeedsYou, s.Cause = session.WaitingForManualLogin, true, session.CauseManualLoginWait
	})
	step(time.Minute, func(s *session.Status) { s.Cause = session.CauseManualLoginTimedOut })
	step(time.Minute, func(s *session.Status) {
		s.State, s.NeedsYou, s.Cause, s.LastLogin, s.LastLoginMethod = session.Authenticated, false, "", now.Add(time.Minute), "manual"
	})
	s.Gateway.Restarts = 2
	step(time.Second, func(*session.Status) {})

	counts := []struct {
		name string
		got  float64
		want float64
	}{
		{"automated success", testutil.ToFloat64(m.logins.WithLabelValues("automated", "success")), 1},
		{"automated failure", testutil.ToFloat64(m.logins.WithLabelValues("automated", "failure")), 1},
		{"manual success", testutil.ToFloat64(m.logins.WithLabelValues("manual", "success")), 1},
		{"manual failure", testutil.ToFloat64(m.logins.WithLabelValues("manual", "failure")), 1},
		{"recovered by ssodh", testutil.ToFloat64(m.recoveries.WithLabelValues("ssodh")), 1},
		{"recovered by reauthenticate", testutil.ToFloat64(m.recoveries.WithLabelValues("reauthenticate")), 0},
		{"recovered by browser", testutil.ToFloat64(m.recoveries.WithLabelValues("browser")), 0},
		{"gateway restarts", testutil.ToFloat64(m.gatewayRestarts), 2},
	}
	for _, c := range counts {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	// Two recoveries timed: 4 s and 10 s.
	var hist dto.Metric
	if err := m.recoverySeconds.Write(&hist); err != nil {
		t.Fatal(err)
	}
	if h := hist.GetHistogram(); h.GetSampleCount() != 2 || h.GetSampleSum() != 14 {
		t.Errorf("recovery histogram: %d samples, sum %v; want 2 and 14", h.GetSampleCount(), h.GetSampleSum())
	}
	// Every state change is an event, the cause changes too; the last
	// step changed nothing an event carries.
	var got []string
	for _, e := range sent {
		got = append(got, e.Previous+">"+e.State+oneZero(e.NeedsYou))
	}
	want := ">Connecting0 Connecting>NotAuthenticated0 NotAuthenticated>LoggingIn0 LoggingIn>NotAuthenticated0 NotAuthenticated>LoggingIn0 LoggingIn>Authenticated0 " +
		"Authenticated>Reauthenticating0 Reauthenticating>Authenticated0 Authenticated>IBKRUnreachable0 IBKRUnreachable>Authenticated0 " +
		"Authenticated>LoggedOut0 LoggedOut>WaitingForManualLogin1 WaitingForManualLogin>WaitingForManualLogin1 WaitingForManualLogin>Authenticated0"
	if strings.Join(got, " ") != want {
		t.Errorf("events:\n%s\nwant:\n%s", strings.Join(got, " "), want)
	}
}
