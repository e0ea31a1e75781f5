package session

import (
	"cmp"
	"context"
	"errors"
	"sync"
	"time"

	"github.com/ibkr-tray/ibkr-tray/session/login"
	"github.com/ibkr-tray/ibkr-tray/session/secrets"
)

// fakeGateway is an in-memory gateway for the keeper's unit tests: the
// session flags, faults, and a count of calls by endpoint.
type fakeGateway struct {
	mu          sync.Mutex
	sso         bool          // the SSO login is alive
	brokerage   bool          // the brokerage session is authenticated
	competing   bool          // another session holds the brokerage session
	down        bool          // nothing listens: connection refused
	hang        bool          // API calls time out; "/" answers
	status      int           // API calls answer this HTTP status (429, 503)
	ssoLeft     time.Duration // the SSO session's time left at start (0 = an hour)
	ssoEnds     time.Time
	reauthWorks bool // reauthenticate brings the brokerage session back
	initWorks   bool // ssodh/init brings the brokerage session back
	calls       map[string]int
	last        map[string]time.Time // the time of the last call, by endpoint
	selected    string
	// refuseBrokerage: logins succeed, the brokerage session never opens.
	refuseBrokerage bool
	// brokerageLate opens the brokerage session this long after a login.
	brokerageLate time.Duration
	brokerageAt   time.Time
	validateFalse bool          // sso/validate answers RESULT: false
	hangFor       time.Duration // a hung call takes this long to time out
	baseURL       string        // set by SetBaseURL
}

func newFakeGateway() *fakeGateway {
	return &fakeGateway{reauthWorks: true, initWorks: true, calls: map[string]int{}, last: map[string]time.Time{}, selected: "U1"}
}

// loggedIn is the state after a working login.
func (f *fakeGateway) loggedIn() *fakeGateway { f.sso, f.brokerage = true, true; return f }

func (f *fakeGateway) set(fn func(f *fakeGateway)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

func (f *fakeGateway) lastCall(name string) time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.last[name]
}

func (f *fakeGateway) count(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[name]
}

// gate counts a call and returns the fault that applies to it.
func (f *fakeGateway) gate(name string, needSSO bool) error {
	f.calls[name]++
	f.last[name] = time.Now()
	switch {
	case f.down:
		return &Error{Kind: KindGatewayDown, Op: name}
	case f.hang:
		return &Error{Kind: KindTimeout, Op: name}
	case f.status == 429:
		return &Error{Kind: KindRateLimited, Op: name, Status: 429}
	case f.status >= 500:
		return &Error{Kind: KindServerError, Op: name, Status: f.status}
	case needSSO && !f.sso:
		return &Error{Kind: KindNoSession, Op: name, Status: 401}
	}
	return nil
}

func (f *fakeGateway) auth() AuthStatus {
	if !f.brokerageAt.IsZero() && !time.Now().Before(f.brokerageAt) {
		f.brokerage, f.brokerageAt = true, time.Time{}
	}
	return AuthStatus{Authenticated: f.brokerage && !f.competing, Connected: f.sso, Competing: f.competing}
}

// hung waits out a hung call's timeout, as the real client does.
func (f *fakeGateway) hung(ctx context.Context) {
	f.mu.Lock()
	d := f.hangFor
	if !f.hang {
		d = 0
	}
	f.mu.Unlock()
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
		case <-t.C:
		}
	}
}

func (f *fakeGateway) Tickle(ctx context.Context) (Tickle, error) {
	f.hung(ctx)
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.gate("tickle", true); err != nil {
		return Tickle{}, err
	}
	if f.ssoEnds.IsZero() {
		f.ssoEnds = time.Now().Add(cmp.Or(f.ssoLeft, time.Hour))
	}
	return Tickle{Session: "s", SSOExpires: time.Until(f.ssoEnds), HasAuth: true, Auth: f.auth()}, nil
}

func (f *fakeGateway) AuthStatus(ctx context.Context) (AuthStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.gate("auth/status", true); err != nil {
		return AuthStatus{}, err
	}
	return f.auth(), nil
}

