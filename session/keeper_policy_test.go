package session

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ibkr-tray/ibkr-tray/session/login"
	"github.com/ibkr-tray/ibkr-tray/session/secrets"
)

// Issue 8's defects, each against the keeper with the fake gateway in a
// synctest bubble. Each failed before the policy (see the commit).

func (h *harness) expectStatus(what string, check func(s Status) bool) {
	h.t.Helper()
	if s := h.k.Status(); !check(s) {
		h.t.Errorf("%s: state %v cause %q needsYou %v offers %+v latches %+v reason %q",
			what, s.State, s.Cause, s.NeedsYou, s.Offers, s.Latches, s.Reason)
	}
}

func (h *harness) openedCount() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.opened)
}

func policyTest(t *testing.T, gw func() *fakeGateway, script []error, opts func(o *KeeperOptions), run func(h *harness)) {
	t.Helper()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, gw(), script, opts)
		h.t = t
		run(h)
	})
}

// Defect 1: one tray click sent ResetLoginCap then Login; the reset wiped
// the counts and started a login, Login another, and a refused code was
// retried inside: 3 in a row became 5 or 6.
func TestRetryAfterTheCapIsExactlyOneAttempt(t *testing.T) {
	refused := []error{loginErr(login.BadCode, 100), loginErr(login.BadCode, 101), loginErr(login.BadCode, 102),
		loginErr(login.BadCode, 103), loginErr(login.BadCode, 104), loginErr(login.BadCode, 105)}
	policyTest(t, newFakeGateway, refused, nil, func(h *harness) {
		h.waitState(LoginLocked, 10*time.Minute)
		h.expectLogins(3)
		h.expectStatus("the in-row cap", func(s Status) bool {
			return s.Cause == CauseCapInRow && s.NeedsYou && s.Offers.Retry && s.Offers.LoginInBrowser &&
				s.Latches.CapTripped == CauseCapInRow && strings.Contains(s.Latches.CapLastFailure, "security code") &&
				!strings.Contains(s.Reason, "reset the login counter")
		})
		// What the tray did on one click.
		h.k.ResetLoginCap()
		h.k.Login()
		h.waitFor("the retry's attempt", 10*time.Second, func(Status) bool { return h.lg.count() == 4 })
		h.idle(time.Hour)
		h.expectLogins(4) // one attempt, no second code inside it, no second login
		h.expectStatus("the cap again", func(s Status) bool {
			return s.State != LoggingIn && s.FailedLoginsToday == 4 && s.FailedLoginsInRow == 3
		})
	})
}

func TestRetryIsRefusedOnceTheDaysCapIsReached(t *testing.T) {
	policyTest(t, newFakeGateway, []error{loginErr(login.Timeout, 0)}, func(o *KeeperOptions) {
		o.MaxFailedInRow, o.MaxFailedPerDay = 1, 2
	}, func(h *harness) {
		h.waitState(LoginLocked, 10*time.Second)
		h.k.RetryLogin()
		h.waitFor("the retry", 10*time.Second, func(Status) bool { return h.lg.count() == 2 })
		h.waitFor("the day's cap", 10*time.Second, func(s Status) bool { return s.Cause == CauseCapPerDay })
		h.expectStatus("only the browser", func(s Status) bool {
			return !s.Offers.Retry && s.Offers.LoginInBrowser && s.FailedLoginsToday == 2
		})
		h.k.RetryLogin()
		h.idle(time.Hour)
		h.expectLogins(2)
		h.expectStatus("the count kept", func(s Status) bool { return s.FailedLoginsToday == 2 && s.Cause == CauseCapPerDay })
	})
}

