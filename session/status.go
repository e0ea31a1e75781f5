package session

import "time"

// State is where the session keeper stands. Values are explicit because they
// are written to the status endpoint and the state file.
type State int

const (
	GatewayDown      State = 1  // the gateway does not answer
	Connecting       State = 2  // first contact, or checking after a change
	NotAuthenticated State = 3  // gateway up, no usable session, nothing running to fix it
	Authenticated    State = 4  // brokerage session usable
	Competing        State = 5  // another session of the user holds the brokerage session
	Reauthenticating State = 6  // reauthenticate / ssodh/init under way
	LoggingIn        State = 7  // browser login under way
	NeedsManualLogin State = 8  // the user must log in (no credentials, bad credentials, ...)
	LoginLocked      State = 9  // the failed-attempt cap tripped: no more automated logins
	IBKRUnreachable  State = 10 // gateway answers "/", API calls time out
	// LoggedOut: the user logged out on purpose. Nothing is wrong and nothing
	// runs: no notification, no popup; the menu offers Log in.
	LoggedOut State = 11
	// IBKRErrors: IBKR answers, but with errors (HTTP 5xx, repeated 429) for
	// longer than a passing hiccup. Retried by itself, no logins meanwhile.
	IBKRErrors State = 12
	// WaitingForManualLogin: the user's browser was opened at the login page
	// and the keeper waits (until Status.ManualLoginUntil) for the session to
	// appear. An attention state: the user must act; CancelLogin ends it.
	WaitingForManualLogin State = 13
	// WaitingForApproval: IBKR sent the IB Key notification to the user's
	// phone and the automated login waits (until Latches.ApprovalUntil) for
	// their tap on Approve. An attention state; CancelLogin ends it.
	WaitingForApproval State = 14
)

func (s State) String() string {
	switch s {
	case GatewayDown:
		return "GatewayDown"
	case Connecting:
		return "Connecting"
	case NotAuthenticated:
		return "NotAuthenticated"
	case Authenticated:
		return "Authenticated"
	case Competing:
		return "Competing"
	case Reauthenticating:
		return "Reauthenticating"
	case LoggingIn:
		return "LoggingIn"
	case NeedsManualLogin:
		return "NeedsManualLogin"
	case LoginLocked:
		return "LoginLocked"
	case IBKRUnreachable:
		return "IBKRUnreachable"
	case LoggedOut:
		return "LoggedOut"
	case IBKRErrors:
		return "IBKRErrors"
	case WaitingForManualLogin:
		return "WaitingForManualLogin"
	case WaitingForApproval:
		return "WaitingForApproval"
	}
	return "Unknown"
}

// MarshalText writes the state by name in JSON and logs.
func (s State) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a state written by MarshalText.
func (s *State) UnmarshalText(b []byte) error {
	for v := GatewayDown; v <= WaitingForApproval; v++ {
		if v.String() == string(b) {
			*s = v
			return nil
		}
	}
	*s = 0
	return nil
}

