package session

import (
	"context"
	"log/slog"
	"reflect"
	"slices"
	"sync"
	"time"

	"github.com/ibkr-tray/ibkr-tray/session/login"
	"github.com/ibkr-tray/ibkr-tray/session/secrets"
)

// GatewayAPI is what the keeper needs from the gateway's Web API. *Client
// implements it; unit tests use a fake.
type GatewayAPI interface {
	Tickle(ctx context.Context) (Tickle, error)
	AuthStatus(ctx context.Context) (AuthStatus, error)
	Validate(ctx context.Context) (SSOValidate, error)
	Reauthenticate(ctx context.Context) error
	InitBrokerage(ctx context.Context, compete bool) (AuthStatus, error)
	Logout(ctx context.Context) error
	Accounts(ctx context.Context) (Accounts, error)
	SelectAccount(ctx context.Context, id string) error
	Ping(ctx context.Context) error
	LoginURL() string
	BaseURL() string
}

var _ GatewayAPI = (*Client)(nil)

// The keeper follows the gateway to a new address through this method of
// *Client (optional for other GatewayAPIs).
var _ interface{ SetBaseURL(string) error } = (*Client)(nil)

// KeeperOptions configure a Keeper. Zero values take the defaults named in
// each field's comment.
type KeeperOptions struct {
	// Client talks to the gateway (required).
	Client GatewayAPI
	// Credentials hold the username, password and TOTP secret for automated
	// login. nil, or a store answering secrets.ErrNotFound, means the user
	// logs in by hand.
	Credentials secrets.Store
	Profile     string
	// BrowserLogin runs one automated login (default login.Run).
	BrowserLogin func(ctx context.Context, a login.Attempt) (login.Result, error)
	// LoginAttempt is the template for each automated login: Browser,
	// Visible, Selectors, DiagnosticsDir, Paper. The keeper fills in the
	// gateway URL, the credentials and the TOTP step.
	LoginAttempt login.Attempt
	// SecondFactor is how the automated login answers IBKR's second
	// factor (login.FactorAuto: the authenticator app when a TOTP secret
	// is stored, else IB Key when the page offers it).
	SecondFactor login.SecondFactor
	// ApprovalWait is how long a login waits for the user to approve the
	// IB Key notification in IBKR Mobile (default login.DefaultApprovalWait).
	ApprovalWait time.Duration
	// TakeBackCompeting takes the brokerage session back when another
	// session of the user (TWS, mobile) took it over. Off by default: each
	// take-over logs the user out of the other platform.
	TakeBackCompeting bool
	// MaxFailedInRow and MaxFailedPerDay cap failed automated logins
	// (defaults 3 and 10). IBKR locks a username after about 5.
	MaxFailedInRow  int
	MaxFailedPerDay int
	// StateFile keeps the login attempt counts across restarts ("" = in
	// memory only).
	StateFile string

	// TickleInterval is the time between keep-alive checks (default
	// DefaultTickleInterval).
	TickleInterval time.Duration
	// ReauthWait is how long to wait for the brokerage session after
	// reauthenticate or ssodh/init (default 30 s; about 10 s is reported).
	ReauthWait time.Duration
	// LoginWait is how long to wait for the brokerage session after a
	// successful browser login (default 60 s).
	LoginWait time.Duration
	// StatusPoll is the time between auth/status calls while waiting for
	// the brokerage session (default 500 ms).
	StatusPoll time.Duration
	// LoginRetryDelay is the wait after a failed automated login before the
	// next one; it doubles after each failure (default 1 min).
	LoginRetryDelay time.Duration
	// MaxBackoff bounds the wait between checks while IBKR is unreachable
	// or answers with errors (default 20 s less RequestTimeout, so the end
	// of an outage is noticed within 20 s).
	MaxBackoff time.Duration
	// RequestTimeout is the client's bound on one call (default
	// DefaultTimeout); the keeper uses it for ReadyUntil and MaxBackoff.
	RequestTimeout time.Duration
	// RestartGateway, when set, restarts the gateway (the runner wires the
	// supervisor's Restart). It is one remedy, tried once, when logins
	// succeed but the brokerage session never opens.
	RestartGateway func()
	// ManualLoginTimeout is how long Login waits for the user to log in in
	// their browser (default 5 min), polling every ManualPollInterval
	// (default 3 s).
	ManualLoginTimeout time.Duration
	ManualPollInterval time.Duration
	// OpenBrowser opens a URL in the user's browser (default xdg-open,
	// open or rundll32).
	OpenBrowser func(url string) error
	// Now is the wall clock (default time.Now): timestamps, the day of the
	// login cap, and spotting a sleep/wake jump.
	Now    func() time.Time
	Logger *slog.Logger
}