// Defect 2: after "IBKR rejected the username or password", Log in (the
// popup's action), /login and the CLI sent the same credentials again.
func TestARejectedPasswordIsNotSentAgain(t *testing.T) {
	store := secrets.Memory(secrets.Credentials{Username: "demo", Password: "wrong", TOTPSecret: demoCreds.TOTPSecret})
	policyTest(t, newFakeGateway, []error{loginErr(login.BadCredentials, 0), nil}, func(o *KeeperOptions) {
		o.Credentials = store
	}, func(h *harness) {
		h.waitState(NeedsManualLogin, 5*time.Second)
		h.expectStatus("the rejection", func(s Status) bool {
			return s.Cause == CauseBadCredentials && s.Latches.CredentialsRejected == CauseBadCredentials &&
				s.NeedsYou && s.Offers.OpenSettings && s.Offers.LoginInBrowser && !s.Offers.Login && !s.Offers.Retry
		})
		h.k.RetryLogin()
		h.k.CheckNow()
		h.idle(time.Minute)
		h.expectLogins(1)
		h.k.Login() // the browser login instead
		h.waitState(WaitingForManualLogin, 5*time.Second)
		h.k.CancelLogin()
		h.waitState(NeedsManualLogin, 5*time.Second)
		h.idle(time.Hour)
		h.expectLogins(1)
		if h.openedCount() != 1 {
			t.Errorf("browser opened %d times, want once (for Log in)", h.openedCount())
		}
		// The user corrects the password (secrets set): tried by itself.
		if err := store.Set(context.Background(), "", demoCreds); err != nil {
			t.Fatal(err)
		}
		h.waitState(Authenticated, 10*time.Second)
		h.expectLogins(2)
		h.expectStatus("cleared", func(s Status) bool { return s.Latches.CredentialsRejected == "" })
	})
}

func TestCredentialsChangedStartsOneAttempt(t *testing.T) {
	policyTest(t, newFakeGateway, []error{loginErr(login.UserLocked, 0), nil}, nil, func(h *harness) {
		h.waitState(NeedsManualLogin, 5*time.Second)
		h.expectStatus("locked user", func(s Status) bool { return s.Cause == CauseUserLocked })
		h.idle(time.Hour)
		h.expectLogins(1)
		h.k.CredentialsChanged()
		h.waitState(Authenticated, 10*time.Second)
		h.expectLogins(2)
	})
}

// Defect 3: a deliberate logout raised "IBKR login needed".
func TestLogoutIsLoggedOutNotLost(t *testing.T) {
	policyTest(t, func() *fakeGateway { return newFakeGateway().loggedIn() }, nil, nil, func(h *harness) {
		h.waitState(Authenticated, time.Second)
		h.k.Logout()
		h.waitState(LoggedOut, 5*time.Second)
		h.idle(10 * time.Minute)
		h.expectStatus("logged out", func(s Status) bool {
			return s.State == LoggedOut && s.Cause == CauseLoggedOut && !s.NeedsYou && s.Offers.Login &&
				s.Latches.LoggedOutByUser && !s.Ready(time.Now())
		})
		h.expectLogins(0)
	})
}

// Defect 4: with IBKR answering 503 the status stayed Authenticated (and
// /readyz 200) for minutes, and Connecting at start-up.
func TestRepeated5xxIsAStateWithin30Seconds(t *testing.T) {
	policyTest(t, func() *fakeGateway { return newFakeGateway().loggedIn() }, nil, nil, func(h *harness) {
		h.waitState(Authenticated, time.Second)
		if !h.k.Status().Ready(time.Now()) {
			t.Errorf("not ready right after a good check")
		}
		h.gw.set(func(f *fakeGateway) { f.status = 503 })
		start := time.Now()
		h.waitFor("not ready", 20*time.Second, func(s Status) bool { return !s.Ready(time.Now()) })
		h.waitFor("IBKRErrors", 30*time.Second, func(s Status) bool { return s.State == IBKRErrors && s.Cause == CauseIBKRErrors })
		if took := time.Since(start); took > 30*time.Second {
			t.Errorf("IBKRErrors after %v, want within 30 s", took)
		}
		h.expectStatus("no one needed", func(s Status) bool { return !s.NeedsYou && s.ErrorsInRow >= 3 })
		h.idle(10 * time.Minute)
		h.expectLogins(0)
		h.gw.set(func(f *fakeGateway) { f.status = 0 })
		took := h.waitState(Authenticated, 20*time.Second)
		if took > 10*time.Second {
			t.Errorf("the end of the 503s noticed after %v, want within 10 s (back-off cap)", took)
		}
		h.expectStatus("ready again", func(s Status) bool { return s.Ready(time.Now()) && s.ErrorsInRow == 0 })
	})
}

func TestRepeated5xxAtStartUpIsNotConnecting(t *testing.T) {
	policyTest(t, func() *fakeGateway { f := newFakeGateway().loggedIn(); f.status = 503; return f }, nil, nil, func(h *harness) {
		h.waitFor("IBKRErrors", 30*time.Second, func(s Status) bool { return s.State == IBKRErrors })
		h.expectLogins(0)
	})
}