func (f *fakeGateway) Validate(ctx context.Context) (SSOValidate, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.gate("sso/validate", true); err != nil {
		return SSOValidate{}, err
	}
	return SSOValidate{UserName: "demo", LoginType: 1, Result: !f.validateFalse, Expires: time.Hour}, nil
}

func (f *fakeGateway) Reauthenticate(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.gate("reauthenticate", false); err != nil {
		return err
	}
	if !f.sso {
		return &Error{Kind: KindNotLoggedIn, Op: "reauthenticate"}
	}
	if f.reauthWorks && !f.refuseBrokerage {
		f.brokerage = true
	}
	return nil
}

func (f *fakeGateway) InitBrokerage(ctx context.Context, compete bool) (AuthStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	name := "ssodh/init"
	if compete {
		name = "ssodh/init compete"
	}
	if err := f.gate(name, true); err != nil {
		return AuthStatus{}, err
	}
	if f.refuseBrokerage {
		return f.auth(), nil
	}
	if f.competing && compete {
		f.competing = false
		f.brokerage = true
	}
	if !f.competing && f.initWorks && f.brokerageAt.IsZero() {
		f.brokerage = true
	}
	return f.auth(), nil
}

func (f *fakeGateway) Logout(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.gate("logout", false); err != nil {
		return err
	}
	f.sso, f.brokerage, f.competing = false, false, false
	return nil
}

func (f *fakeGateway) Accounts(ctx context.Context) (Accounts, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.gate("accounts", true); err != nil {
		return Accounts{}, err
	}
	return Accounts{Accounts: []string{"U1", "U2"}, Selected: f.selected}, nil
}

func (f *fakeGateway) SelectAccount(ctx context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.gate("account", true); err != nil {
		return err
	}
	f.selected = id
	return nil
}

func (f *fakeGateway) Ping(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["/"]++
	if f.down {
		return &Error{Kind: KindGatewayDown, Op: "GET /"}
	}
	return nil
}

func (f *fakeGateway) LoginURL() string { return f.BaseURL() + "/" }

func (f *fakeGateway) BaseURL() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return cmp.Or(f.baseURL, "https://localhost:5000")
}

// SetBaseURL is the optional method the keeper uses to follow the gateway.
func (f *fakeGateway) SetBaseURL(u string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.baseURL = u
	return nil
}

// fakeLogin plays the browser login: each call takes the next scripted
// answer (nil = the login works); past the script it repeats the last.
type fakeLogin struct {
	gw       *fakeGateway
	mu       sync.Mutex
	script   []error
	attempts []login.Attempt
}

func (l *fakeLogin) run(ctx context.Context, a login.Attempt) (login.Result, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.attempts = append(l.attempts, a)
	var err error
	if n := len(l.script); n > 0 {
		err = l.script[min(len(l.attempts), n)-1]
	}
	if err != nil {
		return login.Result{}, err
	}
	// The gateway starts the brokerage session itself after a web login
	// (unless a fault says it does not, or does late).
	l.gw.set(func(f *fakeGateway) {
		f.sso = true
		switch {
		case f.refuseBrokerage:
		case f.brokerageLate > 0:
			f.brokerageAt = time.Now().Add(f.brokerageLate)
		default:
			f.brokerage = true
		}
	})
	step := a.UsedStep + 1
	return login.Result{Step: step, PageVersion: "current"}, nil
}

func (l *fakeLogin) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.attempts)
}

func (l *fakeLogin) attempt(i int) login.Attempt {
	l.mu.Lock()
	defer l.mu.Unlock()
	if i >= len(l.attempts) {
		return login.Attempt{}
	}
	return l.attempts[i]
}

func loginErr(kind login.FailureKind, step int64) error {
	return &login.Error{Kind: kind, Step: step}
}

// failingStore answers every Get with err (a locked or absent keyring).
type failingStore struct {
	err  error
	mu   sync.Mutex
	gets int
}

func (s *failingStore) Get(ctx context.Context, profile string) (secrets.Credentials, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gets++
	return secrets.Credentials{}, s.err
}
func (s *failingStore) Set(context.Context, string, secrets.Credentials) error {
	return errors.New("read-only")
}
func (s *failingStore) Delete(context.Context, string) error { return errors.New("read-only") }
func (s *failingStore) Where() string                        { return "the test keyring" }
