package login

import (
	"errors"
	"fmt"
	"strings"
)

// FailureKind says why a browser login failed, so the caller can decide
// whether another attempt could help (a timeout may pass, bad credentials
// never do and only bring the username closer to being locked).
type FailureKind int

// Failure kinds. Values are explicit: they are written to logs and state.
const (
	BadCredentials FailureKind = 1 // the page said the username or password is wrong
	WrongMode      FailureKind = 2 // paper user in live mode or the other way round
	BadCode        FailureKind = 3 // the second-factor code was refused
	UserLocked     FailureKind = 4 // IBKR has locked or disabled the username
	NoBrowser      FailureKind = 5 // no Chromium or Chrome to log in with
	PageChanged    FailureKind = 6 // the login page has elements we do not know
	Timeout        FailureKind = 7 // the page did not reach an answer in time
	Unknown        FailureKind = 8 // anything else
	// ApprovalDenied: the user denied the request in IBKR Mobile (not a
	// rejection of the credentials).
	ApprovalDenied FailureKind = 9
	// ApprovalMissed: no approval within the approval wait (IBKR rejected
	// nothing).
	ApprovalMissed FailureKind = 10
)

func (k FailureKind) String() string {
	switch k {
	case BadCredentials:
		return "bad-credentials"
	case WrongMode:
		return "wrong-mode"
	case BadCode:
		return "bad-code"
	case UserLocked:
		return "user-locked"
	case NoBrowser:
		return "no-browser"
	case PageChanged:
		return "page-changed"
	case Timeout:
		return "timeout"
	case Unknown:
		return "unknown"
	case ApprovalDenied:
		return "approval-denied"
	case ApprovalMissed:
		return "approval-missed"
	}
	return fmt.Sprintf("FailureKind(%d)", int(k))
}

// Error is a failed login. Its message is a sentence for the user; it never
// holds the password, the TOTP secret or a code.
type Error struct {
	Kind FailureKind
	// PageText is the error text the login page showed ("" when none).
	PageText string
	// Step is the TOTP step of the code that was sent (0 when none was),
	// so the caller never sends a code of that step again.
	Step int64
	// Diagnostics is the screenshot's path, when one was kept.
	Diagnostics string
	// Err is the underlying cause, for logs (browser or protocol errors).
	Err error
	// Msg, when set, replaces the kind's standard sentence.
	Msg string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.sentence())
	if e.PageText != "" {
		fmt.Fprintf(&b, " The page said: %q.", e.PageText)
	}
	if e.Err != nil {
		fmt.Fprintf(&b, " (%v)", e.Err)
	}
	if e.Diagnostics != "" {
		fmt.Fprintf(&b, " A screenshot of the page is in %s.", e.Diagnostics)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

func (e *Error) sentence() string {
	if e.Msg != "" {
		return e.Msg
	}
	switch e.Kind {
	case BadCredentials:
		return "IBKR refused the username or password; check them with `ibkr-tray secrets check` and set them again."
	case WrongMode:
		return "The login mode does not match the user: a paper-trading user must log in in paper mode and a live user in live mode; change the paper setting."
	case BadCode:
		return "IBKR refused the security code; check that this computer's clock is right and that the stored TOTP secret is the one your authenticator app uses (`ibkr-tray secrets check` shows the current code)."
	case UserLocked:
		return "IBKR has locked this username after failed logins; unlock it on the IBKR website or with IBKR support before trying again."
	case NoBrowser:
		return "No Chromium or Chrome browser was found to log in with."
	case PageChanged:
		return "The login page does not look like any version this app knows; IBKR may have changed it. Log in by hand, and update the login selectors in the settings or the app."
	case Timeout:
		return "The login did not finish in time; the gateway or IBKR may be slow. It will be tried again."
	case ApprovalDenied:
		return "The login was denied in IBKR Mobile; if that was not you, change your password. Choose Log in to send a new request."
	case ApprovalMissed:
		return "The login was not approved in IBKR Mobile in time; IBKR refused nothing. Approve the login in IBKR Mobile next time, or choose Log in to send a new request."
	}
	return "The browser login failed for a reason this app does not recognise."
}

// KindOf returns the kind of a login error, or Unknown for other errors
// (and 0 for nil).
func KindOf(err error) FailureKind {
	if err == nil {
		return 0
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Unknown
}

// classify turns the login page's error text into a kind. afterCode says
// whether a security code had been sent: the page's generic "failed" then
// means the code was refused rather than the password.
func classify(text string, afterCode bool) FailureKind {
	t := strings.ToLower(text)
	switch {
	case strings.Contains(t, "locked") || strings.Contains(t, "disabled") || strings.Contains(t, "too many"):
		return UserLocked
	case strings.Contains(t, "login mode") || strings.Contains(t, "paper trading user") ||
		strings.Contains(t, "live account mode") || strings.Contains(t, "live trading user"):
		return WrongMode
	case strings.Contains(t, "security code") || strings.Contains(t, "invalid code") ||
		strings.Contains(t, "incorrect code") || strings.Contains(t, "challenge"):
		return BadCode
	case strings.Contains(t, "username") || strings.Contains(t, "password"):
		return BadCredentials
	case strings.Contains(t, "fail"):
		if afterCode {
			return BadCode
		}
		return BadCredentials
	}
	return Unknown
}
