package session

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ibkr-tray/ibkr-tray/session/login"
)

var policyNow = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

// lost is the input for a session found gone, with stored credentials and
// nothing latched: an automated login is allowed.
func lost(mod func(in *policyInput)) policyInput {
	in := policyInput{Event: evCheck, Found: foundNoSession, Now: policyNow, State: Authenticated,
		Creds: credsStored, ReauthDue: true, TakeBackDue: true}
	if mod != nil {
		mod(&in)
	}
	return in
}

func TestDecide(t *testing.T) {
	cases := []struct {
		name   string
		in     policyInput
		state  State
		cause  Cause
		do     action
		keep   bool
		reason string // a part of the reason
	}{
		{name: "a usable session is kept", in: lost(func(in *policyInput) { in.Found = foundAuthenticated }),
			state: Authenticated, cause: CauseNone, do: doWait},
		{name: "a lost brokerage session with the SSO alive is reauthenticated",
			in:    lost(func(in *policyInput) { in.Found = foundBrokerageLost }),
			state: Reauthenticating, cause: CauseBrokerageLost, do: doReauthenticate},
		{name: "after a reauthenticate that did not help, a login",
			in:    lost(func(in *policyInput) { in.Found = foundBrokerageLost; in.ReauthDue = false }),
			state: LoggingIn, cause: CauseBrokerageLost, do: doLogin},
		{name: "a lost SSO login is a browser login", in: lost(nil), state: LoggingIn, cause: CauseSessionLost, do: doLogin},
		{name: "logged out by the user: nothing runs, nothing needs you",
			in:    lost(func(in *policyInput) { in.Latches.LoggedOutByUser = true }),
			state: LoggedOut, cause: CauseLoggedOut, do: doWait},
		{name: "Log in after a logout logs in",
			in:    lost(func(in *policyInput) { in.Event = evLogin; in.Latches.LoggedOutByUser = true }),
			state: LoggingIn, cause: CauseSessionLost, do: doLogin},
		{name: "no credentials: the user must log in",
			in:    lost(func(in *policyInput) { in.Creds = credsNone }),
			state: NeedsManualLogin, cause: CauseNoCredentials, do: doWait, reason: "no login details"},
		{name: "Log in with no credentials opens the user's browser",
			in:    lost(func(in *policyInput) { in.Event = evLogin; in.Creds = credsNone }),
			state: WaitingForManualLogin, cause: CauseManualLoginWait, do: doManualLogin},
		{name: "a locked keyring: the user must log in",
			in: lost(func(in *policyInput) {
				in.Creds = credsUnreadable
				in.Latches.CredentialsUnreadable = "the keyring is locked"
			}),
			state: NeedsManualLogin, cause: CauseCredentialsLocked, do: doWait, reason: "the keyring is locked"},
		{name: "rejected credentials are not sent again",
			in: lost(func(in *policyInput) {
				in.Latches.CredentialsRejected = CauseBadCredentials
				in.SameRejected = true
			}),
			state: NeedsManualLogin, cause: CauseBadCredentials, do: doWait, reason: "rejected the username or password"},
		{name: "Log in after a rejection is the browser login, never the same credentials",
			in: lost(func(in *policyInput) {
				in.Event = evLogin
				in.Latches.CredentialsRejected = CauseBadCredentials
				in.SameRejected = true
			}),
			state: WaitingForManualLogin, cause: CauseManualLoginWait, do: doManualLogin},
		{name: "Retry after a rejection is not an automated login either",
			in: lost(func(in *policyInput) {
				in.Event = evRetry
				in.Latches.CredentialsRejected = CauseUserLocked
				in.SameRejected = true
			}),
			state: NeedsManualLogin, cause: CauseUserLocked, do: doWait},
		{name: "changed credentials after a rejection log in",
			in: lost(func(in *policyInput) {
				in.Latches.CredentialsRejected = CauseBadCredentials
				in.SameRejected = false
			}),
			state: LoggingIn, cause: CauseSessionLost, do: doLogin},
		{name: "the in-row cap stops automated logins",
			in:    lost(func(in *policyInput) { in.Cap = capInRow; in.InRow = 3 }),
			state: LoginLocked, cause: CauseCapInRow, do: doWait, reason: "choose Retry"},
		{name: "Retry past the in-row cap is exactly one attempt",
			in:    lost(func(in *policyInput) { in.Event = evRetry }),
			state: LoggingIn, cause: CauseSessionLost, do: doRetryLogin},
		{name: "the day's cap stops automated logins",
			in:    lost(func(in *policyInput) { in.Cap = capPerDay; in.Today = 10; in.DayCapFull = true }),
			state: LoginLocked, cause: CauseCapPerDay, do: doWait, reason: "Log in in the browser"},
		{name: "an unreadable record stops automated logins",
			in:    lost(func(in *policyInput) { in.Cap = capUnreadable; in.LastFailure = "damaged" }),
			state: LoginLocked, cause: CauseCapUnreadable, do: doWait},
		{name: "no browser: the user must log in",
			in:    lost(func(in *policyInput) { in.Latches.NoBrowser = "no Chromium" }),
			state: NeedsManualLogin, cause: CauseNoBrowser, do: doWait},
		{name: "after a failed login, wait before the next",
			in: lost(func(in *policyInput) {
				in.Latches.LoginNotBefore = policyNow.Add(time.Minute)
				in.LastFailure = "timeout."
			}),
			state: NotAuthenticated, cause: CauseLoginFailed, do: doWait, reason: "in 1 minute"},
		{name: "after a refused code, the cause says so",
			in: lost(func(in *policyInput) {
				in.Latches.LoginNotBefore = policyNow.Add(time.Minute)
				in.CodeRefused = true
			}),
			state: NotAuthenticated, cause: CauseCodeRefused, do: doWait},
		{name: "Log in waives the wait after a failure",
			in:    lost(func(in *policyInput) { in.Event = evLogin; in.Latches.LoginNotBefore = policyNow.Add(time.Minute) }),
			state: LoggingIn, cause: CauseSessionLost, do: doLogin},
		{name: "a competing session is left alone by default",
			in:    lost(func(in *policyInput) { in.Found = foundCompeting }),
			state: Competing, cause: CauseCompeting, do: doWait, reason: `"Take the session back"`},
		{name: "a competing session is taken back with the setting on",
			in:    lost(func(in *policyInput) { in.Found = foundCompeting; in.TakeBack = true }),
			state: Reauthenticating, cause: CauseCompeting, do: doTakeBack},
		{name: "not taken back again within a minute",
			in:    lost(func(in *policyInput) { in.Found = foundCompeting; in.TakeBack = true; in.TakeBackDue = false }),
			state: Competing, cause: CauseCompeting, do: doWait},
		{name: "Log in while competing takes the session back",
			in:    lost(func(in *policyInput) { in.Found = foundCompeting; in.Event = evLogin }),
			state: Reauthenticating, cause: CauseCompeting, do: doTakeBack},
		{name: "the gateway starting is not 'not running'",
			in: lost(func(in *policyInput) {
				in.Found = foundGatewayDown
				in.Gateway.Starting = true
				in.ErrText = "the gateway is not running; start it"
			}),
			state: Connecting, cause: CauseStarting, do: doWait, reason: "waiting for the gateway to start"},
		{name: "the supervisor's problem is the reason",
			in: lost(func(in *policyInput) {
				in.Found = foundBroken
				in.Gateway.Problem = "port 5000 is in use by another program"
				in.ErrText = "if it runs with --nossl, write the address with http://"
			}),
			state: GatewayDown, cause: CauseGatewayProblem, do: doWait, reason: "in use by another program"},
		{name: "a gateway down with no word from the supervisor",
			in:    lost(func(in *policyInput) { in.Found = foundGatewayDown; in.ErrText = "not running" }),
			state: GatewayDown, cause: CauseGatewayDown, do: doWait},
		{name: "IBKR unreachable: back off, no login",
			in:    lost(func(in *policyInput) { in.Found = foundIBKRUnreachable }),
			state: IBKRUnreachable, cause: CauseIBKRUnreachable, do: doWait},
		{name: "one 5xx keeps the state",
			in:   lost(func(in *policyInput) { in.Found = foundTrouble; in.ErrorsInRow = 1 }),
			keep: true, do: doWait},
		{name: "three 5xx in a row are IBKRErrors",
			in:    lost(func(in *policyInput) { in.Found = foundTrouble; in.ErrorsInRow = 3; in.HTTPStatus = 503 }),
			state: IBKRErrors, cause: CauseIBKRErrors, do: doWait, reason: "HTTP 503"},
		{name: "three 429 in a row are rate-limited",
			in:    lost(func(in *policyInput) { in.Found = foundTrouble; in.ErrorsInRow = 3; in.RateLimited = true }),
			state: IBKRErrors, cause: CauseRateLimited, do: doWait},
		{name: "IBKRErrors at start-up too",
			in: lost(func(in *policyInput) {
				in.State = Connecting
				in.Found = foundTrouble
				in.ErrorsInRow = 3
			}),
			state: IBKRErrors, cause: CauseIBKRErrors, do: doWait},
		{name: "Log in in the browser is always allowed",
			in: lost(func(in *policyInput) {
				in.Event = evLoginInBrowser
				in.Cap = capPerDay
				in.Latches.CredentialsRejected = CauseBadCredentials
			}),
			state: WaitingForManualLogin, cause: CauseManualLoginWait, do: doManualLogin},
		{name: "brokerage never opened: ssodh/init with compete first",
			in:    lost(func(in *policyInput) { in.Found = foundBrokerageLost; in.Latches.BrokerageRemedy = remedyInit }),
			state: Reauthenticating, cause: CauseBrokerageLate, do: doInitCompete},
		{name: "then log out and log in once more",
			in:    lost(func(in *policyInput) { in.Found = foundBrokerageLost; in.Latches.BrokerageRemedy = remedyFreshLogin }),
			state: LoggingIn, cause: CauseBrokerageLate, do: doFreshLogin},
		{name: "then restart the gateway once",
			in: lost(func(in *policyInput) {
				in.Found = foundBrokerageLost
				in.Latches.BrokerageRemedy = remedyRestart
				in.CanRestart = true
			}),
			state: Connecting, cause: CauseStarting, do: doRestartGateway},
		{name: "then one last login after the restart",
			in:    lost(func(in *policyInput) { in.Latches.BrokerageRemedy = remedyLastLogin }),
			state: LoggingIn, cause: CauseSessionLost, do: doLogin},
		{name: "then stop, naming the likely causes",
			in:    lost(func(in *policyInput) { in.Found = foundBrokerageLost; in.Latches.BrokerageRefused = true }),
			state: NeedsManualLogin, cause: CauseBrokerageRefused, do: doWait, reason: "another session of this username"},
		{name: "a remedy's login still respects the cap",
			in: lost(func(in *policyInput) {
				in.Found = foundBrokerageLost
				in.Latches.BrokerageRemedy = remedyFreshLogin
				in.Cap = capInRow
			}),
			state: LoginLocked, cause: CauseCapInRow, do: doWait},
		{name: "Logout logs out", in: lost(func(in *policyInput) { in.Event = evLogout }), do: doLogout, state: Authenticated},
		{name: "an IB Key notification not approved in time: no new one by itself",
			in: lost(func(in *policyInput) {
				in.Latches.ApprovalUnanswered = CauseApprovalMissed
				in.MayPush = true
				in.ApprovalWait = 2 * time.Minute
			}),
			state: NeedsManualLogin, cause: CauseApprovalMissed, do: doWait, reason: "within 2 minutes; IBKR refused nothing"},
		{name: "a denied notification reads as a denial, and no new one goes out",
			in:    lost(func(in *policyInput) { in.Latches.ApprovalUnanswered = CauseApprovalDenied; in.MayPush = true }),
			state: NeedsManualLogin, cause: CauseApprovalDenied, do: doWait, reason: "You denied the login in IBKR Mobile"},
		{name: "a stopped wait for the approval says so",
			in: lost(func(in *policyInput) {
				in.Latches.ApprovalUnanswered = CauseApprovalMissed
				in.MayPush = true
				in.ApprovalProblem = msgApprovalStopped
			}),
			state: NeedsManualLogin, cause: CauseApprovalMissed, do: doWait, reason: "you stopped waiting"},
		{name: "reauthenticate, which sends no notification, stays the first remedy after an unanswered one",
			in: lost(func(in *policyInput) {
				in.Found = foundBrokerageLost
				in.Latches.ApprovalUnanswered = CauseApprovalMissed
				in.MayPush = true
			}),
			state: Reauthenticating, cause: CauseBrokerageLost, do: doReauthenticate},
		{name: "when reauthenticate did not help, still no new notification by itself",
			in: lost(func(in *policyInput) {
				in.Found = foundBrokerageLost
				in.ReauthDue = false
				in.Latches.ApprovalUnanswered = CauseApprovalDenied
				in.MayPush = true
			}),
			state: NeedsManualLogin, cause: CauseApprovalDenied, do: doWait},
		{name: "with the authenticator app chosen, an old unanswered notification stops nothing",
			in:    lost(func(in *policyInput) { in.Latches.ApprovalUnanswered = CauseApprovalMissed; in.MayPush = false }),
			state: LoggingIn, cause: CauseSessionLost, do: doLogin},
		{name: "the cap still comes first after an unanswered notification",
			in: lost(func(in *policyInput) {
				in.Latches.ApprovalUnanswered = CauseApprovalMissed
				in.MayPush = true
				in.Cap = capInRow
				in.InRow = 3
			}),
			state: LoginLocked, cause: CauseCapInRow, do: doWait},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := decide(tc.in)
			if d.Do != tc.do || d.Keep != tc.keep {
				t.Errorf("do %v keep %v, want %v keep %v", d.Do, d.Keep, tc.do, tc.keep)
			}
			if !tc.keep && (d.State != tc.state || d.Cause != tc.cause) {
				t.Errorf("state %v cause %q, want %v %q", d.State, d.Cause, tc.state, tc.cause)
			}
			if !strings.Contains(d.Reason, tc.reason) {
				t.Errorf("reason %q does not say %q", d.Reason, tc.reason)
			}
			for _, bad := range []string{"reset the login counter", "compete\"", "--nossl", "http://", "5m0s"} {
				if strings.Contains(d.Reason, bad) {
					t.Errorf("reason %q says %q", d.Reason, bad)
				}
			}
		})
	}
}