// Status is a snapshot of the keeper, safe to keep and read from any
// goroutine. The keeper publishes a new one on every change.
type Status struct {
	State  State     `json:"state"`
	Reason string    `json:"reason"` // why we are in State, in words
	Since  time.Time `json:"since"`

	Auth AuthStatus `json:"auth"` // last auth status seen

	User            string   `json:"user,omitempty"`
	Paper           bool     `json:"paper"`
	Accounts        []string `json:"accounts,omitempty"`
	SelectedAccount string   `json:"selectedAccount,omitempty"`

	SSOExpires      time.Time `json:"ssoExpires,omitzero"` // when the SSO session ends, by the gateway's count
	LastTickle      time.Time `json:"lastTickle,omitzero"`
	LastLogin       time.Time `json:"lastLogin,omitzero"`
	LastLoginMethod string    `json:"lastLoginMethod,omitempty"` // "reauthenticate", "browser", "manual"
	LastError       string    `json:"lastError,omitempty"`

	FailedLoginsInRow int  `json:"failedLoginsInRow"`
	FailedLoginsToday int  `json:"failedLoginsToday"`
	LoginRunning      bool `json:"loginRunning"`
	CredentialsStored bool `json:"credentialsStored"`
	// SecondFactor is what the automated login answers IBKR's second
	// factor with: "totp", "ibkey" or "none" ("" while it is not known:
	// automatic, and the credentials not read yet).
	SecondFactor string `json:"secondFactor,omitempty"`

	// Cause names, stably, why the session is in State (see Cause). The
	// notifier coalesces by it: the same cause again is a repeat, a new one
	// is news.
	Cause Cause `json:"cause,omitempty"`
	// NeedsYou is set when nothing will bring the session back without a
	// person: the tray turns to attention, the desktop is notified, hooks
	// get IBKR_TRAY_NEEDS_YOU=1. Surfaces read it; none infers it.
	NeedsYou bool `json:"needsYou"`
	// Offers are the actions that fit the cause now. Menus, the popup and the
	// CLI show these and no others.
	Offers Offers `json:"offers"`
	// Latches are the facts that change what the keeper does until a person
	// acts. Every surface reads them here.
	Latches Latches `json:"latches"`

	// LastGoodCheck is when a check last got a usable answer from IBKR
	// (any state). ReadyUntil is when /readyz stops saying 200 unless a new
	// good check of an authenticated session comes first: about two tickle
	// intervals plus the request timeout after the last one.
	LastGoodCheck time.Time `json:"lastGoodCheck,omitzero"`
	ReadyUntil    time.Time `json:"readyUntil,omitzero"`
	// ErrorsInRow counts checks in a row that failed with 5xx, 429 or an
	// unusable answer; the keeper moves to IBKRErrors when they last.
	ErrorsInRow int `json:"errorsInRow,omitempty"`
}

// Ready reports whether a program may use the session at now: authenticated,
// with a good check recent enough to vouch for it. /readyz, the CLI's exit
// status and hooks all use this one test.
func (s Status) Ready(now time.Time) bool {
	return s.State == Authenticated && now.Before(s.ReadyUntil)
}

// Cause is a stable, machine-readable name for why the session is where it
// is. The reason (Status.Reason) is the same in words.
type Cause string

// The causes. Their strings are written to the status endpoint, hooks and
// metrics: do not rename them.
const (
	CauseNone                Cause = ""
	CauseStarting            Cause = "starting"             // the app or the gateway is starting
	CauseGatewayDown         Cause = "gateway-down"         // the gateway is not running or does not answer
	CauseGatewayProblem      Cause = "gateway-problem"      // the supervisor reports a problem (port taken, failed): its reason applies
	CauseIBKRUnreachable     Cause = "ibkr-unreachable"     // the gateway answers, IBKR behind it does not
	CauseIBKRErrors          Cause = "ibkr-errors"          // IBKR answers with 5xx again and again
	CauseRateLimited         Cause = "rate-limited"         // IBKR answers 429
	CauseBrokerageLost       Cause = "brokerage-lost"       // recovering: the brokerage session ended
	CauseSessionLost         Cause = "session-lost"         // recovering: the SSO login ended
	CauseBrokerageLate       Cause = "brokerage-late"       // logged in, waiting for the brokerage session to open
	CauseBrokerageRefused    Cause = "brokerage-refused"    // logged in, the brokerage session never opens, remedies tried
	CauseCompeting           Cause = "competing"            // another session of this username holds the brokerage session
	CauseNoCredentials       Cause = "no-credentials"       // nothing stored for automated login
	CauseCredentialsLocked   Cause = "credentials-locked"   // the keyring is locked or unreachable
	CauseNoBrowser           Cause = "no-browser"           // no Chromium/Chrome for automated login
	CauseBadCredentials      Cause = "bad-credentials"      // IBKR rejected the username or password
	CauseUserLocked          Cause = "user-locked"          // IBKR locked the username
	CauseWrongMode           Cause = "wrong-mode"           // paper/live mode does not match the user
	CauseCodeRefused         Cause = "code-refused"         // IBKR refused the TOTP code (retry scheduled)
	CauseLoginFailed         Cause = "login-failed"         // an automated login failed; retry scheduled
	CauseCapInRow            Cause = "cap-in-row"           // too many failed logins in a row: Retry offered
	CauseCapPerDay           Cause = "cap-per-day"          // too many failed logins today: browser login only
	CauseCapUnreadable       Cause = "cap-unreadable"       // the login record is unreadable: count unknown
	CauseManualLoginWait     Cause = "manual-login-wait"    // waiting for the user's browser login
	CauseManualLoginTimedOut Cause = "manual-login-timeout" // no browser login was seen in time
	CauseLoggedOut           Cause = "logged-out"           // the user logged out
	CauseLogoutFailed        Cause = "logout-failed"        // the user's logout did not go through
	CauseBroken              Cause = "broken"               // an answer that is no use (not the gateway, access denied)
	CauseApproveOnPhone      Cause = "approve-on-phone"     // IBKR sent the IB Key notification: approve the login in IBKR Mobile
	CauseApprovalDenied      Cause = "approval-denied"      // the login was denied in IBKR Mobile; no new notification until you act
	CauseApprovalMissed      Cause = "approval-missed"      // the notification was not approved in time; no new one until you act
)