// Defect 5: an outage's end was noticed up to 130 s late (2 min back-off
// plus a 10 s timeout). A weekend of it: no login, no restart.
func TestAWeekendOutageEndsWithin20Seconds(t *testing.T) {
	var restarts atomic.Int32
	policyTest(t, func() *fakeGateway { f := newFakeGateway().loggedIn(); f.hangFor = DefaultTimeout; return f }, nil,
		func(o *KeeperOptions) { o.RestartGateway = func() { restarts.Add(1) } },
		func(h *harness) {
			h.waitState(Authenticated, time.Second)
			h.gw.set(func(f *fakeGateway) { f.hang = true })
			h.waitState(IBKRUnreachable, time.Minute)
			h.idle(60 * time.Hour)
			h.gw.set(func(f *fakeGateway) { f.hang = false })
			took := h.waitState(Authenticated, time.Minute)
			if took > 20*time.Second {
				t.Errorf("the end of the outage noticed after %v, want within 20 s", took)
			}
			h.expectLogins(0)
			h.expectCalls(map[string]int{"reauthenticate": 0, "logout": 0})
			if n := restarts.Load(); n != 0 {
				t.Errorf("%d gateway restarts for an outage, want none", n)
			}
		})
}

// Defect 6: waiting for a manual login trapped the user: nothing to
// cancel it, the icon "working", the text pointing at a control that
// does not exist.
func TestTheManualLoginWaitCanBeCancelled(t *testing.T) {
	policyTest(t, newFakeGateway, nil, func(o *KeeperOptions) { o.Credentials = nil }, func(h *harness) {
		h.waitState(NeedsManualLogin, 5*time.Second)
		h.k.Login()
		h.waitState(WaitingForManualLogin, 5*time.Second)
		h.expectStatus("waiting", func(s Status) bool {
			return s.NeedsYou && s.Offers.CancelLogin && s.Offers.LoginInBrowser && !s.Latches.ManualLoginUntil.IsZero() &&
				!strings.Contains(s.Reason, "reset the login counter") && strings.Contains(s.Reason, "https://localhost:5000/")
		})
		h.k.CancelLogin()
		took := h.waitState(NeedsManualLogin, 5*time.Minute)
		if took > 5*time.Second {
			t.Errorf("the wait ended %v after Cancel, want at once", took)
		}
		h.expectStatus("back", func(s Status) bool { return s.Cause == CauseNoCredentials && s.Latches.ManualLoginUntil.IsZero() })
		// Log in in the browser, then the gateway restarts: the wait ends.
		h.k.LoginInBrowser()
		h.waitState(WaitingForManualLogin, 5*time.Second)
		h.k.GatewayChanged(GatewayFacts{Starting: true})
		h.waitFor("the restart cancels the wait", 5*time.Second, func(s Status) bool {
			return s.State != WaitingForManualLogin && s.Cause == CauseStarting
		})
		h.expectStatus("no wait", func(s Status) bool { return s.Latches.ManualLoginUntil.IsZero() })
	})
}

func TestCancelFromLoggedOutReturnsToLoggedOut(t *testing.T) {
	policyTest(t, func() *fakeGateway { return newFakeGateway().loggedIn() }, nil, nil, func(h *harness) {
		h.waitState(Authenticated, time.Second)
		h.k.Logout()
		h.waitState(LoggedOut, 5*time.Second)
		h.k.LoginInBrowser()
		h.waitState(WaitingForManualLogin, 5*time.Second)
		h.k.CancelLogin()
		h.waitState(LoggedOut, 5*time.Second)
		h.idle(time.Hour)
		h.expectLogins(0)
	})
}

// The session's reason never contradicts the supervisor's.
func TestTheGatewaysWordIsTheSessionsReason(t *testing.T) {
	policyTest(t, func() *fakeGateway { f := newFakeGateway(); f.down = true; return f }, nil, nil, func(h *harness) {
		h.k.GatewayChanged(GatewayFacts{Starting: true})
		h.waitFor("starting", 5*time.Second, func(s Status) bool { return s.Cause == CauseStarting })
		h.idle(30 * time.Second)
		h.expectStatus("still starting", func(s Status) bool {
			return s.State == Connecting && s.Reason == "waiting for the gateway to start" && !strings.Contains(s.Reason, "start it")
		})
		problem := "port 5000 is in use by another program, not a gateway; choose another port in the settings"
		h.k.GatewayChanged(GatewayFacts{Problem: problem})
		h.waitFor("the problem", 5*time.Second, func(s Status) bool { return s.Cause == CauseGatewayProblem })
		h.idle(30 * time.Second)
		h.expectStatus("the supervisor's words", func(s Status) bool {
			return s.Reason == problem && s.NeedsYou && !strings.Contains(s.Reason, "nossl")
		})
		h.gw.set(func(f *fakeGateway) { f.down = false; f.sso, f.brokerage = true, true })
		h.k.GatewayChanged(GatewayFacts{Up: true, BaseURL: "https://localhost:5001"})
		h.waitState(Authenticated, 5*time.Second)
		if u := h.gw.BaseURL(); u != "https://localhost:5001" {
			t.Errorf("the client did not follow the gateway: %s", u)
		}
	})
}

