package runner

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ibkr-tray/ibkr-tray/gateway"
	"github.com/ibkr-tray/ibkr-tray/gateway/sim"
	"github.com/ibkr-tray/ibkr-tray/gateway/sim/simtest"
	"github.com/ibkr-tray/ibkr-tray/session"
	"github.com/ibkr-tray/ibkr-tray/session/login"
	"github.com/ibkr-tray/ibkr-tray/session/secrets"
	"github.com/ibkr-tray/ibkr-tray/ui/config"
)

// The failure catalogue (issue 8): the real runner (supervisor and keeper)
// against a `sim dist` gateway, through every fault the simulator has. Each
// case checks what a user would see while the fault holds (state, cause,
// reason, latches, offers, NeedsYou, /readyz), how many logins the app
// tried and the simulator saw, and that the simulator never locked the
// user; several then check the way out. Each case's status is written to
// ui/testdata/catalogue/<case>.json with -update, for the UI's tests of the
// tray menu and the notifier.

var updateCatalogue = flag.Bool("update", false, "rewrite ui/testdata/catalogue/*.json from the catalogue's snapshots")

const (
	catUser     = "catuser"
	catPassword = "cat-pass-7431"
	catLive     = "catlive"
	catSecret   = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	// catSpeed is the simulator's speed in most cases: its 3 s brokerage
	// delay takes 0.3 s, a fault's "60 seconds" takes 6.
	catSpeed = 10
	// catRequestTimeout bounds each call to the gateway.
	catRequestTimeout = 2 * time.Second
)

// catCase is one fault and what the user must see.
type catCase struct {
	name string
	// sim adjusts the simulator (defaults: catSpeed, the paper user
	// catuser, rate limits on, IBKR's lock after 5 failed logins).
	sim func(*sim.Options)
	// loggedIn starts the simulator with catuser logged in, so the case
	// begins Authenticated without a login.
	loggedIn bool
	// creds are the stored credentials (default catuser's).
	creds *secrets.Credentials
	// config and keeper adjust the app's settings.
	config func(*config.Config)
	keeper func(*session.KeeperOptions)
	// act injects the fault and drives commands; the snapshot is taken
	// when the status first matches want (State and Cause).
	act func(c *catRun)
	// within bounds the wait for want after act (default catWait).
	within time.Duration
	// hold, after the snapshot, watches this long that no further login
	// starts (for cases that must stop).
	hold time.Duration
	want catWant
	// then checks the way out after the snapshot.
	then func(c *catRun)
	// lockedOnPurpose: the case locks the user itself (lock-user), so the
	// simulator's lock is not the app's doing.
	lockedOnPurpose bool
}

// catWant is what the user sees while the fault holds.
type catWant struct {
	state    session.State
	cause    session.Cause
	needsYou bool
	ready    bool
	// reason holds words the reason must contain.
	reason []string
	// offers and notOffers name Offers fields that must be true / false.
	offers, notOffers []string
	// latches returns a complaint, "" when they are right.
	latches func(session.Latches) string
	// logins is the number of automated logins the app started; -1 means
	// any. maxLogins, when set, bounds it instead.
	logins, maxLogins int
	// simLogins is the simulator's count of successful logins (-1: any).
	simLogins int
	// restarts is the supervisor's count of gateway restarts.
	restarts int
}

