package session

import (
	"fmt"
	"time"

	"github.com/ibkr-tray/ibkr-tray/session/login"
)

// The session policy: every decision the keeper makes, as pure functions of
// what it saw, what it remembers (Status.Latches and the login cap) and what
// happened. The keeper's loop (keeper*.go) gathers the facts, asks these
// functions, and carries out the action they name; it decides nothing
// itself. docs/design.md ("The session policy") has the same table in words.
//
// Read in this order:
//   - onCommand: what a user's command changes in the latches;
//   - decide: from a check's finding (after a command, or on a tick) to the
//     state, cause, reason and the next action;
//   - loginBlocker: why an automated login may not run now;
//   - afterBrokerageRefused: the ladder of remedies when logins succeed
//     but the brokerage session never opens;
//   - present: what each cause needs from the user and offers them;
//   - shownFactor: the second factor the status names.

// event is what the policy is asked about.
type event int

const (
	evCheck              event = 1 // a tick, or CheckNow: a check found something
	evLogin              event = 2 // the user chose Log in
	evRetry              event = 3 // the user chose Retry (acknowledging the cap)
	evLoginInBrowser     event = 4 // the user chose Log in in the browser
	evCancelLogin        event = 5 // the user cancelled the wait for a manual login
	evCredentialsChanged event = 6 // the stored credentials changed
	evLogout             event = 7 // the user chose Log out
	evGateway            event = 8 // the supervisor's view of the gateway changed
)

func (e event) String() string {
	switch e {
	case evCheck:
		return "check"
	case evLogin:
		return "login"
	case evRetry:
		return "retry"
	case evLoginInBrowser:
		return "login-in-browser"
	case evCancelLogin:
		return "cancel-login"
	case evCredentialsChanged:
		return "credentials-changed"
	case evLogout:
		return "logout"
	case evGateway:
		return "gateway-changed"
	}
	return "unknown"
}

// action is what the loop does next. Each is carried out by one function of
// the keeper.
type action int

const (
	doWait           action = 0 // nothing; check again after the wait
	doReauthenticate action = 1 // reauthenticate, then ssodh/init (the SSO login is alive)
	doTakeBack       action = 2 // ssodh/init with compete: take the brokerage session back
	doLogin          action = 3 // one automated browser login (a refused code may be tried once more)
	doRetryLogin     action = 4 // exactly one automated browser login (Retry: no second code)
	doManualLogin    action = 5 // open the user's browser at the login page and wait
	doInitCompete    action = 6 // remedy 1 of a brokerage session that never opens
	doFreshLogin     action = 7 // remedy 2: log out, then one fresh login
	doRestartGateway action = 8 // remedy 3: restart the gateway once
	doLogout         action = 9 // POST /logout (the user asked)
)

func (a action) String() string {
	switch a {
	case doWait:
		return "wait"
	case doReauthenticate:
		return "reauthenticate"
	case doTakeBack:
		return "take-back"
	case doLogin:
		return "login"
	case doRetryLogin:
		return "retry-login"
	case doManualLogin:
		return "manual-login"
	case doInitCompete:
		return "ssodh/init-compete"
	case doFreshLogin:
		return "fresh-login"
	case doRestartGateway:
		return "restart-gateway"
	case doLogout:
		return "logout"
	}
	return "unknown"
}

// waitKind says how long the loop waits after the decision.
type waitKind int

const (
	waitTickle  waitKind = 0 // the tickle interval
	waitBackoff waitKind = 1 // a growing wait, capped so an outage's end is seen within 20 s
	waitLogin   waitKind = 2 // until Latches.LoginNotBefore (at most a tickle interval)
	waitNone    waitKind = 3 // check again at once
)

// credsFact is what the credential store said.
type credsFact int

const (
	credsUnknown    credsFact = 0 // not read (nothing needed them)
	credsStored     credsFact = 1
	credsNone       credsFact = 2 // nothing stored, or incomplete
	credsUnreadable credsFact = 3 // the store failed (locked keyring): Latches.CredentialsUnreadable says why
)

