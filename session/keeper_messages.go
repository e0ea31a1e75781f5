package session

import "github.com/ibkr-tray/ibkr-tray/session/login"

// Sentences the user is shown. They say what is wrong and what to do.
const (
	msgNoCredentials    = "no login details are stored for automated login; choose Log in to log in in your browser, or store them with \"ibkr-tray secrets set\""
	msgLoggedOut        = "logged out; choose Log in to start a new session"
	msgLogoutFailed     = "the logout did not go through (%v); the session may still be open in the gateway. Automated login is paused; choose Log out again, or Log in"
	msgCompeting        = "another session of this user (TWS, IBKR Mobile or the web portal) holds the brokerage session; it is not taken back, so that session keeps working. Choose Log in to take it back here, or turn on \"compete\" in the settings to always take it back."
	msgBadCredentials   = "IBKR rejected the username or password; automated login is stopped so the account is not locked. Check the stored credentials (ibkr-tray secrets set) and log in."
	msgUserLocked       = "IBKR has locked this username after failed logins; automated login is stopped. Unlock it with IBKR (Client Services, or the password reset on ibkr.com), then choose Log in."
	msgWrongMode        = "IBKR says this user does not match the trading mode in the settings (paper or live); automated login is stopped. Fix the paper-trading setting, then choose Log in."
	msgCodeRefused      = "IBKR refused the security code; check that this computer's clock is right (codes depend on the time) and that the stored TOTP secret is the one from IBKR's enrolment."
	msgCodeRefusedTwice = "IBKR refused the security code twice; check that this computer's clock is right (codes depend on the time) and that the stored TOTP secret is the one from IBKR's enrolment."
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

func stopSentence(kind string) string {
	switch kind {
	case "bad-credentials":
		return msgBadCredentials
	case "user-locked":
		return msgUserLocked
	case "wrong-mode":
		return msgWrongMode
	}
	return "automated login is stopped after a failure (" + kind + "); choose Log in once it is fixed"
}