// DefaultTickleInterval is the time between keep-alive checks. IBKR asks
// for a tickle about once a minute to keep the session and allows one a
// second. A lost session is noticed half an interval after it went, on
// average: 4 s keeps that near 2 s, so a recovery by browser login (about
// 2.5 s more) is done within 5 s, at a quarter of the limit (900 small
// requests an hour).
const DefaultTickleInterval = 4 * time.Second

// outageNoticed bounds how long the end of an outage (or of a spell of
// errors) may go unnoticed: the back-off plus one call's timeout. A tickle
// is cheap (IBKR allows one a second), so there is no reason to wait longer.
const outageNoticed = 20 * time.Second

func (o *KeeperOptions) defaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.TickleInterval, DefaultTickleInterval)
	def(&o.ReauthWait, 30*time.Second)
	def(&o.LoginWait, 60*time.Second)
	def(&o.StatusPoll, 500*time.Millisecond)
	def(&o.LoginRetryDelay, time.Minute)
	def(&o.RequestTimeout, DefaultTimeout)
	def(&o.MaxBackoff, max(o.TickleInterval, outageNoticed-o.RequestTimeout))
	def(&o.ManualLoginTimeout, 5*time.Minute)
	def(&o.ManualPollInterval, 3*time.Second)
	def(&o.ApprovalWait, login.DefaultApprovalWait)
	o.SecondFactor = factorOf(o.SecondFactor)
	if o.MaxFailedInRow <= 0 {
		o.MaxFailedInRow = 3
	}
	if o.MaxFailedPerDay <= 0 {
		o.MaxFailedPerDay = 10
	}
	if o.BrowserLogin == nil {
		o.BrowserLogin = login.Run
	}
	if o.OpenBrowser == nil {
		o.OpenBrowser = openInBrowser
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

// factorOf is f as its constant ("auto", "IBKey" are spellings of them);
// one the login does not know stays as it is, and the login refuses it.
func factorOf(f login.SecondFactor) login.SecondFactor {
	if c, err := login.ParseSecondFactor(string(f)); err == nil {
		return c
	}
	return f
}

// Keeper keeps the gateway's session alive and recovers it when it is lost,
// cheapest step first. One goroutine (Run) owns the state; Status returns
// copies and commands return at once.
type Keeper struct {
	o   KeeperOptions
	api GatewayAPI
	log *slog.Logger

	mu       sync.Mutex // guards the fields below
	status   Status
	subs     map[chan struct{}]struct{}
	queue    []command
	cancelOp context.CancelFunc // cancels the step under way; Logout uses it

	wake chan struct{} // capacity 1: a command was queued

	// transition, when set (by tests and benchmarks, before Run), is told
	// of every change of state as it happens, which Subscribe may merge.
	transition func(from, to State)

	// Owned by the Run goroutine. Every latch that changes what the keeper
	// does until a person acts lives in status.Latches; these are timings
	// and bookkeeping.
	cap             loginCap
	gateway         GatewayFacts  // the supervisor's last word
	backoff         time.Duration // current wait between checks after trouble; 0 = TickleInterval
	loginDelay      time.Duration // the wait after the last failed login; doubles
	reauthNotBefore time.Time     // no reauthenticate before this (after one that did not help)
	reauthDelay     time.Duration
	competeAt       time.Time // no automatic take-back before this
	haveFacts       bool      // accounts and user read for this session
	usedStep        int64     // the last TOTP step sent: never send a code of it again
	codeRefusals    int       // security codes refused in a row: twice points at the clock or the secret
	lastProblem     string    // the last automated login failure, in words (for the reason)
	capLoadErr      string    // why the state file could not be read
	approvalProblem string    // why the last IB Key notification went unanswered, in words
	factor          factorFacts
	clocks          clockWatch
	// Monotonic times of the last rate-limited calls.
	lastTickleCall   time.Time
	lastValidateCall time.Time
}

// NewKeeper makes a keeper; Run starts it.
func NewKeeper(o KeeperOptions) *Keeper {
	o.defaults()
	k := &Keeper{
		o:    o,
		api:  o.Client,
		log:  o.Logger.With("part", "keeper"),
		subs: map[chan struct{}]struct{}{},
		wake: make(chan struct{}, 1),
		cap:  loginCap{MaxInRow: o.MaxFailedInRow, MaxPerDay: o.MaxFailedPerDay},
	}
	k.factor = factorFacts{Setting: o.SecondFactor, Paper: o.LoginAttempt.Paper}
	k.status = Status{State: Connecting, Cause: CauseStarting, Reason: "starting", Since: o.Now(), SecondFactor: shownFactor(k.factor)}
	return k
}

// Status returns a snapshot of the session.
func (k *Keeper) Status() Status {
	k.mu.Lock()
	defer k.mu.Unlock()
	return copyStatus(k.status)
}

func copyStatus(s Status) Status {
	s.Accounts = slices.Clone(s.Accounts)
	s.Auth.Prompts = slices.Clone(s.Auth.Prompts)
	return s
}

// Subscribe returns a channel that receives a value after each change of
// the status (bursts merge into one) and at once on subscribing, and a
// function that ends the subscription.
func (k *Keeper) Subscribe() (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	ch <- struct{}{}
	k.mu.Lock()
	k.subs[ch] = struct{}{}
	k.mu.Unlock()
	return ch, func() {
		k.mu.Lock()
		delete(k.subs, ch)
		k.mu.Unlock()
	}
}

// update changes the status under the lock and wakes the subscribers when
// anything but the keep-alive timestamps changed.
func (k *Keeper) update(f func(s *Status)) {
	k.mu.Lock()
	defer k.mu.Unlock()
	before := copyStatus(k.status)
	f(&k.status)
	if k.status.State != before.State {
		k.status.Since = k.o.Now()
	}
	k.status.FailedLoginsInRow = k.cap.rec.FailedInRow
	k.status.FailedLoginsToday = k.cap.rec.FailedToday
	k.status.Latches.CapTripped = capCause(k.cap.allowed(k.o.Now()))
	switch k.status.Latches.CapTripped {
	case CauseNone:
		k.status.Latches.CapLastFailure = ""
	case CauseCapUnreadable:
		k.status.Latches.CapLastFailure = k.capLoadErr
	default:
		k.status.Latches.CapLastFailure = k.lastProblem
	}
	p := present(k.status.State, k.status.Cause, k.status.Latches, k.cap.dayFull(k.o.Now()))
	k.status.NeedsYou, k.status.Offers = p.NeedsYou, p.Offers
	after := k.status
	after.LastTickle, before.LastTickle = time.Time{}, time.Time{}
	after.SSOExpires, before.SSOExpires = time.Time{}, time.Time{}
	after.LastGoodCheck, before.LastGoodCheck = time.Time{}, time.Time{}
	after.ReadyUntil, before.ReadyUntil = time.Time{}, time.Time{}
	if reflect.DeepEqual(before, after) {
		return
	}
	for ch := range k.subs {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// publish moves to state with a cause and a reason; the log line's level
// follows what the user is shown.
func (k *Keeper) publish(state State, cause Cause, reason string) {
	var was State
	k.update(func(s *Status) {
		was = s.State
		s.State = state
		s.Cause = cause
		s.Reason = reason
	})
	if was == state {
		return
	}
	if k.transition != nil {
		k.transition(was, state)
	}
	level := slog.LevelInfo
	switch state {
	case NeedsManualLogin, LoginLocked:
		level = slog.LevelError
	case IBKRUnreachable, GatewayDown, IBKRErrors:
		level = slog.LevelWarn
	}
	if cause == CauseStarting {
		level = slog.LevelInfo // the usual start: the gateway is still starting
	}
	k.log.Log(context.Background(), level, "session state", "from", was, "to", state, "cause", cause, "reason", reason)
}

// latches returns the keeper's latches.
func (k *Keeper) latches() Latches {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.status.Latches
}

// latch changes the latches.
func (k *Keeper) latch(f func(l *Latches)) { k.update(func(s *Status) { f(&s.Latches) }) }

// lastError records the last failure in the status.
func (k *Keeper) lastError(err error) {
	if err == nil {
		return
	}
	k.update(func(s *Status) { s.LastError = err.Error() })
}

// command is a request from the user, run by the Run goroutine.
type command struct {
	kind     commandKind
	account  string
	gateway  GatewayFacts
	settings Settings
}

type commandKind int

const (
	cmdLogin         commandKind = 1
	cmdLogout        commandKind = 2
	cmdSelectAccount commandKind = 3
	cmdCheckNow      commandKind = 4
	cmdResetCap      commandKind = 5
	cmdRetry         commandKind = 6
	cmdLoginBrowser  commandKind = 7
	cmdCancelLogin   commandKind = 8
	cmdCredsChanged  commandKind = 9
	cmdGateway       commandKind = 10
	cmdReconfigure   commandKind = 11
)

func (c commandKind) String() string {
	switch c {
	case cmdLogin:
		return "login"
	case cmdLogout:
		return "logout"
	case cmdSelectAccount:
		return "select-account"
	case cmdCheckNow:
		return "check-now"
	case cmdResetCap:
		return "reset-login-cap"
	case cmdRetry:
		return "retry"
	case cmdLoginBrowser:
		return "login-in-browser"
	case cmdCancelLogin:
		return "cancel-login"
	case cmdCredsChanged:
		return "credentials-changed"
	case cmdGateway:
		return "gateway-changed"
	case cmdReconfigure:
		return "reconfigure"
	}
	return "unknown"
}

// send queues a command; interrupt also cancels the step under way.
func (k *Keeper) send(c command, interrupt bool) {
	k.mu.Lock()
	// The same command twice in a row is one command (a user clicking
	// twice); this also bounds the queue.
	if n := len(k.queue); n == 0 || k.queue[n-1] != c {
		k.queue = append(k.queue, c)
	}
	if interrupt && k.cancelOp != nil {
		k.cancelOp()
	}
	k.mu.Unlock()
	select {
	case k.wake <- struct{}{}:
	default:
	}
}

// Login asks for a login now: automated when credentials are stored and
// the cap allows, otherwise in the user's browser. It returns at once.
func (k *Keeper) Login() { k.send(command{kind: cmdLogin}, false) }

// Logout ends the session (POST /logout) and stops automated logins until
// Login is called. It interrupts a login under way. It returns at once.
func (k *Keeper) Logout() { k.send(command{kind: cmdLogout}, true) }

// SelectAccount switches the selected account (multi-account users).
func (k *Keeper) SelectAccount(id string) {
	k.send(command{kind: cmdSelectAccount, account: id}, false)
}

// CheckNow checks the session at once, e.g. after the gateway (re)started.
func (k *Keeper) CheckNow() { k.send(command{kind: cmdCheckNow}, false) }

// ResetLoginCap is RetryLogin. It once wiped every count, which let a click
// defeat the cap; it stays for callers not yet moved to RetryLogin.
// New callers use RetryLogin.
func (k *Keeper) ResetLoginCap() { k.RetryLogin() }

// RetryLogin acknowledges the in-a-row login cap: it clears only that latch
// and starts exactly one automated attempt. The day's count stays; once the
// day's cap is reached it does nothing (Status.Offers.Retry is false then).
func (k *Keeper) RetryLogin() { k.send(command{kind: cmdRetry}, false) }

// LoginInBrowser opens the gateway's login page in the user's browser and
// waits for their login (State WaitingForManualLogin). Always allowed: it
// sends nothing that IBKR could count against the account.
func (k *Keeper) LoginInBrowser() { k.send(command{kind: cmdLoginBrowser}, true) }

// CancelLogin stops waiting for a manual login (and interrupts a login
// under way). It returns at once.
func (k *Keeper) CancelLogin() { k.send(command{kind: cmdCancelLogin}, true) }

// CredentialsChanged tells the keeper the stored credentials were changed
// (Settings, or "secrets set"): a rejection of the old ones no longer
// applies, and one automated attempt starts by itself.
func (k *Keeper) CredentialsChanged() { k.send(command{kind: cmdCredsChanged}, false) }

// GatewayFacts is what the supervisor says of the gateway, passed on by the
// runner so the session's reason never contradicts the supervisor's.
type GatewayFacts struct {
	// Up: the gateway process runs and answers (Running or Adopted).
	Up bool `json:"up"`
	// Starting: it is starting or restarting; not answering yet is expected.
	Starting bool `json:"starting"`
	// Problem is the supervisor's reason when it is not up for a reason of
	// its own (port taken by another program, failed, stopped by the user).
	Problem string `json:"problem,omitempty"`
	// BaseURL is where the gateway listens now ("" = unchanged).
	BaseURL string `json:"baseURL,omitempty"`
}

// GatewayChanged passes the supervisor's view on (the runner calls it on
// each change of the gateway).
// A gateway that starts or restarts ends a wait for a manual login: the
// login page the user has open belongs to the old process.
func (k *Keeper) GatewayChanged(g GatewayFacts) {
	k.mu.Lock()
	waiting := !k.status.Latches.ManualLoginUntil.IsZero()
	k.mu.Unlock()
	k.send(command{kind: cmdGateway, gateway: g}, g.Starting && waiting)
}

// Settings are the keeper's options that the user can change while it
// runs.
type Settings struct {
	TakeBackCompeting bool
	MaxFailedInRow    int
	MaxFailedPerDay   int
	// BrokerageWait is how long to wait for the brokerage session after a
	// successful login before counting it as a failure (LoginWait).
	BrokerageWait time.Duration
	// SecondFactor is how the next automated login answers the second
	// factor (login.FactorAuto: automatic).
	SecondFactor login.SecondFactor
	// ApprovalWait is how long a login waits for the IB Key tap (0: as
	// it is).
	ApprovalWait time.Duration
}

// Reconfigure applies changed settings at once.
func (k *Keeper) Reconfigure(s Settings) { k.send(command{kind: cmdReconfigure, settings: s}, false) }

func (k *Keeper) takeCommands() []command {
	k.mu.Lock()
	defer k.mu.Unlock()
	q := k.queue
	k.queue = nil
	return q
}

// op runs f with a context that Logout can cancel.
func (k *Keeper) op(ctx context.Context, f func(ctx context.Context) time.Duration) time.Duration {
	ctx, cancel := context.WithCancel(ctx)
	k.mu.Lock()
	k.cancelOp = cancel
	k.mu.Unlock()
	defer func() {
		k.mu.Lock()
		k.cancelOp = nil
		k.mu.Unlock()
		cancel()
	}()
	return f(ctx)
}

// wakeProbe is how often the loop compares the wall clock with the
// monotonic one to spot a sleep/wake of the computer. It makes no call.
const wakeProbe = time.Second

// Run keeps the session until ctx ends. Call it once.
func (k *Keeper) Run(ctx context.Context) error {
	k.loadCap()
	k.clocks.mark(k.o.Now())
	timer := time.NewTimer(0)
	defer timer.Stop()
	probe := time.NewTicker(wakeProbe)
	defer probe.Stop()
	commands := func() {
		for _, c := range k.takeCommands() {
			if ctx.Err() != nil {
				return
			}
			timer.Reset(k.op(ctx, func(ctx context.Context) time.Duration { return k.handle(ctx, c) }))
		}
	}
	// Commands sent before Run (the supervisor's first word: "starting")
	// come before the first check, so it is not read as "not running".
	commands()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-k.wake:
			commands()
		case <-timer.C:
			timer.Reset(k.op(ctx, k.step))
		case <-probe.C:
		}
		// Also after a long step: the computer may have slept during it.
		if jump := k.clocks.jumped(k.o.Now()); jump != 0 {
			k.log.Info("the computer's clock jumped (sleep and wake?); checking the session now", "jump", jump.Round(time.Second))
			timer.Reset(0)
		}
		k.clocks.mark(k.o.Now())
	}
}

func (k *Keeper) now() time.Time { return k.o.Now() }