// Brokerage remedies (Latches.BrokerageRemedy): what to try next when
// logins succeed but the brokerage session never opens. Each is tried once,
// cheapest first; a login after each counts against the cap.
const (
	remedyNone        = 0 // nothing wrong
	remedyInit        = 1 // a login's brokerage session never opened: ssodh/init with compete next
	remedyFreshLogin  = 2 // that did not help: log out and log in once more
	remedyRestart     = 3 // the fresh login's did not open either: restart the gateway
	remedyLastLogin   = 4 // after the restart (or after Retry): one more login, then stop
	maxBrokerageLogin = 4 // at most this many logins per ladder, whatever happens
)

// policyInput is everything a decision depends on.
type policyInput struct {
	Event   event
	Found   finding
	ErrText string // the failed call's sentence, for the reason
	// RateLimited: the last error was a 429; HTTPStatus its status.
	RateLimited bool
	HTTPStatus  int
	ErrorsInRow int

	Now     time.Time
	State   State // the state now (a passing error keeps it)
	Cause   Cause
	Reason  string
	Latches Latches
	Gateway GatewayFacts

	Creds credsFact
	// SameRejected: the stored credentials are the ones IBKR rejected (or
	// no fingerprint of those is known).
	SameRejected bool

	Cap         capReason // what the login cap says
	DayCapFull  bool      // today's failures reached the day's limit
	InRow       int       // failed logins in a row
	Today       int       // failed logins today
	LastFailure string    // the last automated login failure, in words (for the cap's reason)
	CodeRefused bool      // the last failure was a refused security code

	ReauthDue   bool // reauthenticate may run (not within its back-off)
	TakeBack    bool // the "Take the session back" setting
	TakeBackDue bool // not within a minute of the last automatic take-back
	CanRestart  bool // a supervisor can restart the gateway

	// MayPush: the next automated login may send an IB Key notification
	// (the factor is IB Key, or automatic; see mayPush).
	MayPush bool
	// ApprovalWait is how long a login waits for the tap in IBKR Mobile.
	ApprovalWait time.Duration
	// ApprovalProblem is the keeper's sentence for the unanswered
	// notification ("" = the cause's usual one).
	ApprovalProblem string
}

// decision is the policy's answer.
type decision struct {
	// Keep: leave state, cause and reason as they are (a passing error).
	Keep   bool
	State  State
	Cause  Cause
	Reason string
	Do     action
	Wait   waitKind
}

// commandEffect is what a command changes before the session is checked.
type commandEffect struct {
	Latches Latches
	// AllowOneInRow lets exactly one more automated login past the in-a-row
	// cap: the count drops to one below the limit, so a failure trips it
	// again. The day's count never changes.
	AllowOneInRow bool
	// ResetUnreadableCap starts a new record when the old one could not be
	// read (the user acknowledged that the count is unknown).
	ResetUnreadableCap bool
	// Refused names why the command does nothing ("" = it applies).
	Refused string
	// RereadCredentials: forget that the store failed and read it again.
	RereadCredentials bool
}