func catalogue() []catCase {
	wrongPassword := secrets.Credentials{Username: catUser, Password: "not-" + catPassword}
	live := secrets.Credentials{Username: catLive, Password: catPassword, TOTPSecret: "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"} // not the simulator's
	liveUser := func(o *sim.Options) {
		o.Accounts = append(o.Accounts, sim.Account{Username: catLive, Password: catPassword, TOTPSecret: catSecret})
	}
	liveMode := func(c *config.Config) { c.Paper = false }
	none := secrets.Credentials{}
	return []catCase{
		{
			name: "no fault: logs in at start",
			want: catWant{state: session.Authenticated, ready: true, logins: 1, simLogins: 1},
		},
		{
			name: "expire-brokerage: reauthenticate, no login", loggedIn: true,
			act: func(c *catRun) {
				c.waitAuthenticated()
				c.fault("expire-brokerage")
				c.waitHits("POST /v1/api/iserver/reauthenticate", 1)
			},
			want: catWant{state: session.Authenticated, ready: true, logins: 0, simLogins: 1},
		},
		{
			name: "expire-sso: one browser login", loggedIn: true,
			act: func(c *catRun) {
				c.waitAuthenticated()
				c.fault("expire-sso")
				c.waitLogins(1)
			},
			want: catWant{state: session.Authenticated, ready: true, logins: 1, simLogins: 2},
		},
		{
			name: "reset: the nightly reset, one browser login", loggedIn: true,
			act: func(c *catRun) {
				c.waitAuthenticated()
				c.fault("reset")
				c.waitLogins(1)
			},
			want: catWant{state: session.Authenticated, ready: true, logins: 1, simLogins: 2},
		},
		{
			name: "compete: another session holds it, the user decides", loggedIn: true,
			act: func(c *catRun) {
				c.waitAuthenticated()
				c.fault("compete")
			},
			hold: 3 * time.Second,
			want: catWant{
				state: session.Competing, cause: session.CauseCompeting, needsYou: true,
				reason: []string{"Take the session back"}, offers: []string{"TakeBack"},
				logins: 0, simLogins: 1,
			},
			then: func(c *catRun) {
				if strings.Contains(c.status().Session.Reason, "compete") {
					c.t.Errorf("the reason names %q, which is not the setting's name: %q", "compete", c.status().Session.Reason)
				}
			},
		},
		{
			name: "compete with Take the session back on: taken back", loggedIn: true,
			config: func(c *config.Config) { c.TakeBackCompeting = true },
			act: func(c *catRun) {
				c.waitAuthenticated()
				c.fault("compete")
				c.waitHits("POST /v1/api/iserver/auth/ssodh/init", 1)
			},
			want: catWant{state: session.Authenticated, ready: true, logins: 0, simLogins: 1},
		},
		{
			name: "hang: IBKR unreachable, no login, no restart", loggedIn: true,
			act: func(c *catRun) {
				c.waitAuthenticated()
				c.fault("hang?seconds=120") // 12 s
			},
			want: catWant{state: session.IBKRUnreachable, cause: session.CauseIBKRUnreachable, logins: 0, simLogins: 1},
			then: func(c *catRun) {
				c.fault("hang?seconds=0")
				ended := time.Now()
				c.waitFresh("the end of the hang noticed", ended, 20*time.Second)
				c.expectLogins(0)
				c.expectRestarts(0)
			},
		},
		{
			name: "weekend outage: hours of hang at speed 2000, noticed within 20 s of its end", loggedIn: true,
			sim: func(o *sim.Options) {
				o.Speed = 2000
				o.BrokerageTimeout = 1000 * time.Hour
				o.SSOLifetime = 1000 * time.Hour
			},
			act: func(c *catRun) {
				c.waitAuthenticated()
				c.fault("hang?seconds=18000") // 5 hours: 9 s of real time
				c.hangEnds = time.Now().Add(9 * time.Second)
			},
			want: catWant{state: session.IBKRUnreachable, cause: session.CauseIBKRUnreachable, logins: 0, simLogins: 1},
			then: func(c *catRun) {
				c.waitFresh("the end of the weekend noticed", c.hangEnds, 20*time.Second)
				c.expectLogins(0)
				c.expectRestarts(0)
			},
		},
		{
			name: "503 for minutes: IBKR errors within 30 s, not ready", loggedIn: true,
			act: func(c *catRun) {
				c.waitAuthenticated()
				c.fault("error?status=503&seconds=3000")
			},
			within: 30 * time.Second,
			want:   catWant{state: session.IBKRErrors, cause: session.CauseIBKRErrors, reason: []string{"503"}, logins: 0, simLogins: 1},
			then: func(c *catRun) {
				c.fault("error?status=503&seconds=0")
				c.waitFresh("the end of the 503s noticed", time.Now(), 20*time.Second)
				c.expectLogins(0)
			},
		},
		{
			name: "500 for minutes: IBKR errors", loggedIn: true,
			act: func(c *catRun) {
				c.waitAuthenticated()
				c.fault("error?status=500&seconds=3000")
			},
			within: 30 * time.Second,
			want:   catWant{state: session.IBKRErrors, cause: session.CauseIBKRErrors, reason: []string{"500"}, logins: 0, simLogins: 1},
		},
		{
			name: "429 for minutes: rate limited, no login", loggedIn: true,
			act: func(c *catRun) {
				c.waitAuthenticated()
				c.fault("error?status=429&seconds=3000")
			},
			within: 30 * time.Second,
			want:   catWant{state: session.IBKRErrors, cause: session.CauseRateLimited, logins: 0, simLogins: 1},
		},
		{
			name: "flap-503: errors on and off, no flapping", loggedIn: true,
			act: func(c *catRun) {
				c.waitAuthenticated()
				c.forgetTimeline()
				c.fault("flap-503?on=50&off=50&seconds=300") // 5 s on, 5 s off, for 30 s
				c.flapEnds = time.Now().Add(30 * time.Second)
				c.waitUntil("the flapping over", 40*time.Second, func(Status) bool { return time.Now().After(c.flapEnds) })
			},
			within: 25 * time.Second,
			want:   catWant{state: session.Authenticated, ready: true, logins: 0, simLogins: 1},
			then: func(c *catRun) {
				causes := c.causesSeen()
				for _, cause := range causes {
					if cause != session.CauseNone && cause != session.CauseIBKRErrors {
						c.t.Errorf("during the flapping the cause was %q; want only ibkr-errors or none (seen %q)", cause, causes)
					}
				}
				// The same cause again is a repeat the notifier coalesces,
				// so going in and out of ibkr-errors is allowed; anything
				// else would notify.
				c.t.Logf("ibkr-errors %d times in 30 s of flapping", c.changesTo(session.CauseIBKRErrors))
				c.expectRestarts(0)
				if c.sawNeedsYou() {
					c.t.Error("NeedsYou was set during the flapping")
				}
			},
		},
		{
			name:   "refuse-brokerage: each remedy once, at most 4 logins, then stop",
			sim:    func(o *sim.Options) { o.RefuseBrokerage = true },
			within: 90 * time.Second,
			hold:   4 * time.Second,
			want: catWant{
				state: session.NeedsManualLogin, cause: session.CauseBrokerageRefused, needsYou: true,
				reason:  []string{"another session", "maintenance"},
				offers:  []string{"LoginInBrowser", "Retry"},
				latches: func(l session.Latches) string { return want(l.BrokerageRefused, "BrokerageRefused set") },
				logins:  -1, maxLogins: 4, simLogins: -1, restarts: 1,
			},
			then: func(c *catRun) {
				if n := c.logins(); n < 2 {
					c.t.Errorf("%d logins; want the fresh login remedy tried too (2 to 4)", n)
				}
			},
		},
		{
			name: "brokerage-late: the brokerage opens 20 s after the login, waited for", loggedIn: true,
			act: func(c *catRun) {
				c.waitAuthenticated()
				c.fault("brokerage-late?seconds=20") // 2 s
				c.fault("expire-sso")
				c.waitLogins(1)
			},
			want: catWant{
				state: session.Authenticated, ready: true, logins: 1, simLogins: 2,
				latches: func(l session.Latches) string { return want(!l.BrokerageRefused, "BrokerageRefused not set") },
			},
			then: func(c *catRun) {
				if n := c.status().Session.FailedLoginsInRow; n != 0 {
					c.t.Errorf("a late brokerage session counted as %d failed logins", n)
				}
			},
		},
		{
			name: "validate-false: sso/validate says false, the session works", loggedIn: true,
			act: func(c *catRun) {
				c.waitAuthenticated()
				c.fault("validate-false")
				c.waitHits("GET /v1/api/sso/validate", 1)
			},
			hold: 3 * time.Second,
			want: catWant{state: session.Authenticated, ready: true, logins: 0, simLogins: 1},
		},
		{
			name:  "wrong password: never sent again until it changes",
			creds: &wrongPassword,
			// Log in opens the user's browser instead; a short wait for it.
			keeper: func(k *session.KeeperOptions) { k.ManualLoginTimeout = 4 * time.Second },
			hold:   3 * time.Second,
			want: catWant{
				state: session.NeedsManualLogin, cause: session.CauseBadCredentials, needsYou: true,
				offers: []string{"OpenSettings", "LoginInBrowser"}, notOffers: []string{"Login", "Retry"},
				latches: func(l session.Latches) string {
					return want(l.CredentialsRejected == session.CauseBadCredentials, "CredentialsRejected bad-credentials")
				},
				logins: 1, simLogins: 0,
			},
			then: func(c *catRun) {
				c.r.RetryLogin()
				c.r.Login()
				c.quiet(3 * time.Second)
				c.expectLogins(1) // defect 2: the same password is not sent again
				if n := c.sim().FailedLogins[catUser]; n != 1 {
					c.t.Errorf("the simulator saw %d failed logins, want 1", n)
				}
				c.setCreds(secrets.Credentials{Username: catUser, Password: catPassword})
				c.r.CredentialsChanged()
				c.waitLogins(2)
				c.waitAuthenticated()
			},
		},
		{
			name:   "wrong mode: live mode for a paper user",
			config: liveMode,
			hold:   3 * time.Second,
			want: catWant{
				state: session.NeedsManualLogin, cause: session.CauseWrongMode, needsYou: true,
				offers: []string{"OpenSettings"}, notOffers: []string{"Retry"},
				latches: func(l session.Latches) string {
					return want(l.CredentialsRejected == session.CauseWrongMode, "CredentialsRejected wrong-mode")
				},
				logins: 1, simLogins: 0,
			},
		},
		{
			name: "user locked by IBKR: stop at once", loggedIn: true, lockedOnPurpose: true,
			act: func(c *catRun) {
				c.waitAuthenticated()
				c.fault("lock-user?user=" + catUser)
				c.fault("expire-sso")
			},
			hold: 3 * time.Second,
			want: catWant{
				state: session.NeedsManualLogin, cause: session.CauseUserLocked, needsYou: true,
				offers: []string{"LoginInBrowser"}, notOffers: []string{"Retry", "Login"},
				logins: 1, simLogins: 1,
			},
		},
		{
			name: "code refused (wrong TOTP secret): the cap in a row, Retry makes exactly one",
			sim:  liveUser, config: liveMode, creds: &live,
			keeper: func(k *session.KeeperOptions) { k.MaxFailedInRow = 3 },
			within: 90 * time.Second,
			hold:   3 * time.Second,
			want: catWant{
				state: session.LoginLocked, cause: session.CauseCapInRow, needsYou: true,
				offers: []string{"Retry", "LoginInBrowser"},
				latches: func(l session.Latches) string {
					return want(l.CapTripped == session.CauseCapInRow, "CapTripped cap-in-row")
				},
				logins: 3, simLogins: 0,
			},
			then: func(c *catRun) {
				c.r.RetryLogin()
				c.waitLogins(4)
				c.waitUntil("the cap again", catWait, func(st Status) bool { return st.Session.Cause == session.CauseCapInRow && !st.Session.LoginRunning })
				c.quiet(3 * time.Second)
				c.expectLogins(4) // defect 1: one click, one attempt
			},
		},
		{
			name: "the day's cap: only a login in the browser",
			sim:  liveUser, config: liveMode, creds: &live,
			keeper: func(k *session.KeeperOptions) { k.MaxFailedInRow = 5; k.MaxFailedPerDay = 2 },
			within: 90 * time.Second,
			hold:   3 * time.Second,
			want: catWant{
				state: session.LoginLocked, cause: session.CauseCapPerDay, needsYou: true,
				offers: []string{"LoginInBrowser"}, notOffers: []string{"Retry"},
				logins: 2, simLogins: 0,
			},
			then: func(c *catRun) {
				c.r.RetryLogin()
				c.quiet(3 * time.Second)
				c.expectLogins(2)
				if n := c.status().Session.FailedLoginsToday; n != 2 {
					c.t.Errorf("failed logins today %d after Retry, want 2: nothing a click does clears the day's count", n)
				}
			},
		},
		{
			name: "logout by the user: logged out, nothing to notify, Log in offered", loggedIn: true,
			act: func(c *catRun) {
				c.waitAuthenticated()
				c.r.Logout()
			},
			hold: 3 * time.Second,
			want: catWant{
				state: session.LoggedOut, cause: session.CauseLoggedOut, needsYou: false,
				offers:  []string{"Login"},
				latches: func(l session.Latches) string { return want(l.LoggedOutByUser, "LoggedOutByUser set") },
				logins:  0, simLogins: 1,
			},
			then: func(c *catRun) {
				if c.sim().Session != nil {
					c.t.Error("the simulator still has a session after the logout")
				}
				c.r.Login()
				c.waitLogins(1)
				c.waitAuthenticated()
			},
		},
		{
			name:  "no credentials stored: the user logs in",
			creds: &none,
			hold:  2 * time.Second,
			want: catWant{
				state: session.NeedsManualLogin, cause: session.CauseNoCredentials, needsYou: true,
				offers: []string{"OpenSettings", "LoginInBrowser"},
				logins: 0, simLogins: 0,
			},
		},
		{
			name:   "no browser: the user logs in",
			config: func(c *config.Config) { c.Browser = "/nonexistent/chromium" },
			hold:   2 * time.Second,
			want: catWant{
				state: session.NeedsManualLogin, cause: session.CauseNoBrowser, needsYou: true,
				offers:  []string{"LoginInBrowser"},
				latches: func(l session.Latches) string { return want(l.NoBrowser != "", "NoBrowser set") },
				logins:  -1, maxLogins: 1, simLogins: 0,
			},
		},
		{
			name: "gateway crash: restarted, logged in again",
			act: func(c *catRun) {
				c.waitAuthenticated()
				c.fault("crash")
				c.waitUntil("the gateway restarted", 30*time.Second, func(st Status) bool { return st.Gateway.Restarts >= 1 })
				c.waitLogins(2)
			},
			want: catWant{state: session.Authenticated, ready: true, logins: 2, simLogins: 1, restarts: 1},
		},
		{
			name:  "waiting for a manual login: needs you, cancellable",
			creds: &none,
			act: func(c *catRun) {
				c.waitUntil("no credentials", 20*time.Second, func(st Status) bool { return st.Session.Cause == session.CauseNoCredentials })
				c.r.LoginInBrowser()
			},
			want: catWant{
				state: session.WaitingForManualLogin, cause: session.CauseManualLoginWait, needsYou: true,
				offers:  []string{"CancelLogin", "LoginInBrowser"},
				latches: func(l session.Latches) string { return want(!l.ManualLoginUntil.IsZero(), "ManualLoginUntil set") },
				logins:  0, simLogins: 0,
			},
			then: func(c *catRun) {
				if n := c.opened.Load(); n != 1 {
					c.t.Errorf("the user's browser was opened %d times, want 1", n)
				}
				c.r.CancelLogin()
				c.waitUntil("the wait cancelled", 10*time.Second, func(st Status) bool { return st.Session.State != session.WaitingForManualLogin })
				c.userLogsIn.Store(true)
				c.r.LoginInBrowser()
				c.waitAuthenticated()
				if m := c.status().Session.LastLoginMethod; m != "manual" {
					c.t.Errorf("last login method %q, want manual", m)
				}
			},
		},
		{
			// The keeper goes back to what needed the user before the wait
			// (it never uses CauseManualLoginTimedOut): still NeedsYou, and
			// Log in in the browser still offered.
			name:   "a manual login that never comes: back to what needs the user",
			creds:  &none,
			keeper: func(k *session.KeeperOptions) { k.ManualLoginTimeout = 3 * time.Second },
			act: func(c *catRun) {
				c.waitUntil("no credentials", 20*time.Second, func(st Status) bool { return st.Session.Cause == session.CauseNoCredentials })
				c.r.LoginInBrowser()
				c.waitUntil("the wait", 10*time.Second, func(st Status) bool { return st.Session.State == session.WaitingForManualLogin })
			},
			want: catWant{
				state: session.NeedsManualLogin, cause: session.CauseNoCredentials, needsYou: true,
				offers: []string{"LoginInBrowser"}, logins: 0, simLogins: 0,
				latches: func(l session.Latches) string { return want(l.ManualLoginUntil.IsZero(), "ManualLoginUntil cleared") },
			},
		},
		{
			name: "the 2022 login page",
			sim:  func(o *sim.Options) { o.PageVersion = sim.Page2022 },
			want: catWant{state: session.Authenticated, ready: true, logins: 1, simLogins: 1},
		},
		{
			name: "tickle without a session answers 200: a lost session is still seen", loggedIn: true,
			sim: func(o *sim.Options) { o.NoSessionAs200 = true },
			act: func(c *catRun) {
				c.waitAuthenticated()
				c.fault("expire-sso")
				c.waitLogins(1)
			},
			want: catWant{state: session.Authenticated, ready: true, logins: 1, simLogins: 2},
		},
		{
			name: "the stock gateway's expired certificate: the login browser trusts its key",
			sim:  func(o *sim.Options) { o.ExpiredCert = true },
			want: catWant{state: session.Authenticated, ready: true, logins: 1, simLogins: 1},
		},
	}
}