func TestOnCommand(t *testing.T) {
	cases := []struct {
		name       string
		ev         event
		l          Latches
		cap        capReason
		dayFull    bool
		refused    bool
		oneMore    bool
		want       func(l Latches) bool
		wantLatchs string
	}{
		{name: "Retry acknowledges the in-row cap: one more attempt", ev: evRetry, cap: capInRow, oneMore: true,
			l: Latches{CapTripped: CauseCapInRow}, want: func(l Latches) bool { return l.CapTripped == "" }},
		{name: "Retry is refused once the day's cap is reached", ev: evRetry, cap: capPerDay, dayFull: true, refused: true,
			want: func(Latches) bool { return true }},
		{name: "Retry is refused after a rejection of the credentials", ev: evRetry,
			l: Latches{CredentialsRejected: CauseBadCredentials}, refused: true,
			want: func(l Latches) bool { return l.CredentialsRejected == CauseBadCredentials }},
		{name: "Retry after the brokerage never opened allows one last login", ev: evRetry, oneMore: true,
			l:    Latches{BrokerageRefused: true},
			want: func(l Latches) bool { return !l.BrokerageRefused && l.BrokerageRemedy == remedyLastLogin }},
		{name: "Log in does not clear a rejection", ev: evLogin,
			l: Latches{CredentialsRejected: CauseBadCredentials, LoggedOutByUser: true},
			want: func(l Latches) bool {
				return l.CredentialsRejected == CauseBadCredentials && !l.LoggedOutByUser
			}},
		{name: "Log in reads a locked keyring again", ev: evLogin, l: Latches{CredentialsUnreadable: "locked"},
			want: func(l Latches) bool { return l.CredentialsUnreadable == "" }},
		{name: "changed credentials clear the rejection and allow an attempt", ev: evCredentialsChanged, oneMore: true,
			l: Latches{CredentialsRejected: CauseBadCredentials, CredentialsUnreadable: "x", BrokerageRefused: true},
			want: func(l Latches) bool {
				return l.CredentialsRejected == "" && l.CredentialsUnreadable == "" && !l.BrokerageRefused
			}},
		{name: "changed credentials never lift the day's cap", ev: evCredentialsChanged, cap: capPerDay, dayFull: true,
			want: func(Latches) bool { return true }},
		{name: "Cancel ends the wait", ev: evCancelLogin, l: Latches{ManualLoginUntil: policyNow},
			want: func(l Latches) bool { return l.ManualLoginUntil.IsZero() }},
		{name: "Logout latches", ev: evLogout, want: func(l Latches) bool { return l.LoggedOutByUser }},
		{name: "Log in after an unanswered notification allows one new one", ev: evLogin,
			l: Latches{ApprovalUnanswered: CauseApprovalMissed}, want: func(l Latches) bool { return l.ApprovalUnanswered == "" }},
		{name: "Retry after a denied notification allows one new one", ev: evRetry, oneMore: true,
			l: Latches{ApprovalUnanswered: CauseApprovalDenied}, want: func(l Latches) bool { return l.ApprovalUnanswered == "" }},
		{name: "changed credentials allow one new notification", ev: evCredentialsChanged, oneMore: true,
			l: Latches{ApprovalUnanswered: CauseApprovalDenied}, want: func(l Latches) bool { return l.ApprovalUnanswered == "" }},
		{name: "Log in in the browser keeps the unanswered notification until a session appears (a Cancel sends none)",
			ev: evLoginInBrowser, l: Latches{ApprovalUnanswered: CauseApprovalMissed},
			want: func(l Latches) bool { return l.ApprovalUnanswered == CauseApprovalMissed }},
		{name: "Cancel ends the wait for the approval", ev: evCancelLogin, l: Latches{ApprovalUntil: policyNow},
			want: func(l Latches) bool { return l.ApprovalUntil.IsZero() }},
		{name: "Logout ends the wait for the approval", ev: evLogout, l: Latches{ApprovalUntil: policyNow},
			want: func(l Latches) bool { return l.ApprovalUntil.IsZero() && l.LoggedOutByUser }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := onCommand(tc.ev, tc.l, tc.cap, tc.dayFull)
			if (e.Refused != "") != tc.refused {
				t.Errorf("refused %q, want refused %v", e.Refused, tc.refused)
			}
			if e.AllowOneInRow != tc.oneMore {
				t.Errorf("AllowOneInRow = %v, want %v", e.AllowOneInRow, tc.oneMore)
			}
			if !tc.want(e.Latches) {
				t.Errorf("latches after: %+v", e.Latches)
			}
		})
	}
}