// onCommand is what a user's command changes in the latches. It never
// clears the day's count, and no command lets an automated login send
// credentials IBKR rejected (only a change of them does).
func onCommand(ev event, l Latches, c capReason, dayCapFull bool) commandEffect {
	e := commandEffect{Latches: l}
	switch ev {
	case evLogin:
		e.Latches.LoggedOutByUser = false
		e.Latches.LoginNotBefore = time.Time{} // the user asked: no wait
		e.Latches.ApprovalUnanswered = ""      // the user asked: exactly one new notification
		e.Latches.CredentialsUnreadable = ""   // the user may have unlocked the keyring
		e.RereadCredentials = true
	case evRetry:
		switch {
		case l.CredentialsRejected != "":
			e.Refused = "IBKR rejected these credentials; change them first (Settings, or ibkr-tray secrets set)"
		case dayCapFull || c == capPerDay:
			e.Refused = "today's failed-login limit is reached; only a login in the browser is possible today"
		default:
			e.Latches.LoggedOutByUser = false
			e.Latches.LoginNotBefore = time.Time{}
			e.Latches.CapTripped = ""
			e.Latches.ApprovalUnanswered = ""
			e.Latches.NoBrowser = ""             // a browser may be installed now
			e.Latches.CredentialsUnreadable = "" // the keyring may be unlocked now
			e.RereadCredentials = true
			if l.BrokerageRefused || l.BrokerageRemedy != remedyNone {
				// One more login, and the ladder ends if its brokerage
				// session does not open either.
				e.Latches.BrokerageRefused = false
				e.Latches.BrokerageRemedy = remedyLastLogin
			}
			e.AllowOneInRow = true
			e.ResetUnreadableCap = c == capUnreadable
		}
	case evCredentialsChanged:
		e.Latches.CredentialsRejected = ""
		e.Latches.CredentialsUnreadable = ""
		e.Latches.BrokerageRefused = false // a second username is the documented remedy
		e.Latches.BrokerageRemedy = remedyNone
		e.Latches.LoginNotBefore = time.Time{}
		e.Latches.CapTripped = ""
		e.Latches.ApprovalUnanswered = "" // the user acted: their one attempt may notify the phone
		e.RereadCredentials = true
		if !dayCapFull && c != capPerDay {
			e.AllowOneInRow = true // new credentials: one attempt starts by itself
		}
	case evLoginInBrowser:
		// Nothing changes until the user's login is seen. An unanswered
		// notification stays latched through the wait, so a Cancel
		// returns to it and sends no new one; the session appearing
		// clears it.
	case evCancelLogin:
		e.Latches.ManualLoginUntil = time.Time{}
		e.Latches.ApprovalUntil = time.Time{}
	case evLogout:
		e.Latches.LoggedOutByUser = true
		e.Latches.ManualLoginUntil = time.Time{}
		e.Latches.ApprovalUntil = time.Time{}
		e.Latches.BrokerageRemedy = remedyNone
	}
	return e
}

// errorsForState is how many checks in a row must fail with 5xx or 429
// before the state says so: with the capped back-off that is under 30 s,
// and one passing hiccup changes nothing.
const errorsForState = 3

// decide is the session policy: from a finding, the latches and the event
// to the state, the cause, the reason and the next action.
func decide(in policyInput) decision {
	switch in.Event {
	case evLogout:
		return decision{State: in.State, Cause: in.Cause, Reason: in.Reason, Do: doLogout}
	case evLoginInBrowser:
		return decision{State: WaitingForManualLogin, Cause: CauseManualLoginWait, Reason: msgManualWait, Do: doManualLogin}
	}
	userAsked := in.Event == evLogin
	retry := in.Event == evRetry
	switch in.Found {
	case foundAuthenticated:
		return decision{State: Authenticated, Reason: msgAuthenticated}
	case foundCompeting:
		if userAsked || (in.TakeBack && in.TakeBackDue) {
			return decision{State: Reauthenticating, Cause: CauseCompeting, Reason: msgTakingBack, Do: doTakeBack}
		}
		reason := msgCompeting
		if in.TakeBack {
			reason = msgCompetingAgain
		}
		return decision{State: Competing, Cause: CauseCompeting, Reason: reason}
	case foundGatewayDown:
		return gatewayDecision(in)
	case foundIBKRUnreachable:
		if in.Gateway.Problem != "" {
			return gatewayDecision(in)
		}
		return decision{State: IBKRUnreachable, Cause: CauseIBKRUnreachable, Reason: msgIBKRUnreachable, Wait: waitBackoff}
	case foundTrouble:
		if in.ErrorsInRow < errorsForState {
			return decision{Keep: true, Wait: waitBackoff}
		}
		if in.RateLimited {
			return decision{State: IBKRErrors, Cause: CauseRateLimited, Reason: msgRateLimited, Wait: waitBackoff}
		}
		return decision{State: IBKRErrors, Cause: CauseIBKRErrors, Reason: fmt.Sprintf(msgIBKRErrors, in.HTTPStatus, in.ErrorsInRow), Wait: waitBackoff}
	case foundBroken:
		if in.Gateway.Problem != "" {
			return gatewayDecision(in)
		}
		return decision{State: NotAuthenticated, Cause: CauseBroken, Reason: in.ErrText, Wait: waitBackoff}
	case foundCanceled:
		return decision{Keep: true, Wait: waitTickle}
	}
	// The session is lost: foundBrokerageLost (the SSO login is alive) or
	// foundNoSession.
	ssoAlive := in.Found == foundBrokerageLost
	lost := CauseSessionLost
	if ssoAlive {
		lost = CauseBrokerageLost
	}
	if in.Latches.LoggedOutByUser && !userAsked && !retry {
		return decision{State: LoggedOut, Cause: CauseLoggedOut, Reason: msgLoggedOut}
	}
	if r := in.Latches.BrokerageRemedy; r != remedyNone && r != remedyLastLogin && !userAsked && !retry {
		return brokerageDecision(in, ssoAlive)
	}
	if ssoAlive && in.ReauthDue && in.Latches.BrokerageRemedy == remedyNone && !in.Latches.BrokerageRefused && !retry {
		return decision{State: Reauthenticating, Cause: CauseBrokerageLost, Reason: msgReauthenticating, Do: doReauthenticate}
	}
	if b, blocked := loginBlocker(in, userAsked || retry); blocked {
		if userAsked {
			// Log in: automated is not allowed, so the user's own browser.
			return decision{State: WaitingForManualLogin, Cause: CauseManualLoginWait, Reason: msgManualWait + " (" + b.Reason + ")", Do: doManualLogin}
		}
		return b
	}
	d := decision{State: LoggingIn, Cause: lost, Reason: msgLoggingIn, Do: doLogin}
	if retry {
		d.Do = doRetryLogin
	}
	return d
}

