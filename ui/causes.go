package ui

import (
	"fmt"
	"regexp"
	"time"

	"github.com/ibkr-tray/ibkr-tray/gateway"
	"github.com/ibkr-tray/ibkr-tray/session"
	"github.com/ibkr-tray/ibkr-tray/ui/runner"
)

// causeText is what the tray says about one session.Cause: the menu's
// first line, the popup and the notification. The wording lives here and
// nowhere else. What the surfaces do is not in the table but in the
// snapshot: Status.NeedsYou makes the icon attention, the notification
// urgent and the popup come up; Status.Offers are the menu items and the
// popup's buttons. The text names only actions the keeper offers with
// the cause (TestCauseTextNamesOnlyOfferedActions checks the catalogue).
type causeText struct {
	// Icon is the tray icon while the user is not needed (with
	// Status.NeedsYou it is always IconAttention).
	Icon IconState
	// Line is the tray menu's first line and the status window's title.
	Line string
	// Title heads the popup and the notification.
	Title string
	// What happened and what to do, one short sentence each: together the
	// popup's text and the notification's body. Do is "" when the app
	// handles it alone.
	What, Do string
	// Quiet: the user did it. No notification, no popup, no "lost".
	Quiet bool
	// NoPopup: the popup does not open for it (the user's browser already
	// asks for them); an open popup shows it.
	NoPopup bool
	// what and do, when set, write the sentence from the snapshot (counts,
	// times, the supervisor's words) instead of What and Do.
	what, do func(st runner.Status) string
	// until, when set, is the deadline the popup counts down to ("1:42
	// left") while it is not zero; the live countdown then stands in for
	// Do there, which says the deadline to surfaces that cannot count
	// (the notification, the tooltip).
	until func(st runner.Status) time.Time
}

