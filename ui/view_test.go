package ui

import (
	"strings"
	"testing"

	"github.com/ibkr-tray/ibkr-tray/gateway"
	"github.com/ibkr-tray/ibkr-tray/session"
	"github.com/ibkr-tray/ibkr-tray/ui/runner"
)

// snap builds a snapshot with a gateway state and a session state.
func snap(g gateway.State, s session.State) runner.Status {
	st := runner.Status{}
	st.Gateway.State = g
	st.Gateway.URL = "https://localhost:5000"
	st.Session.State = s
	st.Session.User = "U1234567"
	st.Session.Paper = true
	return st
}

func loginRunning(st runner.Status) runner.Status {
	st.Session.LoginRunning = true
	return st
}

func TestIconAndStatusLineForEveryState(t *testing.T) {
	tests := []struct {
		name string
		st   runner.Status
		icon IconState
		line string
	}{
		{"authenticated paper", snap(gateway.Running, session.Authenticated), IconOK, "Authenticated as U1234567 · paper"},
		{"authenticated on an adopted gateway", snap(gateway.Adopted, session.Authenticated), IconOK, "Authenticated as U1234567 · paper"},
		{"connecting", snap(gateway.Running, session.Connecting), IconWorking, "Checking the session…"},
		{"reauthenticating", snap(gateway.Running, session.Reauthenticating), IconWorking, "Reconnecting the session…"},
		{"logging in", snap(gateway.Running, session.LoggingIn), IconWorking, "Logging in…"},
		{"login running flag wins", loginRunning(snap(gateway.Running, session.NeedsManualLogin)), IconWorking, "Logging in…"},
		{"needs manual login", snap(gateway.Running, session.NeedsManualLogin), IconAttention, "Login needed"},
		{"not authenticated", snap(gateway.Running, session.NotAuthenticated), IconAttention, "Login needed"},
		{"cap tripped", snap(gateway.Running, session.LoginLocked), IconAttention, "Login needed (automatic login paused)"},
		{"competing", snap(gateway.Running, session.Competing), IconAttention, "Another session is using the account"},
		{"IBKR unreachable", snap(gateway.Running, session.IBKRUnreachable), IconWorking, "IBKR unreachable, retrying"},
		{"keeper still sees the gateway down", snap(gateway.Running, session.GatewayDown), IconWorking, "Checking the session…"},
		{"gateway stopped", snap(gateway.Stopped, session.GatewayDown), IconStopped, "Gateway stopped"},
		{"gateway starting", snap(gateway.Starting, session.GatewayDown), IconWorking, "Gateway starting…"},
		{"gateway restarting", snap(gateway.Restarting, session.GatewayDown), IconWorking, "Gateway restarting…"},
		{"gateway unresponsive", snap(gateway.Unresponsive, session.Authenticated), IconWorking, "Gateway not responding"},
		{"gateway failed", snap(gateway.Failed, session.GatewayDown), IconAttention, "Gateway failed"},
		{"no snapshot yet", runner.Status{}, IconWorking, "Starting…"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := iconFor(tc.st); got != tc.icon {
				t.Errorf("iconFor = %v, want %v", got, tc.icon)
			}
			if got := statusLine(tc.st); got != tc.line {
				t.Errorf("statusLine = %q, want %q", got, tc.line)
			}
		})
	}
}

func TestStatusLineSaysLiveAndDemo(t *testing.T) {
	st := snap(gateway.Running, session.Authenticated)
	st.Session.Paper = false
	st.Demo = true
	if got, want := statusLine(st), "Authenticated as U1234567 · live (demo)"; got != want {
		t.Errorf("statusLine = %q, want %q", got, want)
	}
}

// menuLine renders a menu item as one line for comparing tables:
// "Label" enabled, "(Label)" disabled, "[x] Label" checked, "-" separator.
func menuLines(items []menuItem) string {
	var b strings.Builder
	for _, it := range items {
		switch {
		case it.separator():
			b.WriteString("-")
		case it.Checked:
			b.WriteString("[x] " + it.Label)
		case !it.Enabled:
			b.WriteString("(" + it.Label + ")")
		default:
			b.WriteString(it.Label)
		}
		b.WriteString("|")
	}
	return b.String()
}