func want(ok bool, what string) string {
	if ok {
		return ""
	}
	return "want " + what
}

func TestFailureCatalogue(t *testing.T) {
	if testing.Short() {
		t.Skip("drives Chromium against the simulator")
	}
	if _, err := os.Stat(chromium); err != nil {
		if os.Getenv("IBKR_TRAY_REQUIRE_DESKTOP") == "1" {
			t.Fatal("no Chromium at " + chromium)
		}
		t.Skip("no Chromium at " + chromium)
	}
	start := time.Now()
	seen := map[string]bool{}
	// Cases mostly wait (on the simulator's delays and the keeper's
	// intervals), so more run at once than -parallel's CPU count.
	sem := make(chan struct{}, catParallel)
	var wg sync.WaitGroup
	for _, tc := range catalogue() {
		file := caseFile(tc.name)
		if seen[file] {
			t.Fatalf("two cases write %s", file)
		}
		seen[file] = true
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			t.Run(tc.name, func(t *testing.T) { runCase(t, tc) })
		})
	}
	wg.Wait()
	t.Logf("the catalogue took %s", time.Since(start).Round(time.Second))
}

// catWait bounds a wait for what takes a login or two: a Chromium login is
// about 2 s, but 25 s has been seen on a loaded machine under -race.
const catWait = 45 * time.Second