func TestBrokerageLadder(t *testing.T) {
	// Logins that succeed with a brokerage session that never opens: each
	// remedy once, cheapest first, and at most maxBrokerageLogin logins.
	for _, canRestart := range []bool{true, false} {
		remedy, logins, steps := remedyNone, 1, []int{}
		for {
			next, refused := afterBrokerageRefused(remedy, canRestart)
			if refused {
				break
			}
			steps = append(steps, next)
			if d := decide(lost(func(in *policyInput) {
				in.Found = foundBrokerageLost
				in.Latches.BrokerageRemedy = next
				in.CanRestart = canRestart
				in.ReauthDue = false
			})); d.Do == doFreshLogin || d.Do == doLogin {
				logins++
			} else if d.Do == doRestartGateway {
				next = remedyLastLogin // what the restart action latches
				logins++               // and the login after it
			}
			remedy = next
			if len(steps) > 5 {
				t.Fatalf("the ladder does not end: %v", steps)
			}
		}
		want := 3
		if !canRestart {
			want = 2
		}
		if logins != want || logins > maxBrokerageLogin {
			t.Errorf("restart %v: %d logins (steps %v), want %d", canRestart, logins, steps, want)
		}
	}
}

func TestPresent(t *testing.T) {
	cases := []struct {
		name     string
		state    State
		cause    Cause
		l        Latches
		dayFull  bool
		needsYou bool
		offers   Offers
	}{
		{"authenticated", Authenticated, CauseNone, Latches{}, false, false, Offers{}},
		{"logged out: Log in, nothing needs you", LoggedOut, CauseLoggedOut, Latches{LoggedOutByUser: true}, false, false,
			Offers{Login: true, LoginInBrowser: true}},
		{"rejected password: Open Settings and Log in in the browser", NeedsManualLogin, CauseBadCredentials,
			Latches{CredentialsRejected: CauseBadCredentials}, false, true, Offers{LoginInBrowser: true, OpenSettings: true}},
		{"in-row cap: Retry and the browser", LoginLocked, CauseCapInRow, Latches{CapTripped: CauseCapInRow}, false, true,
			Offers{Retry: true, LoginInBrowser: true}},
		{"day cap: only the browser", LoginLocked, CauseCapPerDay, Latches{CapTripped: CauseCapPerDay}, true, true,
			Offers{LoginInBrowser: true}},
		{"in-row cap on a full day: no Retry", LoginLocked, CauseCapInRow, Latches{}, true, true, Offers{LoginInBrowser: true}},
		{"waiting for a manual login: needs you, cancellable, browser again", WaitingForManualLogin, CauseManualLoginWait,
			Latches{ManualLoginUntil: policyNow}, false, true, Offers{LoginInBrowser: true, CancelLogin: true}},
		{"brokerage refused: needs you, Retry and the browser", NeedsManualLogin, CauseBrokerageRefused,
			Latches{BrokerageRefused: true}, false, true, Offers{LoginInBrowser: true, Retry: true}},
		{"IBKR errors: nothing to do", IBKRErrors, CauseIBKRErrors, Latches{}, false, false, Offers{}},
		{"starting: nothing to do", Connecting, CauseStarting, Latches{}, false, false, Offers{}},
		{"an automated login: it can be stopped", LoggingIn, CauseSessionLost, Latches{}, false, false, Offers{CancelLogin: true}},
		{"competing: take it back", Competing, CauseCompeting, Latches{}, false, true, Offers{TakeBack: true, OpenSettings: true}},
		{"waiting for the tap in IBKR Mobile: needs you, only Cancel", WaitingForApproval, CauseApproveOnPhone,
			Latches{ApprovalUntil: policyNow}, false, true, Offers{CancelLogin: true}},
		{"a denied notification: Log in (one new one) and the browser", NeedsManualLogin, CauseApprovalDenied,
			Latches{ApprovalUnanswered: CauseApprovalDenied}, false, true, Offers{Login: true, LoginInBrowser: true}},
		{"a missed notification: Log in (one new one) and the browser", NeedsManualLogin, CauseApprovalMissed,
			Latches{ApprovalUnanswered: CauseApprovalMissed}, false, true, Offers{Login: true, LoginInBrowser: true}},
		{"a missed notification on a full day: the same (Log in falls back to the browser)", NeedsManualLogin, CauseApprovalMissed,
			Latches{ApprovalUnanswered: CauseApprovalMissed}, true, true, Offers{Login: true, LoginInBrowser: true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := present(tc.state, tc.cause, tc.l, tc.dayFull)
			if p.NeedsYou != tc.needsYou || p.Offers != tc.offers {
				t.Errorf("needsYou %v offers %+v, want %v %+v", p.NeedsYou, p.Offers, tc.needsYou, tc.offers)
			}
		})
	}
}