// causes is the whole table: every session.Cause has a row
// (TestEveryCauseHasWords).
var causes = map[session.Cause]causeText{
	// No cause: authenticated (the line says as whom), or a keeper that
	// does not say (its reason stands in).
	session.CauseNone: {Icon: IconWorking, Line: "Checking the session…", Title: "IBKR session",
		what: func(st runner.Status) string {
			return firstSentence(orDefault(st.Session.Reason, "ibkr-tray is checking the session."))
		}},
	session.CauseStarting: {Icon: IconWorking, Line: "Starting…", Title: "ibkr-tray is starting",
		What: "The gateway is starting.", Do: ""},
	session.CauseGatewayDown: {Icon: IconWorking, Line: "Waiting for the gateway…", Title: "IBKR gateway not answering",
		What: "The gateway does not answer.", Do: "ibkr-tray keeps trying; you will hear when the session is back."},
	session.CauseGatewayProblem: {Icon: IconWorking, Line: "Gateway problem", Title: "IBKR gateway problem",
		what: func(st runner.Status) string {
			return firstSentence(orDefault(st.Gateway.Reason, orDefault(st.Session.Reason, "The gateway cannot run.")))
		},
		Do: "Open Status… for the details."},
	session.CauseIBKRUnreachable: {Icon: IconWorking, Line: "IBKR unreachable, retrying", Title: "IBKR unreachable",
		What: "The gateway runs, but IBKR's servers do not answer it.", Do: "ibkr-tray keeps checking; you will hear when the session is back."},
	session.CauseIBKRErrors: {Icon: IconWorking, Line: "IBKR answers with errors, retrying", Title: "IBKR is answering with errors",
		What: "IBKR's servers answer the gateway with errors.", Do: "ibkr-tray keeps checking; you will hear when the session is back."},
	session.CauseRateLimited: {Icon: IconWorking, Line: "IBKR asks to slow down, retrying", Title: "IBKR is limiting requests",
		What: "IBKR asked the gateway to slow down.", Do: "ibkr-tray waits a little and checks again."},
	session.CauseBrokerageLost: {Icon: IconWorking, Line: "Reconnecting the session…", Title: "IBKR session lost",
		What: "The brokerage session ended.", Do: "ibkr-tray is restoring it; you will hear when it is back."},
	session.CauseSessionLost: {Icon: IconWorking, Line: "Logging in again…", Title: "IBKR session lost",
		What: "The IBKR login ended.", Do: "ibkr-tray is logging in again; you will hear when it is back."},
	session.CauseBrokerageLate: {Icon: IconWorking, Line: "Logged in; waiting for the brokerage session…", Title: "Waiting for the brokerage session",
		What: "The login worked, but IBKR has not opened the brokerage session yet.", Do: "ibkr-tray waits for it."},
	session.CauseBrokerageRefused: {Icon: IconWorking, Line: "Logged in, but IBKR opens no brokerage session", Title: "IBKR opens no brokerage session",
		What: "Logins work, but IBKR never opens the brokerage session: another session of this username (TWS, IBKR Mobile) or IBKR maintenance.",
		Do:   "Close the other session or wait for the maintenance to end, then choose " + labelLoginBrowser + "."},
	session.CauseCompeting: {Icon: IconWorking, Line: "Another session is using the account", Title: "Another IBKR session is active",
		What: "TWS, IBKR Mobile or a browser holds the brokerage session of this username.",
		do: func(st runner.Status) string {
			if st.Session.Offers.TakeBack {
				return "Close it, or choose " + labelTakeBack + "."
			}
			return "ibkr-tray takes the session back."
		}},
	session.CauseNoCredentials: {Icon: IconWorking, Line: "Login needed", Title: "IBKR login needed",
		What: "No login details are stored for automated login.",
		Do:   "Choose " + labelLoginBrowser + ", or store them in Settings."},
	session.CauseCredentialsLocked: {Icon: IconWorking, Line: "Login needed (keyring locked)", Title: "IBKR login needed",
		What: "The stored login details could not be read: the keyring is locked or does not answer.",
		Do:   "Unlock the keyring and choose Log in, or choose " + labelLoginBrowser + "."},
	session.CauseNoBrowser: {Icon: IconWorking, Line: "Login needed (no browser for automated login)", Title: "IBKR login needed",
		What: "No Chromium or Chrome was found for the automated login.",
		Do:   "Install Chromium, or choose " + labelLoginBrowser + "."},
	session.CauseBadCredentials: {Icon: IconWorking, Line: "IBKR rejected the username or password", Title: "IBKR rejected the username or password",
		What: "Automated login stopped so that IBKR does not lock the account.",
		Do:   "Correct the credentials in Settings, or choose " + labelLoginBrowser + "."},
	session.CauseUserLocked: {Icon: IconWorking, Line: "IBKR locked the username", Title: "IBKR locked the username",
		What: "IBKR locked this username after failed logins; automated login stopped.",
		Do:   "Unlock it with IBKR (the password reset on ibkr.com), then choose " + labelLoginBrowser + "."},
	session.CauseWrongMode: {Icon: IconWorking, Line: "Paper or live mode does not match", Title: "The trading mode does not match",
		What: "IBKR says this user does not match the paper or live mode in Settings.",
		Do:   "Correct the mode in Settings."},
	session.CauseCodeRefused: {Icon: IconWorking, Line: "Security code refused, retrying", Title: "IBKR refused the security code",
		What: "IBKR refused the security code of the automated login.",
		Do:   "ibkr-tray tries once more; if it fails again, check this computer's clock and the TOTP secret in Settings."},
	session.CauseLoginFailed: {Icon: IconWorking, Line: "Login failed, retrying", Title: "Automated login failed",
		What: "The automated login failed.",
		do: func(st runner.Status) string {
			if t := st.Session.Latches.LoginNotBefore; !t.IsZero() {
				return "ibkr-tray tries again at " + clockMinute(t) + "."
			}
			return "ibkr-tray tries again by itself."
		}},
	session.CauseCapInRow: {Icon: IconWorking, Line: "Automatic login paused", Title: "Automatic login paused",
		what: func(st runner.Status) string {
			return fmt.Sprintf("%s failed in a row, so ibkr-tray stopped before IBKR locks the username.",
				countWord(st.Session.FailedLoginsInRow, "login"))
		},
		do: func(st runner.Status) string {
			if !st.Session.Offers.Retry {
				return "Choose " + labelLoginBrowser + "."
			}
			return "Fix the cause, then choose " + labelRetry + "; or choose " + labelLoginBrowser + "."
		}},
	session.CauseCapPerDay: {Icon: IconWorking, Line: "Automatic login stopped for today", Title: "Automatic login stopped for today",
		what: func(st runner.Status) string {
			return fmt.Sprintf("%s failed today, so ibkr-tray makes no more automated logins today.",
				countWord(st.Session.FailedLoginsToday, "login"))
		},
		Do: "Choose " + labelLoginBrowser + "."},
	session.CauseCapUnreadable: {Icon: IconWorking, Line: "Automatic login paused", Title: "Automatic login paused",
		What: "The record of failed logins could not be read, so ibkr-tray makes no automated login.",
		Do:   "Choose " + labelLoginBrowser + "."},
	session.CauseManualLoginWait: {Icon: IconWorking, Line: "Waiting for your login in the browser", Title: "Log in in your browser", NoPopup: true,
		What: "The gateway's login page is open in your browser.",
		do: func(st runner.Status) string {
			if t := st.Session.Latches.ManualLoginUntil; !t.IsZero() {
				return "Log in there by " + clockMinute(t) + ", or choose " + labelCancelLogin + "."
			}
			return "Log in there, or choose " + labelCancelLogin + "."
		}},
	session.CauseManualLoginTimedOut: {Icon: IconWorking, Line: "Login needed (no browser login seen)", Title: "IBKR login needed",
		What: "No login was seen in the browser in time.",
		Do:   "Choose " + labelLoginBrowser + " to try again."},
	session.CauseLoggedOut: {Icon: IconStopped, Line: "Logged out", Title: "Logged out", Quiet: true,
		What: "You logged out.", Do: "Choose Log in to start a new session."},
	session.CauseLogoutFailed: {Icon: IconWorking, Line: "The logout did not go through", Title: "The logout did not go through",
		What: "The session may still be open in the gateway, and automated login is paused.",
		Do:   "Choose Log in to check, or open Status… and log out again."},
	session.CauseBroken: {Icon: IconWorking, Line: "The gateway's answers are no use", Title: "The gateway answers unexpectedly",
		what: func(st runner.Status) string {
			return firstSentence(orDefault(st.Session.Reason, "The program on the gateway's port does not answer as the IBKR gateway does."))
		},
		Do: "Check the gateway folder and port in Settings."},
	// IB Key: the push to the phone, and its two ends without a session.
	session.CauseApproveOnPhone: {Icon: IconWorking, Line: approveTitle, Title: approveTitle,
		What: "IBKR sent a login request to IBKR Mobile on your phone: tap Approve there.",
		do: func(st runner.Status) string {
			if t := st.Session.Latches.ApprovalUntil; !t.IsZero() {
				return "ibkr-tray waits for it until " + clockMinute(t) + "."
			}
			return "ibkr-tray waits for it."
		},
		until: func(st runner.Status) time.Time { return st.Session.Latches.ApprovalUntil }},
	session.CauseApprovalDenied: {Icon: IconWorking, Line: "Login denied in IBKR Mobile", Title: "The login was denied in IBKR Mobile",
		What: "The login request was denied on your phone, so ibkr-tray sends no new one by itself.",
		Do:   doSendAgain},
	// Missed, or the wait stopped by Cancel login: the keeper's reason
	// says which.
	session.CauseApprovalMissed: {Icon: IconWorking, Line: "Login not approved in IBKR Mobile", Title: "No approval from IBKR Mobile",
		what: func(st runner.Status) string {
			return firstSentence(orDefault(st.Session.Reason, "The login request on your phone was not approved in time, so ibkr-tray sends no new one by itself."))
		},
		Do: doSendAgain},
	// The user chose Cancel login while the phone had the request: their
	// own choice, so nothing is told and nothing pops up.
	session.CauseApprovalCancelled: {Icon: IconStopped, Line: "Login stopped", Title: "Login stopped", Quiet: true,
		What: "You stopped waiting for the approval in IBKR Mobile.", Do: doSendAgain},
}