// gatewayDecision is the session's word when the gateway does not answer:
// never in contradiction with the supervisor's.
func gatewayDecision(in policyInput) decision {
	switch {
	case in.Gateway.Problem != "":
		return decision{State: GatewayDown, Cause: CauseGatewayProblem, Reason: in.Gateway.Problem}
	case in.Gateway.Starting:
		return decision{State: Connecting, Cause: CauseStarting, Reason: msgStarting}
	}
	return decision{State: GatewayDown, Cause: CauseGatewayDown, Reason: in.ErrText}
}

// brokerageDecision is the next remedy when logins succeed but the
// brokerage session never opens.
func brokerageDecision(in policyInput, ssoAlive bool) decision {
	switch r := in.Latches.BrokerageRemedy; {
	case r == remedyInit && ssoAlive:
		return decision{State: Reauthenticating, Cause: CauseBrokerageLate, Reason: msgRemedyInit, Do: doInitCompete}
	case r == remedyInit || r == remedyFreshLogin:
		if b, blocked := loginBlocker(in, false); blocked {
			return b
		}
		return decision{State: LoggingIn, Cause: CauseBrokerageLate, Reason: msgRemedyFreshLogin, Do: doFreshLogin}
	case r == remedyRestart && in.CanRestart:
		return decision{State: Connecting, Cause: CauseStarting, Reason: msgRemedyRestart, Do: doRestartGateway}
	}
	return decision{State: NeedsManualLogin, Cause: CauseBrokerageRefused, Reason: msgBrokerageRefused}
}

// afterBrokerageRefused is the next remedy after a login (or ssodh/init)
// whose brokerage session never opened: ssodh/init with compete, then a
// fresh login, then one gateway restart and a last login, then stop.
func afterBrokerageRefused(remedy int, canRestart bool) (next int, refused bool) {
	switch remedy {
	case remedyNone:
		return remedyInit, false
	case remedyInit:
		return remedyFreshLogin, false
	case remedyFreshLogin:
		if canRestart {
			return remedyRestart, false
		}
	}
	return remedyNone, true
}

