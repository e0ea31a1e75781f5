package cli

import (
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