// Words of the IB Key causes: the popup's, the menu's and the CLI's.
const (
	approveTitle = "Approve the login in IBKR Mobile"
	// doSendAgain is the way on after an unanswered IB Key request: the
	// keeper sends no new one by itself.
	doSendAgain = "Choose Log in to send a new request to your phone, or " + labelLoginBrowser + "."
)

// textFor is the row of a cause; an unknown one (a newer keeper) reads
// as the session being checked.
func textFor(c session.Cause) causeText {
	if t, ok := causes[c]; ok {
		return t
	}
	return causeText{Icon: IconWorking, Line: "Checking the session…", Title: "IBKR session",
		What: "ibkr-tray is checking the session."}
}

// explain is a snapshot's cause in words: the title, and the two
// sentences (what happened, what to do) of the popup and notification.
func explain(st runner.Status) (title, what, do string) {
	t := textFor(st.Session.Cause)
	what, do = t.What, t.Do
	if t.what != nil {
		what = t.what(st)
	}
	if t.do != nil {
		do = t.do(st)
	}
	return t.Title, what, do
}

// message is the two sentences as one text.
func message(what, do string) string {
	if do == "" {
		return what
	}
	return what + " " + do
}

// gatewayLine is the first line while the gateway itself is not up; ""
// when it is up and the session speaks.
func gatewayLine(g gateway.State) string {
	switch g {
	case gateway.Stopped:
		return "Gateway stopped"
	case gateway.Starting:
		return "Gateway starting…"
	case gateway.Restarting:
		return "Gateway restarting…"
	case gateway.Unresponsive:
		return "Gateway not responding"
	case gateway.Failed:
		return "Gateway failed"
	case gateway.Running, gateway.Adopted:
		return ""
	}
	return "Starting…"
}

// Words of the gateway-failed notification (the supervisor gave up; not a
// session cause).
const (
	gatewayFailedTitle = "IBKR gateway failed"
	gatewayFailedDo    = "Open Status… in the tray for its output, then Start gateway."
)

// Words of the outage notifications.
const (
	lostTitle     = "IBKR session lost"
	lostBody      = "ibkr-tray is trying to restore it; you will hear when it is back."
	restoredTitle = "IBKR session restored"
)

func countWord(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

// clockMinute is a time of day as the texts say it: "14:05".
func clockMinute(t time.Time) string { return t.Format("15:04") }

// firstSentence keeps a reason's first sentence: the popup has room for
// what happened and what to do, and the status window shows the rest.
func firstSentence(s string) string {
	if m := sentenceEnd.FindStringIndex(s); m != nil {
		return s[:m[0]+1]
	}
	return s
}

// sentenceEnd finds the end of a sentence: a full stop, question or
// exclamation mark at the end or before a space.
var sentenceEnd = regexp.MustCompile(`[.!?](\s|$)`)
