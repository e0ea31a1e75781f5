package cli

import (
	"time"

	"github.com/ibkr-tray/ibkr-tray/gateway"
	"github.com/ibkr-tray/ibkr-tray/session"
)

// The status command said the states by their internal names
// ("NotAuthenticated", "NeedsManualLogin"). These are the words the tray's
// status window uses for them; the JSON output keeps the names, for
// scripts.

// sessionWords is a session state as the user reads it.
func sessionWords(s session.State) string {
	switch s {
	case session.GatewayDown:
		return "Waiting for the gateway"
	case session.Connecting:
		return "Checking the session"
	case session.NotAuthenticated:
		return "Not logged in"
	case session.Authenticated:
		return "Authenticated"
	case session.Competing:
		return "Another session is using the account"
	case session.Reauthenticating:
		return "Reconnecting the session"
	case session.LoggingIn:
		return "Logging in"
	case session.NeedsManualLogin:
		return "Login needed"
	case session.LoginLocked:
		return "Automatic login paused"
	case session.IBKRUnreachable:
		return "IBKR unreachable, retrying"
	case session.LoggedOut:
		return "Logged out"
	case session.IBKRErrors:
		return "IBKR answers with errors, retrying"
	case session.WaitingForManualLogin:
		return "Waiting for your login in the browser"
	case session.WaitingForApproval:
		return approveWords
	}
	return "Unknown (" + s.String() + ")"
}

// gatewayWords is a gateway state as the user reads it.
func gatewayWords(g gateway.State) string {
	switch g {
	case gateway.Adopted:
		return "Running (started outside ibkr-tray)"
	case gateway.Unresponsive:
		return "Not responding"
	}
	return g.String() // Stopped, Starting, Running, Restarting, Failed: plain words already
}

// approveWords ask for the tap in IBKR Mobile, as the tray's popup does.
const approveWords = "Approve the login in IBKR Mobile"

// stateLine is a session's state in words; while the keeper waits for
// the tap in IBKR Mobile it says the time left: "Approve the login in
// IBKR Mobile (1:42 left)".
func stateLine(s session.Status, now time.Time) string {
	line := sessionWords(s.State)
	if s.State == session.WaitingForApproval && !s.Latches.ApprovalUntil.IsZero() {
		line += " (" + session.TimeLeft(s.Latches.ApprovalUntil, now) + ")"
	}
	return line
}
