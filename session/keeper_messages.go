package session

import "github.com/ibkr-tray/ibkr-tray/session/login"

// Sentences the user is shown. They say what is wrong and what to do.
const (
	msgAuthenticated    = "the brokerage session is usable"
	msgStarting         = "waiting for the gateway to start"
	msgIBKRUnreachable  = "the gateway is running but IBKR does not answer through it (no network, or IBKR is down); waiting and checking again, with no login attempts meanwhile"
	msgIBKRErrors       = "IBKR answers with errors (HTTP %d, %d checks in a row); it is often restarting. Checking again every few seconds, with no login attempts meanwhile"
	msgRateLimited      = "IBKR is limiting requests (HTTP 429); checking again less often, with no login attempts meanwhile"
	msgReauthenticating = "the brokerage session ended while the IBKR login is still valid; re-authenticating"
	msgLoggingIn        = "logging in to IBKR automatically"
	msgWaitBrokerage    = "logged in; waiting for IBKR to open the brokerage session (up to %s)"
	msgManualWait       = "waiting for you to log in in your browser; choose Cancel to stop waiting"
	msgTakingBack       = "another session of this user holds the brokerage session; taking it back"
	msgNoCredentials    = "no login details are stored for automated login; log in in the browser, or store them in the settings (or with \"ibkr-tray secrets set\")"
	msgLoggedOut        = "logged out; choose Log in to start a new session"
	msgLogoutFailed     = "the logout did not go through (%v); the session may still be open in the gateway. Automated login is paused; choose Log out again, or Log in"
	msgCompeting        = "another session of this user (TWS, IBKR Mobile or the web portal) holds the brokerage session; it is not taken back, so that session keeps working. Choose Take the session back to use it here, or turn on \"Take the session back\" in the settings to do it always."
	msgCompetingAgain   = "another session of this user keeps taking the brokerage session; \"Take the session back\" is on, so it is taken back again in a minute"
	msgBadCredentials   = "IBKR rejected the username or password; automated login is stopped so the account is not locked, and these credentials are not sent again. Correct them in the settings (or with \"ibkr-tray secrets set\"), or log in in the browser."
	msgUserLocked       = "IBKR has locked this username after failed logins; automated login is stopped. Unlock it with IBKR (Client Services, or the password reset on ibkr.com), then update the stored credentials or log in in the browser."
	msgWrongMode        = "IBKR says this user does not match the trading mode in the settings (paper or live); automated login is stopped. Fix the paper-trading setting or the stored username, or log in in the browser."
	msgCodeRefused      = "IBKR refused the security code; check that this computer's clock is right (codes depend on the time) and that the stored TOTP secret is the one from IBKR's enrolment."
	msgCodeRefusedTwice = "IBKR refused the security code twice; check that this computer's clock is right (codes depend on the time) and that the stored TOTP secret is the one from IBKR's enrolment."
	msgCapInRow         = "automated login stopped after %d failed attempts in a row, so that IBKR does not lock the account. Once the cause is fixed, choose Retry for one more attempt, or log in in the browser."
	msgCapPerDay        = "automated login stopped after %d failed attempts today, so that IBKR does not lock the account. Log in in the browser; automated login starts again tomorrow."
	msgCapUnreadable    = "the record of failed logins could not be read or written (%s); automated login is paused, because without it a restart loop could lock the IBKR account. Once that is fixed, choose Retry for one attempt, or log in in the browser."
	msgRemedyInit       = "IBKR accepted the login, but the brokerage session did not open; asking for it with ssodh/init"
	msgRemedyFreshLogin = "IBKR accepted the login, but the brokerage session did not open; logging out and logging in once more"
	msgRemedyRestart    = "IBKR accepted the logins, but the brokerage session did not open; restarting the gateway once"
	msgApproveOnPhone   = "IBKR sent a notification to IBKR Mobile: approve the login there (waiting up to %s); choose Cancel to stop waiting"
	msgApprovalDenied   = "You denied the login in IBKR Mobile. If that was not you, change your IBKR password. It does not count as a failed login, and no new notification is sent by itself: choose Log in to send one, or log in in the browser."
	msgApprovalMissed   = "the login was not approved in IBKR Mobile within %s; IBKR refused nothing, so it does not count as a failed login. No new notification is sent by itself: choose Log in to send one, or log in in the browser."
	msgApprovalStopped  = "you stopped waiting for the approval in IBKR Mobile; it does not count as a failed login. No new notification is sent by itself: choose Log in to send one, or log in in the browser."
	msgBrokerageRefused = "IBKR accepts the login but never opens the brokerage session, and every remedy was tried (ssodh/init, a fresh login, a gateway restart). The likely causes: another session of this username (TWS, IBKR Mobile or the web portal; IBKR allows one, and a second username is IBKR's documented way to use the API beside them), or IBKR maintenance. Automated login is stopped; log in in the browser, or choose Retry once the other session is closed."
)

// stopKind names the login failures that retrying cannot fix; the name is
// what the state file keeps.
func stopKind(k login.FailureKind) string {
	switch k {
	case login.BadCredentials:
		return "bad-credentials"
	case login.UserLocked:
		return "user-locked"
	case login.WrongMode:
		return "wrong-mode"
	}
	return k.String()
}

// rejectedCause is the cause for a stop kind kept in the state file.
func rejectedCause(kind string) Cause {
	switch kind {
	case "bad-credentials":
		return CauseBadCredentials
	case "user-locked":
		return CauseUserLocked
	case "wrong-mode":
		return CauseWrongMode
	}
	if kind == "" {
		return CauseNone
	}
	return CauseBadCredentials
}

func rejectedSentence(c Cause) string {
	switch c {
	case CauseUserLocked:
		return msgUserLocked
	case CauseWrongMode:
		return msgWrongMode
	}
	return msgBadCredentials
}