func TestCompetingTextNamesTheSetting(t *testing.T) {
	policyTest(t, func() *fakeGateway { return newFakeGateway().loggedIn() }, nil, nil, func(h *harness) {
		h.waitState(Authenticated, time.Second)
		h.gw.set(func(f *fakeGateway) { f.competing = true })
		h.waitState(Competing, 10*time.Second)
		h.expectReason(`"Take the session back"`)
		h.expectStatus("offers", func(s Status) bool { return s.Offers.TakeBack && !strings.Contains(s.Reason, `"compete"`) })
		h.k.Reconfigure(Settings{TakeBackCompeting: true})
		h.waitState(Authenticated, 10*time.Second)
		h.expectCalls(map[string]int{"ssodh/init compete": 1})
	})
}

// The field failure: logins succeed, the brokerage session never opens.
// Each remedy once, cheapest first, at most 4 logins, then none.
func TestABrokerageSessionThatNeverOpensClimbsTheRemediesOnce(t *testing.T) {
	var restarts atomic.Int32
	var gw *fakeGateway
	policyTest(t, func() *fakeGateway { gw = newFakeGateway(); gw.refuseBrokerage = true; return gw }, nil,
		func(o *KeeperOptions) {
			o.RestartGateway = func() {
				restarts.Add(1)
				gw.set(func(f *fakeGateway) { f.sso, f.brokerage = false, false }) // a new process: no session
			}
		},
		func(h *harness) {
			h.waitFor("brokerage refused", 20*time.Minute, func(s Status) bool { return s.Cause == CauseBrokerageRefused })
			h.idle(2 * time.Hour)
			if n := h.lg.count(); n < 3 || n > 4 {
				t.Errorf("%d logins, want 3 (first, fresh, after the restart) and never more than 4", n)
			}
			if n := restarts.Load(); n != 1 {
				t.Errorf("%d gateway restarts, want exactly 1", n)
			}
			if n := h.gw.count("ssodh/init compete"); n < 1 {
				t.Errorf("ssodh/init with compete was not tried")
			}
			h.expectStatus("stopped", func(s Status) bool {
				return s.State == NeedsManualLogin && s.Latches.BrokerageRefused && s.NeedsYou &&
					s.Offers.LoginInBrowser && strings.Contains(s.Reason, "another session of this username") &&
					strings.Contains(s.Reason, "maintenance") && s.FailedLoginsToday == 3
			})
			// A person acts: Retry is one more login, and the ladder ends again.
			h.k.RetryLogin()
			h.waitFor("the retry", time.Minute, func(Status) bool { return h.lg.count() == 4 })
			h.waitFor("stopped again", 5*time.Minute, func(s Status) bool { return s.Latches.BrokerageRefused })
			h.idle(2 * time.Hour)
			h.expectLogins(4)
			if n := restarts.Load(); n != 1 {
				t.Errorf("%d gateway restarts after Retry, want still 1", n)
			}
		})
}

func TestALateBrokerageSessionIsWaitedFor(t *testing.T) {
	policyTest(t, func() *fakeGateway { f := newFakeGateway(); f.brokerageLate = 30 * time.Second; return f }, nil, nil,
		func(h *harness) {
			h.waitFor("waiting for the brokerage session", 10*time.Second, func(s Status) bool { return s.Cause == CauseBrokerageLate })
			h.waitState(Authenticated, 2*time.Minute)
			h.expectLogins(1)
			h.expectStatus("counted a success", func(s Status) bool { return s.FailedLoginsInRow == 0 && s.FailedLoginsToday == 0 })
		})
}

