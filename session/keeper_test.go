package session

import (
	"context"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ibkr-tray/ibkr-tray/session/login"
	"github.com/ibkr-tray/ibkr-tray/session/secrets"
)

// harness runs a keeper against a fake gateway and a fake browser login
// inside a synctest bubble, where time is virtual: minutes pass in
// microseconds and waits are exact.
type harness struct {
	t    *testing.T
	gw   *fakeGateway
	lg   *fakeLogin
	k    *Keeper
	skew atomic.Int64 // added to the wall clock: a sleep/wake jump

	mu     sync.Mutex
	opened []string
}

var demoCreds = secrets.Credentials{Username: "demo", Password: "pw", TOTPSecret: "JBSWY3DPEHPK3PXP"}

func newHarness(t *testing.T, gw *fakeGateway, script []error, mod func(o *KeeperOptions)) *harness {
	h := &harness{t: t, gw: gw}
	h.lg = &fakeLogin{gw: gw, script: script}
	o := KeeperOptions{
		Client:       gw,
		Credentials:  secrets.Memory(demoCreds),
		BrowserLogin: h.lg.run,
		OpenBrowser: func(url string) error {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.opened = append(h.opened, url)
			return nil
		},
		Now:    func() time.Time { return time.Now().Add(time.Duration(h.skew.Load())) },
		Logger: testLogger(),
	}
	if mod != nil {
		mod(&o)
	}
	h.k = NewKeeper(o)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.k.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run returned %v", err)
		}
	})
	return h
}