func TestMenuForEveryState(t *testing.T) {
	const tail = "-|Status…|Settings…|Start at login|-|Quit|"
	tests := []struct {
		name      string
		st        runner.Status
		autostart bool
		want      string
	}{
		{"authenticated: log in disabled", snap(gateway.Running, session.Authenticated), false,
			"(Authenticated as U1234567 · paper)|-|(Log in)|Open gateway page|Restart gateway|" + tail},
		{"login needed: log in enabled", snap(gateway.Running, session.NeedsManualLogin), false,
			"(Login needed)|-|Log in|Open gateway page|Restart gateway|" + tail},
		{"logging in: log in disabled while it runs", loginRunning(snap(gateway.Running, session.LoggingIn)), false,
			"(Logging in…)|-|(Log in)|Open gateway page|Restart gateway|" + tail},
		{"cap tripped: the user may still log in", snap(gateway.Running, session.LoginLocked), false,
			"(Login needed (automatic login paused))|-|Log in|Open gateway page|Restart gateway|" + tail},
		{"competing: log in takes it back", snap(gateway.Running, session.Competing), false,
			"(Another session is using the account)|-|Log in|Open gateway page|Restart gateway|" + tail},
		{"adopted gateway: not ours to restart", snap(gateway.Adopted, session.NeedsManualLogin), false,
			"(Login needed)|-|Log in|Open gateway page|(Restart gateway)|" + tail},
		{"starting: nothing to open or log into yet", snap(gateway.Starting, session.GatewayDown), false,
			"(Gateway starting…)|-|(Log in)|(Open gateway page)|(Restart gateway)|" + tail},
		{"stopped: offers to start", snap(gateway.Stopped, session.GatewayDown), false,
			"(Gateway stopped)|-|(Log in)|(Open gateway page)|Start gateway|" + tail},
		{"failed: offers to start again", snap(gateway.Failed, session.GatewayDown), false,
			"(Gateway failed)|-|(Log in)|(Open gateway page)|Start gateway|" + tail},
		{"start at login installed is checked", snap(gateway.Running, session.Authenticated), true,
			"(Authenticated as U1234567 · paper)|-|(Log in)|Open gateway page|Restart gateway|-|Status…|Settings…|[x] Start at login|-|Quit|"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := menuLines(menuModel(tc.st, tc.autostart)); got != tc.want {
				t.Errorf("menu\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestMenuActionsMatchLabels(t *testing.T) {
	want := map[string]Action{
		labelLogin: ActLogin, labelOpenGateway: ActOpenGateway, labelRestart: ActRestart,
		labelStatus: ActStatus, labelSettings: ActSettings, labelStartAtLogin: ActAutostart, labelQuit: ActQuit,
	}
	for _, it := range menuModel(snap(gateway.Running, session.NeedsManualLogin), false) {
		if a, ok := want[it.Label]; ok && it.Action != a {
			t.Errorf("%q does %v, want %v", it.Label, it.Action, a)
		}
	}
}

func TestNeedsUserOnlyWhenNothingWillFixIt(t *testing.T) {
	tests := []struct {
		name string
		st   runner.Status
		want bool
	}{
		{"manual login needed", snap(gateway.Running, session.NeedsManualLogin), true},
		{"cap tripped", snap(gateway.Running, session.LoginLocked), true},
		{"automated login under way", loginRunning(snap(gateway.Running, session.NotAuthenticated)), false},
		{"reauthenticating", snap(gateway.Running, session.Reauthenticating), false},
		{"authenticated", snap(gateway.Running, session.Authenticated), false},
		{"gateway restarting", snap(gateway.Restarting, session.NeedsManualLogin), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := needsUser(tc.st); got != tc.want {
				t.Errorf("needsUser = %v, want %v", got, tc.want)
			}
		})
	}
}