func TestBrokerageWaitIsASetting(t *testing.T) {
	policyTest(t, func() *fakeGateway { f := newFakeGateway(); f.brokerageLate = 90 * time.Second; return f }, nil, nil,
		func(h *harness) {
			h.k.Reconfigure(Settings{BrokerageWait: 2 * time.Minute})
			h.waitState(Authenticated, 3*time.Minute)
			h.expectLogins(1)
			// Waited out in one go: no remedy ran for a session that was
			// only late.
			h.expectCalls(map[string]int{"reauthenticate": 0, "ssodh/init compete": 0, "logout": 0})
		})
}

func TestValidateFalseKeepsAnAuthenticatedSession(t *testing.T) {
	policyTest(t, func() *fakeGateway { f := newFakeGateway().loggedIn(); f.validateFalse = true; return f }, nil, nil,
		func(h *harness) {
			h.waitState(Authenticated, time.Second)
			h.idle(5 * time.Minute)
			h.expectStatus("still authenticated", func(s Status) bool { return s.State == Authenticated })
			h.expectLogins(0)
			h.expectCalls(map[string]int{"logout": 0, "reauthenticate": 0})
		})
}

// The rejection outlives a restart of the app, and so does the means to see
// that the credentials changed meanwhile; the state file holds neither the
// password nor anything it could be read back from.
func TestARejectionSurvivesARestartAndSeesNewCredentials(t *testing.T) {
	path := filepath.Join(t.TempDir(), "session-state.json")
	wrong := secrets.Credentials{Username: "demo", Password: "wrong-password-1", TOTPSecret: demoCreds.TOTPSecret}
	run := func(creds secrets.Credentials, script []error, check func(h *harness)) {
		synctest.Test(t, func(t *testing.T) {
			h := newHarness(t, newFakeGateway(), script, func(o *KeeperOptions) {
				o.StateFile = path
				o.Credentials = secrets.Memory(creds)
			})
			h.t = t
			check(h)
		})
	}
	run(wrong, []error{loginErr(login.BadCredentials, 0)}, func(h *harness) {
		h.waitFor("the rejection", 5*time.Second, func(s Status) bool { return s.Cause == CauseBadCredentials })
	})
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), wrong.Password) || strings.Contains(string(b), wrong.TOTPSecret) {
		t.Fatalf("the state file holds a secret: %s", b)
	}
	run(wrong, nil, func(h *harness) {
		h.waitFor("still rejected after a restart", 5*time.Second, func(s Status) bool { return s.Cause == CauseBadCredentials })
		h.idle(time.Hour)
		h.expectLogins(0)
	})
	run(demoCreds, nil, func(h *harness) { // changed while the app was not running
		h.waitState(Authenticated, 10*time.Second)
		h.expectLogins(1)
	})
}

func TestReconfigureAppliesTheCapsAtOnce(t *testing.T) {
	policyTest(t, func() *fakeGateway { return newFakeGateway().loggedIn() }, []error{loginErr(login.Timeout, 0)}, nil,
		func(h *harness) {
			h.waitState(Authenticated, time.Second)
			h.k.Reconfigure(Settings{MaxFailedInRow: 1, MaxFailedPerDay: 5})
			h.gw.set(func(f *fakeGateway) { f.sso, f.brokerage = false, false })
			h.waitState(LoginLocked, time.Minute)
			h.idle(time.Hour)
			h.expectLogins(1)
			h.expectStatus("the new cap", func(s Status) bool { return s.Cause == CauseCapInRow && s.FailedLoginsInRow == 1 })
		})
}

// A session that ended keeps no SSO expiry: `ibkr-tray status` said "SSO
// expires in 23 hours" after IBKR had ended the login.
func TestAnEndedSessionHasNoSSOExpiry(t *testing.T) {
	policyTest(t, func() *fakeGateway { return newFakeGateway().loggedIn() }, []error{loginErr(login.BadCredentials, 0)}, nil, func(h *harness) {
		h.waitState(Authenticated, time.Second)
		h.expectStatus("an expiry while logged in", func(s Status) bool { return !s.SSOExpires.IsZero() })
		h.gw.set(func(f *fakeGateway) { f.sso, f.brokerage = false, false })
		h.waitFor("the rejected login", time.Minute, func(s Status) bool { return s.Cause == CauseBadCredentials })
		h.expectStatus("no expiry once the login is gone", func(s Status) bool { return s.SSOExpires.IsZero() })
	})
}