// testLogger is silent unless KEEPER_LOG is set.
func testLogger() *slog.Logger {
	if os.Getenv("KEEPER_LOG") == "" {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// waitFor advances virtual time until cond holds, for at most within.
func (h *harness) waitFor(what string, within time.Duration, cond func(s Status) bool) time.Duration {
	h.t.Helper()
	start := time.Now()
	for time.Since(start) <= within {
		synctest.Wait()
		if cond(h.k.Status()) {
			return time.Since(start)
		}
		time.Sleep(100 * time.Millisecond)
	}
	s := h.k.Status()
	h.t.Fatalf("%s: not within %v; state %v (%s), last error %q", what, within, s.State, s.Reason, s.LastError)
	return 0
}

func (h *harness) waitState(want State, within time.Duration) time.Duration {
	h.t.Helper()
	return h.waitFor("state "+want.String(), within, func(s Status) bool { return s.State == want })
}

// idle lets virtual time pass with nothing changed.
func (h *harness) idle(d time.Duration) {
	time.Sleep(d)
	synctest.Wait()
}

func (h *harness) expectCalls(want map[string]int) {
	h.t.Helper()
	for name, n := range want {
		if got := h.gw.count(name); got != n {
			h.t.Errorf("%s calls = %d, want %d", name, got, n)
		}
	}
}

func (h *harness) expectLogins(n int) {
	h.t.Helper()
	if got := h.lg.count(); got != n {
		h.t.Errorf("browser logins = %d, want %d", got, n)
	}
}

func (h *harness) expectReason(parts ...string) {
	h.t.Helper()
	s := h.k.Status()
	for _, p := range parts {
		if !strings.Contains(s.Reason, p) {
			h.t.Errorf("reason %q does not say %q", s.Reason, p)
		}
	}
}

func TestKeeperTransitions(t *testing.T) {
	cases := []struct {
		name   string
		gw     func() *fakeGateway
		script []error // the browser logins' answers
		opts   func(o *KeeperOptions)
		run    func(h *harness)
	}{
		{
			name: "an authenticated session is kept with one tickle per interval",
			gw:   func() *fakeGateway { return newFakeGateway().loggedIn() },
			run: func(h *harness) {
				h.waitState(Authenticated, time.Second)
				h.idle(time.Minute)
				if n := h.gw.count("tickle"); n < 15 || n > 17 {
					t.Errorf("tickles in a minute = %d, want 15 or 16 (one per 4 s)", n)
				}
				h.expectCalls(map[string]int{"reauthenticate": 0, "ssodh/init": 0, "accounts": 1, "sso/validate": 1})
				h.expectLogins(0)
				if s := h.k.Status(); s.User != "demo" || len(s.Accounts) != 2 || s.SelectedAccount != "U1" {
					t.Errorf("facts = user %q accounts %v selected %q", s.User, s.Accounts, s.SelectedAccount)
				}
			},
		},
		{
			name: "the end of the SSO session is checked for when it is due",
			gw:   func() *fakeGateway { f := newFakeGateway().loggedIn(); f.ssoLeft = 62 * time.Second; return f },
			run: func(h *harness) {
				h.waitState(Authenticated, time.Second)
				h.idle(61 * time.Second)
				h.gw.set(func(f *fakeGateway) { f.sso, f.brokerage = false, false })
				h.waitFor("login", 2*time.Second, func(Status) bool { return h.lg.count() == 1 })
			},
		},
		{
			name: "a lost brokerage session is seen within 10 s and restored by reauthenticate",
			gw:   func() *fakeGateway { return newFakeGateway().loggedIn() },
			run: func(h *harness) {
				h.waitState(Authenticated, time.Second)
				h.idle(7 * time.Second)
				fault := time.Now()
				h.gw.set(func(f *fakeGateway) { f.brokerage = false })
				h.waitFor("reauthenticate", 10*time.Second, func(Status) bool { return h.gw.count("reauthenticate") == 1 })
				if took := h.gw.lastCall("reauthenticate").Sub(fault); took > DefaultTickleInterval {
					t.Errorf("the loss was acted on after %v, want at most one tickle interval (%v)", took, DefaultTickleInterval)
				}
				h.waitState(Authenticated, 5*time.Second)
				if m := h.k.Status().LastLoginMethod; m != "reauthenticate" {
					t.Errorf("LastLoginMethod = %q, want reauthenticate", m)
				}
				h.expectCalls(map[string]int{"reauthenticate": 1, "ssodh/init": 0, "logout": 0})
				h.expectLogins(0)
			},
		},
		{
			name: "reauthenticate that does not work climbs to ssodh/init",
			gw: func() *fakeGateway {
				f := newFakeGateway().loggedIn()
				f.reauthWorks = false
				return f
			},
			run: func(h *harness) {
				h.waitState(Authenticated, time.Second)
				h.gw.set(func(f *fakeGateway) { f.brokerage = false })
				h.waitState(Reauthenticating, 10*time.Second)
				h.waitState(Authenticated, time.Minute)
				h.expectCalls(map[string]int{"reauthenticate": 1, "ssodh/init": 1})
				h.expectLogins(0)
			},
		},
		{
			name: "reauthenticate and ssodh/init both failing climb to a browser login",
			gw: func() *fakeGateway {
				f := newFakeGateway().loggedIn()
				f.reauthWorks, f.initWorks = false, false
				return f
			},
			run: func(h *harness) {
				h.waitState(Authenticated, time.Second)
				h.gw.set(func(f *fakeGateway) { f.brokerage = false })
				h.waitFor("browser login", time.Minute, func(Status) bool { return h.lg.count() == 1 })
				h.waitState(Authenticated, time.Minute)
				h.expectCalls(map[string]int{"reauthenticate": 1, "logout": 1})
				h.expectLogins(1)
				if m := h.k.Status().LastLoginMethod; m != "browser" {
					t.Errorf("LastLoginMethod = %q, want browser", m)
				}
			},
		},
		{
			name: "a reauthenticate that does not help is not repeated every few seconds",
			gw: func() *fakeGateway {
				f := newFakeGateway().loggedIn()
				f.reauthWorks, f.initWorks = false, false
				return f
			},
			opts: func(o *KeeperOptions) { o.Credentials = nil },
			run: func(h *harness) {
				h.waitState(Authenticated, time.Second)
				h.gw.set(func(f *fakeGateway) { f.brokerage = false })
				h.waitState(NeedsManualLogin, time.Minute)
				h.idle(10 * time.Minute)
				if n := h.gw.count("reauthenticate"); n > 5 {
					t.Errorf("%d reauthenticates in 10 minutes, want back-off (at most 5)", n)
				}
				h.expectLogins(0)
			},
		},
		{
			name: "a lost SSO login is restored by one browser login then ssodh/init",
			gw:   func() *fakeGateway { return newFakeGateway().loggedIn() },
			run: func(h *harness) {
				h.waitState(Authenticated, time.Second)
				h.gw.set(func(f *fakeGateway) { f.sso, f.brokerage = false, false })
				h.waitFor("browser login", 10*time.Second, func(Status) bool { return h.lg.count() == 1 })
				h.waitState(Authenticated, 10*time.Second)
				h.expectCalls(map[string]int{"reauthenticate": 0, "ssodh/init": 1, "logout": 0})
				h.expectLogins(1)
				a := h.lg.attempt(0)
				if a.Username != "demo" || a.Password != "pw" || a.GatewayURL != "https://localhost:5000" {
					t.Errorf("the login attempt got user %q, gateway %q", a.Username, a.GatewayURL)
				}
			},
		},
		{
			name: "a second login never reuses the TOTP step of the first",
			gw:   func() *fakeGateway { return newFakeGateway() },
			run: func(h *harness) {
				h.waitState(Authenticated, 5*time.Second)
				h.gw.set(func(f *fakeGateway) { f.sso, f.brokerage = false, false })
				h.waitFor("second login", 10*time.Second, func(Status) bool { return h.lg.count() == 2 })
				h.waitState(Authenticated, 5*time.Second)
				if first, second := h.lg.attempt(0), h.lg.attempt(1); second.UsedStep != first.UsedStep+1 {
					t.Errorf("second attempt UsedStep = %d, want the first login's step %d", second.UsedStep, first.UsedStep+1)
				}
			},
		},
		{
			name: "with no stored credentials the user is asked to log in and no login runs",
			gw:   func() *fakeGateway { return newFakeGateway() },
			opts: func(o *KeeperOptions) { o.Credentials = nil },
			run: func(h *harness) {
				h.waitState(NeedsManualLogin, 5*time.Second)
				h.expectReason("no login details are stored")
				h.idle(time.Minute)
				h.expectLogins(0)
				if len(h.opened) != 0 {
					t.Errorf("a browser was opened without the user asking: %v", h.opened)
				}
			},
		},
		{
			name: "a locked keyring asks for a manual login and is not asked again",
			gw:   func() *fakeGateway { return newFakeGateway() },
			opts: func(o *KeeperOptions) { o.Credentials = &failingStore{err: secrets.ErrLocked} },
			run: func(h *harness) {
				h.waitState(NeedsManualLogin, 5*time.Second)
				h.expectReason("could not be read from the test keyring", secrets.ErrLocked.Error())
				h.idle(time.Minute)
				h.expectLogins(0)
				if s := h.k.o.Credentials.(*failingStore); s.gets != 1 {
					t.Errorf("keyring reads = %d, want 1 (no unlock prompt every tickle)", s.gets)
				}
			},
		},
		{
			name:   "a wrong password stops at once",
			gw:     func() *fakeGateway { return newFakeGateway() },
			script: []error{loginErr(login.BadCredentials, 0)},
			run: func(h *harness) {
				h.waitState(NeedsManualLogin, 5*time.Second)
				h.expectReason("rejected the username or password", "ibkr-tray secrets set")
				h.idle(time.Hour)
				h.expectLogins(1)
			},
		},
		{
			name:   "a wrong TOTP secret trips the cap after three logins",
			gw:     func() *fakeGateway { return newFakeGateway() },
			script: []error{loginErr(login.BadCode, 100), loginErr(login.BadCode, 101), loginErr(login.BadCode, 105)},
			run: func(h *harness) {
				h.waitState(LoginLocked, 10*time.Minute)
				h.expectReason("3 failed attempts in a row", "computer's clock")
				h.idle(time.Hour)
				h.expectLogins(3)
				if a := h.lg.attempt(1); a.UsedStep != 100 {
					t.Errorf("the retry's UsedStep = %d, want the refused code's step 100", a.UsedStep)
				}
				if s := h.k.Status(); s.FailedLoginsInRow != 3 || s.FailedLoginsToday != 3 {
					t.Errorf("counts = %d in row, %d today; want 3, 3", s.FailedLoginsInRow, s.FailedLoginsToday)
				}
			},
		},
		{
			name:   "a refused code is retried once with the next step and then works",
			gw:     func() *fakeGateway { return newFakeGateway() },
			script: []error{loginErr(login.BadCode, 100), nil},
			run: func(h *harness) {
				h.waitState(Authenticated, 10*time.Second)
				h.expectLogins(2)
				if s := h.k.Status(); s.FailedLoginsInRow != 0 || s.FailedLoginsToday != 1 {
					t.Errorf("counts = %d in row, %d today; want 0, 1", s.FailedLoginsInRow, s.FailedLoginsToday)
				}
			},
		},
		{
			name:   "a failed login waits before the next one, longer each time",
			gw:     func() *fakeGateway { return newFakeGateway() },
			script: []error{loginErr(login.Timeout, 0), loginErr(login.Timeout, 0), nil},
			run: func(h *harness) {
				h.waitFor("first login", 5*time.Second, func(Status) bool { return h.lg.count() == 1 })
				h.idle(59 * time.Second)
				h.expectLogins(1)
				h.waitFor("second login", 2*time.Second, func(Status) bool { return h.lg.count() == 2 })
				h.idle(110 * time.Second)
				h.expectLogins(2)
				h.waitState(Authenticated, 20*time.Second)
				h.expectLogins(3)
			},
		},
		{
			name: "a competing session is reported and not fought by default",
			gw:   func() *fakeGateway { return newFakeGateway().loggedIn() },
			run: func(h *harness) {
				h.waitState(Authenticated, time.Second)
				h.gw.set(func(f *fakeGateway) { f.competing = true })
				h.waitState(Competing, 10*time.Second)
				h.expectReason("another session", "not taken back")
				h.idle(10 * time.Minute)
				h.expectCalls(map[string]int{"ssodh/init compete": 0, "reauthenticate": 0})
				h.expectLogins(0)
			},
		},
		{
			name: "a competing session is taken back when compete is on",
			gw:   func() *fakeGateway { return newFakeGateway().loggedIn() },
			opts: func(o *KeeperOptions) { o.TakeBackCompeting = true },
			run: func(h *harness) {
				h.waitState(Authenticated, time.Second)
				h.gw.set(func(f *fakeGateway) { f.competing = true })
				h.waitFor("take-back", 10*time.Second, func(Status) bool { return h.gw.count("ssodh/init compete") == 1 })
				h.waitState(Authenticated, 5*time.Second)
				h.expectLogins(0)
			},
		},
		{
			name: "Login while competing takes the session back",
			gw:   func() *fakeGateway { return newFakeGateway().loggedIn() },
			run: func(h *harness) {
				h.waitState(Authenticated, time.Second)
				h.gw.set(func(f *fakeGateway) { f.competing = true })
				h.waitState(Competing, 10*time.Second)
				h.k.Login()
				h.waitState(Authenticated, 5*time.Second)
				h.expectCalls(map[string]int{"ssodh/init compete": 1})
				h.expectLogins(0)
			},
		},
		{
			name: "IBKR unreachable backs off with no logins and recovers when it answers",
			gw:   func() *fakeGateway { return newFakeGateway().loggedIn() },
			run: func(h *harness) {
				h.waitState(Authenticated, time.Second)
				h.gw.set(func(f *fakeGateway) { f.hang = true })
				h.waitState(IBKRUnreachable, 10*time.Second)
				before := h.gw.count("tickle")
				h.idle(10 * time.Minute)
				// Issue 8: the back-off is capped at 10 s (plus a 10 s call
				// timeout: 20 s), no longer 2 minutes.
				if n := h.gw.count("tickle") - before; n > 61 {
					t.Errorf("%d tickles in 10 minutes while unreachable, want at most one per 10 s", n)
				}
				h.gw.set(func(f *fakeGateway) { f.hang = false })
				h.waitState(Authenticated, 10*time.Second)
				h.expectLogins(0)
				h.expectCalls(map[string]int{"reauthenticate": 0, "logout": 0})
			},
		},
		{
			name: "a gateway that is down is reported with no logins",
			gw:   func() *fakeGateway { f := newFakeGateway(); f.down = true; return f },
			run: func(h *harness) {
				h.waitState(GatewayDown, 5*time.Second)
				h.idle(time.Minute)
				h.expectLogins(0)
				h.gw.set(func(f *fakeGateway) { f.down = false; f.sso, f.brokerage = true, true })
				h.waitState(Authenticated, 10*time.Second)
			},
		},
		{
			// Issue 8 (defects 4, 5): repeated 429s are a state of their own
			// (they were kept as Authenticated), the back-off stops at 10 s.
			name: "429 answers slow the tickles and become IBKRErrors",
			gw:   func() *fakeGateway { return newFakeGateway().loggedIn() },
			run: func(h *harness) {
				h.waitState(Authenticated, time.Second)
				h.gw.set(func(f *fakeGateway) { f.status = 429 })
				h.idle(5 * time.Minute)
				if n := h.gw.count("tickle"); n > 32 {
					t.Errorf("%d tickles in 5 minutes of 429s, want back-off (at most one per 10 s)", n)
				}
				if s := h.k.Status(); s.State != IBKRErrors || s.Cause != CauseRateLimited || !strings.Contains(s.LastError, "429") {
					t.Errorf("state %v cause %q, last error %q; want IBKRErrors, rate-limited, with the 429 noted", s.State, s.Cause, s.LastError)
				}
				h.gw.set(func(f *fakeGateway) { f.status = 0 })
				h.waitFor("error cleared", 20*time.Second, func(s Status) bool { return s.LastError == "" && s.State == Authenticated })
				h.expectLogins(0)
			},
		},
		{
			name: "a wall clock jump (sleep and wake) checks at once",
			gw:   func() *fakeGateway { return newFakeGateway().loggedIn() },
			opts: func(o *KeeperOptions) { o.TickleInterval = time.Hour },
			run: func(h *harness) {
				h.waitState(Authenticated, time.Second)
				h.idle(time.Minute)
				before := h.gw.count("tickle")
				h.gw.set(func(f *fakeGateway) { f.sso, f.brokerage = false, false })
				h.skew.Add(int64(8 * time.Hour))
				took := h.waitFor("check after the jump", 10*time.Second, func(Status) bool { return h.gw.count("tickle") > before })
				if took > 2*time.Second {
					t.Errorf("checked %v after the jump, want within 2 s", took)
				}
				h.waitState(Authenticated, 10*time.Second)
				h.expectLogins(1)
			},
		},
		{
			name:   "Login after the cap opens the browser and waits for the user",
			gw:     func() *fakeGateway { return newFakeGateway() },
			script: []error{loginErr(login.Timeout, 0)},
			opts:   func(o *KeeperOptions) { o.MaxFailedInRow = 1 },
			run: func(h *harness) {
				h.waitState(LoginLocked, 10*time.Second)
				h.k.Login()
				h.waitState(WaitingForManualLogin, 5*time.Second)
				h.waitFor("browser opened", time.Second, func(Status) bool {
					h.mu.Lock()
					defer h.mu.Unlock()
					return len(h.opened) == 1 && h.opened[0] == "https://localhost:5000/"
				})
				h.idle(30 * time.Second)
				h.gw.set(func(f *fakeGateway) { f.sso = true }) // the user logs in
				h.waitState(Authenticated, 10*time.Second)
				s := h.k.Status()
				if s.LastLoginMethod != "manual" || s.FailedLoginsInRow != 0 {
					t.Errorf("method %q, failed in row %d; want manual, 0", s.LastLoginMethod, s.FailedLoginsInRow)
				}
				h.expectLogins(1)
			},
		},
		{
			name: "a manual login that never comes times out",
			gw:   func() *fakeGateway { return newFakeGateway() },
			opts: func(o *KeeperOptions) { o.Credentials = nil },
			run: func(h *harness) {
				h.waitState(NeedsManualLogin, 5*time.Second)
				h.k.Login()
				h.waitState(WaitingForManualLogin, 5*time.Second)
				took := h.waitState(NeedsManualLogin, 6*time.Minute)
				if took < 4*time.Minute {
					t.Errorf("gave up after %v, want the 5 minute timeout", took)
				}
				if s := h.k.Status(); s.LastError != "no login was seen within 5 minutes" || s.Cause != CauseNoCredentials {
					t.Errorf("after the wait: cause %q, last error %q", s.Cause, s.LastError)
				}
				if n := h.gw.count("tickle"); n > 110 {
					t.Errorf("%d tickles while waiting, want about one per 3 s", n)
				}
			},
		},
		{
			name: "Logout ends the session and stops automated logins",
			gw:   func() *fakeGateway { return newFakeGateway().loggedIn() },
			run: func(h *harness) {
				h.waitState(Authenticated, time.Second)
				h.k.Logout()
				h.waitState(LoggedOut, 5*time.Second) // issue 8: was NotAuthenticated
				h.expectReason("logged out")
				h.idle(10 * time.Minute)
				h.expectCalls(map[string]int{"logout": 1})
				h.expectLogins(0)
				if s := h.k.Status(); len(s.Accounts) != 0 {
					t.Errorf("accounts still shown after logout: %v", s.Accounts)
				}
				h.k.Login()
				h.waitState(Authenticated, 10*time.Second)
				h.expectLogins(1)
			},
		},
		{
			name: "a logout IBKR keeps refusing is reported, not shown as done",
			gw:   func() *fakeGateway { return newFakeGateway().loggedIn() },
			run: func(h *harness) {
				h.waitState(Authenticated, time.Second)
				h.gw.mu.Lock()
				h.gw.status = 503
				h.gw.mu.Unlock()
				h.k.Logout()
				h.waitState(NotAuthenticated, 10*time.Second)
				h.expectReason("did not go through")
				h.expectCalls(map[string]int{"logout": 3})
				h.expectLogins(0)
			},
		},
		{
			name:   "Logout interrupts a login under way",
			gw:     func() *fakeGateway { return newFakeGateway() },
			script: []error{nil},
			opts: func(o *KeeperOptions) {
				inner := o.BrowserLogin
				o.BrowserLogin = func(ctx context.Context, a login.Attempt) (login.Result, error) {
					<-ctx.Done() // a login that hangs until canceled
					_, _ = inner(ctx, a)
					return login.Result{}, &login.Error{Kind: login.Timeout}
				}
			},
			run: func(h *harness) {
				h.waitState(LoggingIn, 5*time.Second)
				h.k.Logout()
				h.waitState(LoggedOut, 5*time.Second)
				if s := h.k.Status(); s.FailedLoginsInRow != 0 {
					t.Errorf("an interrupted login counted as failed: %d in row", s.FailedLoginsInRow)
				}
			},
		},
		{
			// ResetLoginCap is RetryLogin now: one attempt, counts kept.
			name:   "ResetLoginCap lets one automated login run again",
			gw:     func() *fakeGateway { return newFakeGateway() },
			script: []error{loginErr(login.Timeout, 0), nil},
			opts:   func(o *KeeperOptions) { o.MaxFailedInRow = 1 },
			run: func(h *harness) {
				h.waitState(LoginLocked, 10*time.Second)
				h.idle(time.Hour)
				h.expectLogins(1)
				h.k.ResetLoginCap()
				h.waitState(Authenticated, 10*time.Second)
				h.expectLogins(2)
			},
		},
		{
			name: "SelectAccount switches the account",
			gw:   func() *fakeGateway { return newFakeGateway().loggedIn() },
			run: func(h *harness) {
				h.waitState(Authenticated, time.Second)
				h.k.SelectAccount("U2")
				h.waitFor("account U2", 5*time.Second, func(s Status) bool { return s.SelectedAccount == "U2" })
				h.expectCalls(map[string]int{"account": 1})
			},
		},
		{
			name: "a gateway that goes down during a login ends GatewayDown",
			gw:   func() *fakeGateway { return newFakeGateway() },
			opts: func(o *KeeperOptions) {
				gw := o.Client.(*fakeGateway)
				o.BrowserLogin = func(ctx context.Context, a login.Attempt) (login.Result, error) {
					gw.set(func(f *fakeGateway) { f.down = true })
					return login.Result{}, &login.Error{Kind: login.Unknown}
				}
			},
			run: func(h *harness) {
				h.waitState(GatewayDown, 10*time.Second)
				h.idle(time.Hour)
				if s := h.k.Status(); s.State != GatewayDown || s.FailedLoginsInRow != 1 {
					t.Errorf("state %v with %d failed; want GatewayDown with the one attempt counted", s.State, s.FailedLoginsInRow)
				}
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := newHarness(t, tc.gw(), tc.script, tc.opts)
				h.t = t
				tc.run(h)
			})
		})
	}
}