// Offers are the user actions that fit the session's cause now.
type Offers struct {
	// Login: "Log in" (automated when allowed, else in the browser).
	Login bool `json:"login"`
	// LoginInBrowser: open the gateway's login page in the user's browser
	// and wait for their login.
	LoginInBrowser bool `json:"loginInBrowser"`
	// Retry: acknowledge the in-a-row cap and make exactly one automated
	// attempt. Never offered once the day's cap is reached.
	Retry bool `json:"retry"`
	// OpenSettings: the fix is in the settings (credentials, mode).
	OpenSettings bool `json:"openSettings"`
	// CancelLogin: stop waiting for a manual login (or stop a login).
	CancelLogin bool `json:"cancelLogin"`
	// TakeBack: take the brokerage session back from a competing one.
	TakeBack bool `json:"takeBack"`
}

// Latches are the keeper's memory that outlives one check: each changes what
// it does until a person acts.
type Latches struct {
	// LoggedOutByUser: the user logged out; no automated login until they
	// log in.
	LoggedOutByUser bool `json:"loggedOutByUser"`
	// CapTripped is CauseCapInRow, CauseCapPerDay or CauseCapUnreadable when
	// the failed-login cap stops automated logins ("" when open).
	CapTripped Cause `json:"capTripped,omitempty"`
	// CapLastFailure is the failure that tripped the cap, in words.
	CapLastFailure string `json:"capLastFailure,omitempty"`
	// CredentialsRejected is CauseBadCredentials, CauseUserLocked or
	// CauseWrongMode after IBKR refused the stored credentials: automated
	// login with the same credentials is refused until they change.
	CredentialsRejected Cause `json:"credentialsRejected,omitempty"`
	// ManualLoginUntil is set while waiting for the user's browser login.
	ManualLoginUntil time.Time `json:"manualLoginUntil,omitzero"`
	// NoBrowser says, in words, why no browser can log in automatically.
	NoBrowser string `json:"noBrowser,omitempty"`
	// CredentialsUnreadable says why the stored credentials could not be
	// read (a locked keyring); not asked again until the user acts.
	CredentialsUnreadable string `json:"credentialsUnreadable,omitempty"`
	// BrokerageRefused: logins succeed but the brokerage session never
	// opens, and every remedy was tried; no more logins until a person acts.
	BrokerageRefused bool `json:"brokerageRefused"`
	// BrokerageRemedy is the rung of the remedies tried, cheapest first,
	// while logins succeed but the brokerage session never opens: 0 none,
	// 1 ssodh/init with compete next, 2 a fresh login next, 3 a gateway
	// restart next, 4 one last login next (then BrokerageRefused).
	BrokerageRemedy int `json:"brokerageRemedy,omitempty"`
	// LoginNotBefore: the next automated login waits until then (after a
	// failure).
	LoginNotBefore time.Time `json:"loginNotBefore,omitzero"`
	// ApprovalUntil is set while WaitingForApproval: when the login stops
	// waiting for the tap in IBKR Mobile.
	ApprovalUntil time.Time `json:"approvalUntil,omitzero"`
	// ApprovalUnanswered is CauseApprovalDenied or CauseApprovalMissed
	// after an IB Key notification was denied, not answered in time, or
	// its wait stopped: no automated login sends another by itself until
	// the user acts (Log in, Retry, changed credentials) or a session
	// appears. It never counts against the login cap: IBKR rejected nothing.
	ApprovalUnanswered Cause `json:"approvalUnanswered,omitempty"`
}