// loginBlocker says why an automated login may not start now, as the
// decision to publish instead; blocked is false when it may. asked is set
// when the user asked for a login (Log in, Retry): it waives the wait after
// a failure, nothing else.
func loginBlocker(in policyInput, asked bool) (d decision, blocked bool) {
	l := in.Latches
	switch {
	case in.Creds == credsUnreadable:
		return decision{State: NeedsManualLogin, Cause: CauseCredentialsLocked, Reason: l.CredentialsUnreadable}, true
	case in.Creds == credsNone:
		return decision{State: NeedsManualLogin, Cause: CauseNoCredentials, Reason: msgNoCredentials}, true
	case l.CredentialsRejected != "" && in.SameRejected:
		return decision{State: NeedsManualLogin, Cause: l.CredentialsRejected, Reason: rejectedSentence(l.CredentialsRejected)}, true
	case l.BrokerageRefused:
		return decision{State: NeedsManualLogin, Cause: CauseBrokerageRefused, Reason: msgBrokerageRefused}, true
	case in.Cap == capUnreadable:
		return decision{State: LoginLocked, Cause: CauseCapUnreadable, Reason: fmt.Sprintf(msgCapUnreadable, in.LastFailure)}, true
	case in.Cap == capInRow:
		return decision{State: LoginLocked, Cause: CauseCapInRow, Reason: fmt.Sprintf(msgCapInRow, in.InRow) + lastFailure(in.LastFailure)}, true
	case in.Cap == capPerDay:
		return decision{State: LoginLocked, Cause: CauseCapPerDay, Reason: fmt.Sprintf(msgCapPerDay, in.Today) + lastFailure(in.LastFailure)}, true
	case l.NoBrowser != "":
		return decision{State: NeedsManualLogin, Cause: CauseNoBrowser, Reason: l.NoBrowser}, true
	case l.ApprovalUnanswered != "" && in.MayPush:
		// Not more than one notification in a row without the user: the
		// phone may be away, and each one is a prompt on it.
		return decision{State: NeedsManualLogin, Cause: l.ApprovalUnanswered, Reason: approvalSentence(in)}, true
	case !asked && in.Now.Before(l.LoginNotBefore):
		cause := CauseLoginFailed
		if in.CodeRefused {
			cause = CauseCodeRefused
		}
		return decision{State: NotAuthenticated, Cause: cause, Wait: waitLogin,
			Reason: fmt.Sprintf("automated login failed: %s Trying again in %s.", in.LastFailure, Words(l.LoginNotBefore.Sub(in.Now)))}, true
	}
	return decision{}, false
}

// approvalSentence says why no new IB Key notification goes out.
func approvalSentence(in policyInput) string {
	switch {
	case in.Latches.ApprovalUnanswered == CauseApprovalDenied:
		return msgApprovalDenied
	case in.ApprovalProblem != "":
		return in.ApprovalProblem
	}
	return fmt.Sprintf(msgApprovalMissed, Words(in.ApprovalWait))
}

func lastFailure(s string) string {
	if s == "" {
		return ""
	}
	return " The last failure: " + s
}

// presentation is what a cause asks of the user.
type presentation struct {
	NeedsYou bool
	Offers   Offers
}