func TestEveryCauseHasAPresentation(t *testing.T) {
	for _, c := range []Cause{CauseNone, CauseStarting, CauseGatewayDown, CauseGatewayProblem, CauseIBKRUnreachable,
		CauseIBKRErrors, CauseRateLimited, CauseBrokerageLost, CauseSessionLost, CauseBrokerageLate, CauseBrokerageRefused,
		CauseCompeting, CauseNoCredentials, CauseCredentialsLocked, CauseNoBrowser, CauseBadCredentials, CauseUserLocked,
		CauseWrongMode, CauseCodeRefused, CauseLoginFailed, CauseCapInRow, CauseCapPerDay, CauseCapUnreadable,
		CauseManualLoginWait, CauseManualLoginTimedOut, CauseLoggedOut, CauseLogoutFailed, CauseBroken,
		CauseApproveOnPhone, CauseApprovalDenied, CauseApprovalMissed} {
		if _, ok := causeTable[c]; !ok {
			t.Errorf("cause %q has no row in causeTable", c)
		}
	}
}

func TestShownFactor(t *testing.T) {
	cases := []struct {
		name string
		f    factorFacts
		want string
	}{
		{"a chosen factor is shown as chosen", factorFacts{Setting: login.FactorIBKey}, "ibkey"},
		{"none chosen for paper", factorFacts{Setting: login.FactorNone, CredsRead: true, SecretStored: true}, "none"},
		{"automatic, credentials not read: not known yet", factorFacts{}, ""},
		{"automatic with a TOTP secret: the authenticator app", factorFacts{CredsRead: true, SecretStored: true}, "totp"},
		{"automatic without a secret, live: IB Key", factorFacts{CredsRead: true}, "ibkey"},
		{"automatic without a secret, paper: none", factorFacts{CredsRead: true, Paper: true}, "none"},
		{"automatic, a login that was asked nothing: none", factorFacts{CredsRead: true, LoggedIn: true}, "none"},
		{"automatic, a login answered with IB Key: IB Key", factorFacts{CredsRead: true, Paper: true, LoggedIn: true, Answered: login.FactorIBKey}, "ibkey"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := shownFactor(tc.f); got != tc.want {
				t.Errorf("shownFactor = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestMayPush(t *testing.T) {
	for f, want := range map[login.SecondFactor]bool{login.FactorAuto: true, login.FactorIBKey: true, login.FactorTOTP: false, login.FactorNone: false} {
		if got := mayPush(f); got != want {
			t.Errorf("mayPush(%q) = %v, want %v", f, got, want)
		}
	}
}

// TestLogInAfterAnUnansweredNotificationSendsExactlyOne: the command, then
// the check: one login (one notification), and its own miss latches again.
func TestLogInAfterAnUnansweredNotificationSendsExactlyOne(t *testing.T) {
	l := Latches{ApprovalUnanswered: CauseApprovalMissed}
	if d := decide(lost(func(in *policyInput) { in.Latches = l; in.MayPush = true })); d.Do != doWait {
		t.Fatalf("by itself: do %v, want wait", d.Do)
	}
	e := onCommand(evLogin, l, capOpen, false)
	d := decide(lost(func(in *policyInput) { in.Event = evLogin; in.Latches = e.Latches; in.MayPush = true }))
	if d.Do != doLogin || d.State != LoggingIn {
		t.Fatalf("Log in: do %v state %v, want one login", d.Do, d.State)
	}
}

func TestWaitingForApprovalIsWrittenByName(t *testing.T) {
	b, err := json.Marshal(WaitingForApproval)
	if err != nil || string(b) != `"WaitingForApproval"` {
		t.Fatalf("marshal: %s %v", b, err)
	}
	var s State
	if err := json.Unmarshal(b, &s); err != nil || s != WaitingForApproval {
		t.Fatalf("unmarshal: %v %v", s, err)
	}
	if int(WaitingForApproval) != 14 {
		t.Errorf("WaitingForApproval = %d, want 14 (written to the status endpoint)", WaitingForApproval)
	}
}