// catParallel is how many cases run at once (each has a gateway, an app
// and at times a Chromium).
const catParallel = 4

// caseFile is the snapshot's file name: the case name up to its colon.
func caseFile(name string) string {
	head, _, _ := strings.Cut(name, ":")
	return strings.Trim(regexp.MustCompile(`[^a-z0-9]+`).ReplaceAllString(strings.ToLower(head), "-"), "-") + ".json"
}

func runCase(t *testing.T, tc catCase) {
	so := sim.DefaultOptions()
	so.Accounts = []sim.Account{{Username: catUser, Password: catPassword, Paper: true}}
	so.Speed = catSpeed
	so.ResetAt = ""
	so.TermDelay = 0
	so.Authenticated = tc.loggedIn
	if tc.sim != nil {
		tc.sim(&so)
	}
	dir, _ := simtest.FreeDist(t, so)

	creds := secrets.Credentials{Username: catUser, Password: catPassword}
	if tc.creds != nil {
		creds = *tc.creds
	}
	c := &catRun{t: t, store: secrets.Memory(creds)}
	cfg := config.Default()
	cfg.GatewayDir = dir
	cfg.StatusAddr = "127.0.0.1:0"
	cfg.Paper = true
	cfg.Browser = chromium
	if tc.config != nil {
		tc.config(&cfg)
	}
	var logs syncBuffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	clock := &jumpClock{}
	r, err := New(Options{
		Config:      cfg,
		Paths:       config.Paths{Profile: "catalogue", StateDir: t.TempDir(), ControlSocket: filepath.Join(shortDir(t), "ibkr-tray", "cat.sock")},
		Logger:      logger,
		Credentials: c.store,
		Gateway: func(g *gateway.Config) {
			g.Env = []string{simtest.ChildEnvVar}
			g.HealthInterval = 100 * time.Millisecond
		},
		Keeper: func(k *session.KeeperOptions) {
			// Calls give up after 2 s (10 s in the app), so that a hang
			// shows as IBKR unreachable within the catalogue's time.
			client, err := session.NewClient(session.ClientOptions{BaseURL: k.Client.BaseURL(), Timeout: catRequestTimeout, Logger: logger})
			if err != nil {
				t.Fatal(err)
			}
			k.Client = client
			k.RequestTimeout = catRequestTimeout
			k.TickleInterval = 1500 * time.Millisecond
			k.StatusPoll = 300 * time.Millisecond
			k.ReauthWait = 3 * time.Second
			k.LoginWait = 4 * time.Second
			k.LoginRetryDelay = 300 * time.Millisecond
			k.MaxBackoff = 3 * time.Second
			k.ManualLoginTimeout = 20 * time.Second
			k.ManualPollInterval = 500 * time.Millisecond
			// Codes of any step: a wrong secret's codes are refused
			// anyway, and a right one is never used twice in a step.
			k.LoginAttempt.Now, k.LoginAttempt.Sleep = clock.Now, clock.Sleep
			k.LoginAttempt.Timeout = 60 * time.Second
			inner := k.BrowserLogin
			if inner == nil {
				inner = login.Run
			}
			k.BrowserLogin = func(ctx context.Context, a login.Attempt) (login.Result, error) {
				c.started.Add(1)
				return inner(ctx, a)
			}
			k.OpenBrowser = c.openBrowser
			if tc.keeper != nil {
				tc.keeper(k)
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	c.r = r
	stop := run(t, r)
	defer func() {
		stop()
		if t.Failed() {
			t.Logf("the app's log:\n%s", logs.tail(60))
		}
	}()
	c.simURL = waitStatus(t, r, "the gateway running", func(st Status) bool { return st.Gateway.State == gateway.Running }).Gateway.URL
	c.simURL = strings.Replace(c.simURL, "localhost", "127.0.0.1", 1)
	go c.record()

	if tc.act != nil {
		tc.act(c)
	}
	within := tc.within
	if within == 0 {
		within = catWait
	}
	w := tc.want
	snap, ok := c.waitMatch(within, func(st Status) bool {
		return st.Session.State == w.state && st.Session.Cause == w.cause && !st.Session.LoginRunning
	})
	if !ok {
		t.Errorf("no %s (cause %q) within %s; last %s (cause %q): %s", w.state, w.cause, within,
			snap.Session.State, snap.Session.Cause, snap.Session.Reason)
	}
	snapAt := time.Now()
	ready := c.readyz()
	if tc.hold > 0 {
		c.quiet(tc.hold)
	}
	c.check(w, snap, ready)
	writeSnapshot(t, caseFile(tc.name), snap, snapAt)
	if tc.then != nil && !t.Failed() {
		tc.then(c)
	}
	if !tc.lockedOnPurpose {
		c.expectNeverLocked()
	} else if n := c.sim().FailedLogins[catUser]; n != 0 {
		t.Errorf("%d failed logins counted against the locked user, want 0", n)
	}
}

// catRun is one case's running app and simulator.
type catRun struct {
	t          *testing.T
	r          *Runner
	simURL     string
	store      secrets.Store
	started    atomic.Int32 // automated logins the keeper started
	opened     atomic.Int32 // the user's browser opened at the login page
	userLogsIn atomic.Bool  // when the browser opens, the user logs in
	hangEnds   time.Time
	flapEnds   time.Time

	mu       sync.Mutex
	timeline []Status
}

func (c *catRun) status() Status { return c.r.Status() }
func (c *catRun) logins() int    { return int(c.started.Load()) }

func (c *catRun) openBrowser(url string) error {
	c.opened.Add(1)
	if c.userLogsIn.Load() {
		// The user logs in in their browser.
		go func() {
			if resp, err := simClient.Post(c.simURL+"/sim/login?user="+catUser, "", nil); err == nil {
				resp.Body.Close()
			}
		}()
	}
	return nil
}

func (c *catRun) setCreds(cr secrets.Credentials) {
	if err := c.store.Set(context.Background(), "catalogue", cr); err != nil {
		c.t.Fatal(err)
	}
}

// fault posts a simulator control (/sim/...).
func (c *catRun) fault(path string) {
	c.t.Helper()
	resp, err := simClient.Post(c.simURL+"/sim/"+path, "", nil)
	if err != nil {
		if path == "crash" {
			return
		}
		c.t.Fatalf("POST /sim/%s: %v", path, err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		c.t.Fatalf("POST /sim/%s: %s", path, resp.Status)
	}
}

// sim is the simulator's state, or the zero State while it does not answer.
func (c *catRun) sim() sim.State {
	var st sim.State
	resp, err := simClient.Get(c.simURL + "/sim/state")
	if err != nil {
		return st
	}
	defer resp.Body.Close()
	json.NewDecoder(resp.Body).Decode(&st)
	return st
}

// record keeps every distinct status the runner publishes.
func (c *catRun) record() {
	ch, unsub := c.r.Subscribe()
	defer unsub()
	for {
		select {
		case <-c.r.Done():
			return
		case <-ch:
			st := c.r.Status()
			c.mu.Lock()
			if n := len(c.timeline); n == 0 || c.timeline[n-1].Session.State != st.Session.State || c.timeline[n-1].Session.Cause != st.Session.Cause || c.timeline[n-1].Session.NeedsYou != st.Session.NeedsYou {
				c.timeline = append(c.timeline, st)
			}
			c.mu.Unlock()
		}
	}
}

// forgetTimeline starts the record of states afresh (from a fault).
func (c *catRun) forgetTimeline() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.timeline = nil
}

func (c *catRun) causesSeen() []session.Cause {
	c.mu.Lock()
	defer c.mu.Unlock()
	var cs []session.Cause
	for _, st := range c.timeline {
		if !slices.Contains(cs, st.Session.Cause) {
			cs = append(cs, st.Session.Cause)
		}
	}
	return cs
}

func (c *catRun) changesTo(cause session.Cause) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for i, st := range c.timeline {
		if st.Session.Cause == cause && (i == 0 || c.timeline[i-1].Session.Cause != cause) {
			n++
		}
	}
	return n
}

func (c *catRun) sawNeedsYou() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.timeline {
		if st.Session.NeedsYou {
			return true
		}
	}
	return false
}

// waitMatch waits for ok, polling too (time-based fields change without a
// wake-up); it returns the last status when it gives up.
func (c *catRun) waitMatch(d time.Duration, ok func(Status) bool) (Status, bool) {
	ch, unsub := c.r.Subscribe()
	defer unsub()
	deadline := time.After(d)
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		st := c.r.Status()
		if ok(st) {
			return st, true
		}
		select {
		case <-ch:
		case <-tick.C:
		case <-deadline:
			return c.r.Status(), false
		}
	}
}

func (c *catRun) waitUntil(what string, d time.Duration, ok func(Status) bool) {
	c.t.Helper()
	if st, done := c.waitMatch(d, ok); !done {
		c.t.Fatalf("waited %s for %s; session %s (cause %q): %s", d, what, st.Session.State, st.Session.Cause, st.Session.Reason)
	}
}

func (c *catRun) waitAuthenticated() {
	c.t.Helper()
	c.waitUntil("Authenticated", catWait, func(st Status) bool { return st.Session.State == session.Authenticated })
}

// waitFresh waits until the session is Authenticated with a good check
// after since, within d of since.
func (c *catRun) waitFresh(what string, since time.Time, d time.Duration) {
	c.t.Helper()
	c.waitUntil(what, time.Until(since.Add(d)), func(st Status) bool {
		return st.Session.State == session.Authenticated && st.Session.LastGoodCheck.After(since)
	})
}

func (c *catRun) waitLogins(n int) {
	c.t.Helper()
	c.waitUntil(fmt.Sprintf("%d automated logins", n), catWait, func(Status) bool { return c.logins() >= n })
}

func (c *catRun) waitHits(hit string, n int) {
	c.t.Helper()
	c.waitUntil(fmt.Sprintf("%d× %s at the simulator", n, hit), 20*time.Second, func(Status) bool { return c.sim().Hits[hit] >= n })
}

// quiet watches for d that nothing more happens (it is the observation,
// not a synchronisation: the test asserts on what d brought).
func (c *catRun) quiet(d time.Duration) {
	<-time.After(d)
}

func (c *catRun) expectLogins(n int) {
	c.t.Helper()
	if got := c.logins(); got != n {
		c.t.Errorf("%d automated logins, want %d", got, n)
	}
}

func (c *catRun) expectRestarts(n int) {
	c.t.Helper()
	if got := c.status().Gateway.Restarts; got != n {
		c.t.Errorf("%d gateway restarts, want %d", got, n)
	}
}

func (c *catRun) expectNeverLocked() {
	c.t.Helper()
	st := c.sim()
	for _, u := range st.LockedUsers {
		c.t.Errorf("the simulator locked %s (failed logins %v)", u, st.FailedLogins)
	}
}

// readyz is GET /readyz's status.
func (c *catRun) readyz() int {
	resp, err := http.Get("http://" + c.r.Addr() + "/readyz")
	if err != nil {
		c.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func (c *catRun) check(w catWant, snap Status, ready int) {
	t := c.t
	t.Helper()
	s := snap.Session
	if s.NeedsYou != w.needsYou {
		t.Errorf("NeedsYou %v, want %v", s.NeedsYou, w.needsYou)
	}
	for _, word := range w.reason {
		if !strings.Contains(strings.ToLower(s.Reason), strings.ToLower(word)) {
			t.Errorf("the reason %q lacks %q", s.Reason, word)
		}
	}
	offers := offerMap(s.Offers)
	for _, o := range w.offers {
		if !offers[o] {
			t.Errorf("Offers.%s not set: %+v", o, s.Offers)
		}
	}
	for _, o := range w.notOffers {
		if offers[o] {
			t.Errorf("Offers.%s set: %+v", o, s.Offers)
		}
	}
	if w.latches != nil {
		if msg := w.latches(s.Latches); msg != "" {
			t.Errorf("latches %+v: %s", s.Latches, msg)
		}
	}
	if wantReady := w.ready; (ready == http.StatusOK) != wantReady {
		t.Errorf("/readyz %d, want ready %v", ready, wantReady)
	}
	if w.ready && !s.Ready(time.Now()) {
		t.Errorf("Status.Ready false while /readyz should say 200 (ReadyUntil %v)", s.ReadyUntil)
	}
	switch {
	case w.maxLogins > 0:
		if n := c.logins(); n > w.maxLogins {
			t.Errorf("%d automated logins, want at most %d", n, w.maxLogins)
		}
	case w.logins >= 0:
		c.expectLogins(w.logins)
	}
	st := c.sim()
	if w.simLogins >= 0 && st.Logins != w.simLogins {
		t.Errorf("the simulator saw %d successful logins, want %d", st.Logins, w.simLogins)
	}
	if got := c.status().Gateway.Restarts; got != w.restarts {
		t.Errorf("%d gateway restarts, want %d", got, w.restarts)
	}
}

func offerMap(o session.Offers) map[string]bool {
	return map[string]bool{
		"Login": o.Login, "LoginInBrowser": o.LoginInBrowser, "Retry": o.Retry,
		"OpenSettings": o.OpenSettings, "CancelLogin": o.CancelLogin, "TakeBack": o.TakeBack,
	}
}

// writeSnapshot compares the case's status with ui/testdata/catalogue/file
// (or rewrites it with -update). Times become offsets from a fixed moment,
// to 10 s, and ports, pids and folders are blanked, so the file changes
// only when what a user sees changes.
func writeSnapshot(t *testing.T, file string, st Status, at time.Time) {
	t.Helper()
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	g := v.(map[string]any)["gateway"].(map[string]any)
	for _, k := range []string{"pid", "port", "dir", "url", "lastLines", "lastExit"} {
		delete(g, k)
	}
	v = normalise(v, at, portIn(st.Gateway.URL))
	out, _ := json.MarshalIndent(v, "", "  ")
	out = append(out, '\n')
	path := filepath.Join("..", "testdata", "catalogue", file)
	if *updateCatalogue {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, out, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	old, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		t.Errorf("no snapshot %s; run the catalogue with -update", path)
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if a, b := whatUsersSee(t, old), whatUsersSee(t, out); a != b {
		t.Errorf("what a user sees differs from %s (run with -update if that is meant):\nwas  %s\nnow  %s", path, a, b)
	}
}

// whatUsersSee is the part of a snapshot the tray menu, the popup and the
// notifier read: states, cause, reason, NeedsYou, offers and latches
// (without their times). Counters and times vary from run to run.
func whatUsersSee(t *testing.T, b []byte) string {
	t.Helper()
	var v struct {
		Gateway struct {
			State string `json:"state"`
		} `json:"gateway"`
		Session struct {
			State    string         `json:"state"`
			Cause    string         `json:"cause"`
			Reason   string         `json:"reason"`
			NeedsYou bool           `json:"needsYou"`
			Offers   map[string]any `json:"offers"`
			Latches  map[string]any `json:"latches"`
		} `json:"session"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("a snapshot is not JSON: %v", err)
	}
	// Which step brought the session back ("restored by browser") depends on
	// timing under load: a slow brokerage session may be found by the next
	// check instead. The case's login counts say what ran.
	v.Session.Reason = restoredBy.ReplaceAllString(v.Session.Reason, "")
	for k, x := range v.Session.Latches {
		if s, ok := x.(string); ok && timeField.MatchString(`"`+s+`"`) {
			v.Session.Latches[k] = "(a time)"
		}
	}
	out, _ := json.Marshal(v)
	return string(out)
}

var (
	catEpoch   = time.Date(2026, 1, 5, 12, 0, 0, 0, time.UTC)
	timeField  = regexp.MustCompile(`"\d{4}-\d\d-\d\dT[^"]*"`)
	restoredBy = regexp.MustCompile(` \(restored by [^)]*\)`)
)

func portIn(url string) string {
	i := strings.LastIndex(url, ":")
	if i < 0 {
		return ""
	}
	return url[i+1:]
}

func normalise(v any, at time.Time, port string) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = normalise(e, at, port)
		}
	case []any:
		for i, e := range x {
			x[i] = normalise(e, at, port)
		}
	case string:
		if t, err := time.Parse(time.RFC3339Nano, x); err == nil && len(x) >= 20 {
			return catEpoch.Add(t.Sub(at).Round(10 * time.Second)).Format(time.RFC3339)
		}
		if port != "" {
			x = strings.ReplaceAll(x, ":"+port, ":PORT")
		}
		return x
	}
	return v
}

// jumpClock is a login clock whose waits pass at once.
type jumpClock struct{ off atomic.Int64 }

func (c *jumpClock) Now() time.Time { return time.Now().Add(time.Duration(c.off.Load())) }

func (c *jumpClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.off.Add(int64(d))
	return nil
}

// syncBuffer is a log buffer safe from many goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) tail(lines int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	all := strings.Split(s.b.String(), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}