// causeTable: for each cause, whether a person must act, and the actions
// that fit. present adjusts Retry and Log in in the browser to the latches.
var causeTable = map[Cause]presentation{
	CauseNone:                {},
	CauseStarting:            {},
	CauseGatewayDown:         {},
	CauseGatewayProblem:      {NeedsYou: true},
	CauseIBKRUnreachable:     {},
	CauseIBKRErrors:          {},
	CauseRateLimited:         {},
	CauseBrokerageLost:       {Offers: Offers{LoginInBrowser: true}},
	CauseSessionLost:         {Offers: Offers{LoginInBrowser: true, CancelLogin: true}},
	CauseBrokerageLate:       {Offers: Offers{LoginInBrowser: true}},
	CauseBrokerageRefused:    {NeedsYou: true, Offers: Offers{LoginInBrowser: true, Retry: true}},
	CauseCompeting:           {NeedsYou: true, Offers: Offers{TakeBack: true, OpenSettings: true}},
	CauseNoCredentials:       {NeedsYou: true, Offers: Offers{LoginInBrowser: true, OpenSettings: true}},
	CauseCredentialsLocked:   {NeedsYou: true, Offers: Offers{Login: true, LoginInBrowser: true, Retry: true}},
	CauseNoBrowser:           {NeedsYou: true, Offers: Offers{LoginInBrowser: true, OpenSettings: true, Retry: true}},
	CauseBadCredentials:      {NeedsYou: true, Offers: Offers{LoginInBrowser: true, OpenSettings: true}},
	CauseUserLocked:          {NeedsYou: true, Offers: Offers{LoginInBrowser: true, OpenSettings: true}},
	CauseWrongMode:           {NeedsYou: true, Offers: Offers{LoginInBrowser: true, OpenSettings: true}},
	CauseCodeRefused:         {Offers: Offers{Login: true, LoginInBrowser: true, OpenSettings: true}},
	CauseLoginFailed:         {Offers: Offers{Login: true, LoginInBrowser: true}},
	CauseCapInRow:            {NeedsYou: true, Offers: Offers{Retry: true, LoginInBrowser: true}},
	CauseCapPerDay:           {NeedsYou: true, Offers: Offers{LoginInBrowser: true}},
	CauseCapUnreadable:       {NeedsYou: true, Offers: Offers{Retry: true, LoginInBrowser: true}},
	CauseManualLoginWait:     {NeedsYou: true, Offers: Offers{LoginInBrowser: true, CancelLogin: true}},
	CauseManualLoginTimedOut: {NeedsYou: true, Offers: Offers{LoginInBrowser: true}},
	CauseLoggedOut:           {Offers: Offers{Login: true, LoginInBrowser: true}},
	CauseLogoutFailed:        {NeedsYou: true, Offers: Offers{Login: true}},
	CauseBroken:              {NeedsYou: true, Offers: Offers{OpenSettings: true}},
	CauseApproveOnPhone:      {NeedsYou: true, Offers: Offers{CancelLogin: true}},
	CauseApprovalDenied:      {NeedsYou: true, Offers: Offers{Login: true, LoginInBrowser: true}},
	CauseApprovalMissed:      {NeedsYou: true, Offers: Offers{Login: true, LoginInBrowser: true}},
}

// present is what the status shows for a state and cause: whether a person
// must act, and the actions that fit.
func present(state State, cause Cause, l Latches, dayCapFull bool) presentation {
	p := causeTable[cause]
	switch state {
	case LoggingIn:
		// An automated login runs: it can be stopped; nothing else to do.
		p = presentation{Offers: Offers{CancelLogin: true}}
	case Reauthenticating, Connecting, Authenticated:
		p.Offers.LoginInBrowser = false
	}
	if dayCapFull || l.CredentialsRejected != "" {
		p.Offers.Retry = false
	}
	if l.CredentialsRejected != "" && cause != CauseManualLoginWait && state != Authenticated {
		p.Offers.OpenSettings = true
		p.Offers.Login = false
	}
	return p
}

// factorFacts are what the keeper knows of the second factor.
type factorFacts struct {
	Setting      login.SecondFactor // the setting (FactorAuto = automatic)
	CredsRead    bool               // the credentials were read in this run
	SecretStored bool               // they hold a TOTP secret
	Paper        bool               // the paper-trading login
	// LoggedIn: an automated login succeeded in this run; Answered is the
	// factor that answered it ("" = none was asked).
	LoggedIn bool
	Answered login.SecondFactor
}

// shownFactor is what Status.SecondFactor says the automated login answers
// with: the setting when one is chosen; for automatic, the authenticator
// app when a TOTP secret is stored, else what the last login answered
// with, else IB Key for live users and none for paper. "" while automatic
// and the credentials have not been read (reading them only for this could
// ask the user to unlock the keyring).
func shownFactor(f factorFacts) string {
	switch {
	case f.Setting != login.FactorAuto:
		return string(f.Setting)
	case !f.CredsRead:
		return ""
	case f.SecretStored:
		return string(login.FactorTOTP)
	case f.LoggedIn && f.Answered == "":
		return string(login.FactorNone)
	case f.LoggedIn:
		return string(f.Answered)
	case f.Paper:
		return string(login.FactorNone)
	}
	return string(login.FactorIBKey)
}

// mayPush says whether a login may send an IB Key notification: with IB
// Key chosen, or automatic (the login picks IB Key when the page offers it
// and no TOTP secret is stored, or when the page offers nothing else).
func mayPush(setting login.SecondFactor) bool {
	return setting == login.FactorAuto || setting == login.FactorIBKey
}
