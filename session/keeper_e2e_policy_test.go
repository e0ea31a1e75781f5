package session

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/ibkr-tray/ibkr-tray/gateway/sim"
	"github.com/ibkr-tray/ibkr-tray/session/secrets"
)

// Issue 8 against the simulator over HTTPS, with browser logins in
// Chromium: the defects a user met, and the failures from the field. The
// simulator's counters show how many logins IBKR saw, and that it never
// locked the user.

// watchNeedsYou records whether the status ever asked for a person.
func (e *e2e) watchNeedsYou(t *testing.T) *atomic.Bool {
	var seen atomic.Bool
	ch, stop := e.k.Subscribe()
	t.Cleanup(stop)
	go func() {
		for range ch {
			if e.k.Status().NeedsYou {
				seen.Store(true)
			}
		}
	}()
	return &seen
}

func TestKeeperPolicyAgainstSimulator(t *testing.T) {
	// The restart remedy reaches the simulator through the test: a new
	// gateway process has no session, so the SSO login ends.
	var restartSim atomic.Pointer[sim.Server]
	var restarts, outageRestarts atomic.Int32
	cases := []struct {
		name  string
		sim   func(o *sim.Options)
		store secrets.Store
		opts  func(o *KeeperOptions)
		run   func(t *testing.T, e *e2e)
	}{
		{
			name:  "defect 1: Retry after the cap is one login at IBKR, never a wiped count",
			store: secrets.Memory(secrets.Credentials{Username: "demo", Password: "demo", TOTPSecret: "JBSWY3DPEHPK3PXP"}),
			run: func(t *testing.T, e *e2e) {
				e.waitState(LoginLocked, 60*time.Second)
				e.expectFailedLogins("demo", 3)
				// What the tray sent on one click.
				e.k.ResetLoginCap()
				e.k.Login()
				e.waitFor("the one attempt", 30*time.Second, func(Status) bool { return len(e.logins()) == 4 })
				e.waitFor("the cap again", 30*time.Second, func(s Status) bool { return s.State != LoggingIn && s.Cause == CauseCapInRow })
				e.settle(2 * time.Second)
				e.expectLogins(4)
				e.expectFailedLogins("demo", 4)
				if s := e.k.Status(); s.FailedLoginsToday != 4 {
					t.Errorf("the day's count is %d, want 4 (never wiped)", s.FailedLoginsToday)
				}
			},
		},
		{
			name:  "defect 2: a rejected password is sent once, whatever is asked",
			store: secrets.Memory(secrets.Credentials{Username: "demo", Password: "wrong", TOTPSecret: sim.DemoTOTPSecret}),
			run: func(t *testing.T, e *e2e) {
				e.waitFor("the rejection", 30*time.Second, func(s Status) bool { return s.Cause == CauseBadCredentials })
				e.k.Login()
				e.waitState(WaitingForManualLogin, 5*time.Second)
				e.k.RetryLogin()
				e.k.CancelLogin()
				e.waitFor("back to the rejection", 10*time.Second, func(s Status) bool {
					return s.State == NeedsManualLogin && s.Cause == CauseBadCredentials
				})
				e.k.CheckNow()
				e.settle(2 * time.Second)
				e.expectLogins(1)
				e.expectFailedLogins("demo", 1)
				if s := e.k.Status(); !s.Offers.OpenSettings || !s.Offers.LoginInBrowser || s.Offers.Login || s.Offers.Retry {
					t.Errorf("offers after the rejection: %+v", s.Offers)
				}
			},
		},
		{
			name: "defect 4: 503s are IBKRErrors within 30 s and not ready, then recovered",
			sim:  loggedIn, store: secrets.Memory(liveCreds),
			run: func(t *testing.T, e *e2e) {
				e.waitState(Authenticated, 10*time.Second)
				start := time.Now()
				e.sim.Fail(503, 20*time.Second)
				e.waitFor("IBKRErrors", 30*time.Second, func(s Status) bool { return s.State == IBKRErrors })
				if took := time.Since(start); took > 30*time.Second {
					t.Errorf("IBKRErrors after %v", took)
				}
				if s := e.k.Status(); s.Ready(time.Now()) || s.NeedsYou {
					t.Errorf("ready %v, needsYou %v during 503s", s.Ready(time.Now()), s.NeedsYou)
				}
				e.waitFor("recovered", 40*time.Second, func(s Status) bool { return s.Ready(time.Now()) })
				e.expectLogins(0)
				e.expectHits(map[string]int{hitLogout: 0, hitReauth: 0})
			},
		},
		{
			name: "defect 5: the end of a hang is noticed within 20 s, with no login and no restart",
			sim:  loggedIn, store: secrets.Memory(liveCreds),
			opts: func(o *KeeperOptions) {
				o.MaxBackoff = 0 // the default: 20 s less the call timeout
				o.RequestTimeout = 2 * time.Second
				o.RestartGateway = func() { outageRestarts.Add(1) }
			},
			run: outageEnds(30*time.Second, "the hang over", 40*time.Second, &outageRestarts),
		},
		{
			name: "a weekend-length hang (48 h at speed 7200): no login, no restart, the end seen within 20 s",
			sim: func(o *sim.Options) {
				o.Authenticated = true
				o.Speed = 7200
				o.BrokerageTimeout, o.SSOLifetime = 100000*time.Hour, 100000*time.Hour
				o.RateLimits = false // their windows are simulated time too
			},
			store: secrets.Memory(liveCreds),
			opts: func(o *KeeperOptions) {
				o.MaxBackoff = 0
				o.RequestTimeout = 2 * time.Second
				o.RestartGateway = func() { outageRestarts.Add(1) }
			},
			run: outageEnds(48*time.Hour, "the weekend over", 60*time.Second, &outageRestarts),
		},
		{
			name: "503 flapping: no login, nothing asks for a person",
			sim:  loggedIn, store: secrets.Memory(liveCreds),
			run: func(t *testing.T, e *e2e) {
				e.waitState(Authenticated, 10*time.Second)
				needsYou := e.watchNeedsYou(t)
				e.sim.Flap503(4*time.Second, 4*time.Second, 24*time.Second)
				e.settle(26 * time.Second)
				e.waitFor("recovered", 20*time.Second, func(s Status) bool { return s.Ready(time.Now()) })
				if needsYou.Load() {
					t.Errorf("503 flapping asked for a person")
				}
				e.expectLogins(0)
				e.expectHits(map[string]int{hitLogout: 0, hitReauth: 0})
			},
		},
		{
			name:  "refuse-brokerage: each remedy once, at most 4 logins, then a sentence and none",
			store: secrets.Memory(liveCreds),
			opts: func(o *KeeperOptions) {
				o.LoginWait, o.ReauthWait = 3*time.Second, 3*time.Second
				o.StatusPoll = 500 * time.Millisecond // the default: long waits stay within IBKR's 10 a second
			},
			run: func(t *testing.T, e *e2e) {
				e.sim.RefuseBrokerage(0)
				e.waitFor("brokerage refused", 120*time.Second, func(s Status) bool { return s.Cause == CauseBrokerageRefused })
				e.settle(3 * time.Second)
				st := e.sim.State()
				if st.Logins < 2 || st.Logins > 4 || st.RefusedLogins != st.Logins {
					t.Errorf("the simulator saw %d logins (%d refused), want 2 to 4, all refused", st.Logins, st.RefusedLogins)
				}
				if n := e.hits(hitInit); n < 1 {
					t.Errorf("ssodh/init was not tried")
				}
				e.expectFailedLogins("demo", 0)
				s := e.k.Status()
				if !s.Latches.BrokerageRefused || !s.NeedsYou || !s.Offers.LoginInBrowser {
					t.Errorf("after the remedies: latches %+v needsYou %v offers %+v", s.Latches, s.NeedsYou, s.Offers)
				}
				e.expectReason("another session of this username", "maintenance")
			},
		},
		{
			name:  "refuse-brokerage with a gateway restart as the third remedy",
			store: secrets.Memory(liveCreds),
			opts: func(o *KeeperOptions) {
				o.LoginWait, o.ReauthWait = 3*time.Second, 3*time.Second
				o.StatusPoll = 500 * time.Millisecond // the default: long waits stay within IBKR's 10 a second
				o.RestartGateway = func() { restarts.Add(1); restartSim.Load().ExpireSSO() }
			},
			run: func(t *testing.T, e *e2e) {
				restartSim.Store(e.sim)
				e.sim.RefuseBrokerage(0)
				e.waitFor("brokerage refused", 150*time.Second, func(s Status) bool { return s.Cause == CauseBrokerageRefused })
				e.settle(3 * time.Second)
				if st := e.sim.State(); st.Logins != 3 {
					t.Errorf("the simulator saw %d logins, want 3 (first, fresh, after the restart)", st.Logins)
				}
				if n := restarts.Load(); n != 1 {
					t.Errorf("%d gateway restarts, want 1", n)
				}
				e.expectFailedLogins("demo", 0)
			},
		},
		{
			name:  "brokerage-late: waited for, one login, no remedy",
			store: secrets.Memory(liveCreds),
			opts:  func(o *KeeperOptions) { o.StatusPoll = 500 * time.Millisecond },
			run: func(t *testing.T, e *e2e) {
				e.sim.BrokerageLate(6 * time.Second)
				e.waitFor("waiting for the brokerage session", 30*time.Second, func(s Status) bool { return s.Cause == CauseBrokerageLate })
				e.waitState(Authenticated, 30*time.Second)
				e.expectLogins(1)
				e.expectHits(map[string]int{hitReauth: 0, hitLogout: 0})
				if s := e.k.Status(); s.FailedLoginsToday != 0 {
					t.Errorf("a late brokerage session counted as a failed login")
				}
			},
		},
		{
			name:  "validate-false: an authenticated session stays authenticated",
			store: secrets.Memory(liveCreds),
			run: func(t *testing.T, e *e2e) {
				e.sim.ValidateFalse(0)
				e.waitState(Authenticated, 30*time.Second)
				e.settle(4 * time.Second)
				if s := e.k.Status(); s.State != Authenticated {
					t.Errorf("state %v with validate false", s.State)
				}
				e.expectLogins(1)
				e.expectHitsAtMost(map[string]int{hitValidate: 1})
				e.expectHits(map[string]int{hitLogout: 0})
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := startE2E(t, tc.sim, tc.store, tc.opts)
			tc.run(t, e)
			if st := e.sim.State(); st.PenaltyBox || len(st.LockedUsers) != 0 {
				t.Errorf("penalty box %v, locked users %v", st.PenaltyBox, st.LockedUsers)
			}
		})
	}
}

// outageEnds hangs the simulator for hang (its own time) and checks that
// the keeper sees the outage, then its end within 20 s of it, with no
// login, reauthenticate, logout or gateway restart on the way. over
// names the wait for the hang's end, up to within.
func outageEnds(hang time.Duration, over string, within time.Duration, restarts *atomic.Int32) func(t *testing.T, e *e2e) {
	return func(t *testing.T, e *e2e) {
		e.waitState(Authenticated, 10*time.Second)
		e.sim.Hang(hang)
		e.waitState(IBKRUnreachable, 15*time.Second)
		e.waitFor(over, within, func(Status) bool { return !e.sim.State().Hanging })
		took := e.waitState(Authenticated, 30*time.Second)
		if took > 20*time.Second {
			t.Errorf("the end of the hang noticed after %v, want within 20 s", took)
		}
		e.expectLogins(0)
		e.expectHits(map[string]int{hitReauth: 0, hitLogout: 0})
		if n := restarts.Load(); n != 0 {
			t.Errorf("%d gateway restarts for an outage, want none", n)
		}
	}
}
