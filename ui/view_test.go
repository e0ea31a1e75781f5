package ui

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"

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

// keeper says what the keeper adds to a snapshot: the cause, whether a
// person must act, and the actions it offers.
func keeper(st runner.Status, c session.Cause, needsYou bool, o session.Offers) runner.Status {
	st.Session.Cause, st.Session.NeedsYou, st.Session.Offers = c, needsYou, o
	return st
}

// Snapshots as the keeper publishes them (the contract of issue 8, with
// the offers of the policy's cause table), on a running gateway.
var (
	authenticated = func() runner.Status { return snap(gateway.Running, session.Authenticated) }
	reconnecting  = func() runner.Status {
		return keeper(snap(gateway.Running, session.Reauthenticating), session.CauseBrokerageLost, false, session.Offers{})
	}
	noCredentials = func() runner.Status {
		return keeper(snap(gateway.Running, session.NeedsManualLogin), session.CauseNoCredentials, true,
			session.Offers{LoginInBrowser: true, OpenSettings: true})
	}
	badCredentials = func() runner.Status {
		st := keeper(snap(gateway.Running, session.NeedsManualLogin), session.CauseBadCredentials, true,
			session.Offers{LoginInBrowser: true, OpenSettings: true})
		st.Session.Latches.CredentialsRejected = session.CauseBadCredentials
		st.Session.CredentialsStored = true
		return st
	}
	capInRow = func() runner.Status {
		st := keeper(snap(gateway.Running, session.LoginLocked), session.CauseCapInRow, true,
			session.Offers{Retry: true, LoginInBrowser: true})
		st.Session.Latches.CapTripped = session.CauseCapInRow
		st.Session.FailedLoginsInRow, st.Session.FailedLoginsToday = 3, 3
		return st
	}
	capPerDay = func() runner.Status {
		st := keeper(snap(gateway.Running, session.LoginLocked), session.CauseCapPerDay, true,
			session.Offers{LoginInBrowser: true})
		st.Session.Latches.CapTripped = session.CauseCapPerDay
		st.Session.FailedLoginsInRow, st.Session.FailedLoginsToday = 0, 10
		return st
	}
	manualWait = func() runner.Status {
		st := keeper(snap(gateway.Running, session.WaitingForManualLogin), session.CauseManualLoginWait, true,
			session.Offers{LoginInBrowser: true, CancelLogin: true})
		st.Session.Latches.ManualLoginUntil = t0.Add(5 * time.Minute)
		return st
	}
	loggedOut = func() runner.Status {
		st := keeper(snap(gateway.Running, session.LoggedOut), session.CauseLoggedOut, false,
			session.Offers{Login: true, LoginInBrowser: true})
		st.Session.Latches.LoggedOutByUser = true
		return st
	}
	ibkrErrors = func() runner.Status {
		return keeper(snap(gateway.Running, session.IBKRErrors), session.CauseIBKRErrors, false, session.Offers{})
	}
	competing = func() runner.Status {
		return keeper(snap(gateway.Running, session.Competing), session.CauseCompeting, true,
			session.Offers{TakeBack: true, OpenSettings: true})
	}
	brokerageLate = func() runner.Status {
		return keeper(snap(gateway.Running, session.NotAuthenticated), session.CauseBrokerageLate, false, session.Offers{})
	}
)

func TestIconAndStatusLineForEveryState(t *testing.T) {
	tests := []struct {
		name string
		st   runner.Status
		icon IconState
		line string
	}{
		{"authenticated paper", authenticated(), IconOK, "Authenticated as U1234567 · paper"},
		{"authenticated on an adopted gateway", snap(gateway.Adopted, session.Authenticated), IconOK, "Authenticated as U1234567 · paper"},
		{"connecting", keeper(snap(gateway.Running, session.Connecting), session.CauseStarting, false, session.Offers{}), IconWorking, "Starting…"},
		{"reconnecting", reconnecting(), IconWorking, "Reconnecting the session…"},
		{"logging in", loginRunning(keeper(snap(gateway.Running, session.LoggingIn), session.CauseSessionLost, false, session.Offers{})), IconWorking, "Logging in…"},
		{"no credentials", noCredentials(), IconAttention, "Login needed"},
		{"bad credentials", badCredentials(), IconAttention, "IBKR rejected the username or password"},
		{"cap tripped in a row", capInRow(), IconAttention, "Automatic login paused"},
		{"cap tripped for the day", capPerDay(), IconAttention, "Automatic login stopped for today"},
		{"waiting for the user's browser login needs them", manualWait(), IconAttention, "Waiting for your login in the browser"},
		{"logged out by the user is no alarm", loggedOut(), IconStopped, "Logged out"},
		{"competing", competing(), IconAttention, "Another session is using the account"},
		{"IBKR errors", ibkrErrors(), IconWorking, "IBKR answers with errors, retrying"},
		{"brokerage late is no login needed", brokerageLate(), IconWorking, "Logged in; waiting for the brokerage session…"},
		{"IBKR unreachable", keeper(snap(gateway.Running, session.IBKRUnreachable), session.CauseIBKRUnreachable, false, session.Offers{}), IconWorking, "IBKR unreachable, retrying"},
		{"a keeper that gives no cause is checking", snap(gateway.Running, session.NeedsManualLogin), IconWorking, "Checking the session…"},
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

func TestIconFollowsNeedsYouNotTheStateName(t *testing.T) {
	// The same state, two verdicts: the icon follows the verdict.
	st := snap(gateway.Running, session.NotAuthenticated)
	for _, needs := range []bool{false, true} {
		st.Session.Cause, st.Session.NeedsYou = session.CauseLoginFailed, needs
		if got := iconFor(st) == IconAttention; got != needs {
			t.Errorf("NeedsYou=%v: attention icon %v", needs, got)
		}
	}
}

func TestStatusLineSaysLiveAndDemo(t *testing.T) {
	st := authenticated()
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

// fyneMenuLines is a Fyne menu as menuLines writes the model.
func fyneMenuLines(m *fyne.Menu) string {
	var b strings.Builder
	for _, it := range m.Items {
		switch {
		case it.IsSeparator:
			b.WriteString("-")
		case it.Checked:
			b.WriteString("[x] " + it.Label)
		case it.Disabled:
			b.WriteString("(" + it.Label + ")")
		default:
			b.WriteString(it.Label)
		}
		b.WriteString("|")
	}
	return b.String()
}

// clickMenuItem runs, on the UI goroutine (do), the action of the nth
// enabled item labelled so in the menu (0: the first); false when there is
// none.
func clickMenuItem(do func(func()), menu func() *fyne.Menu, label string, nth int) bool {
	var found bool
	do(func() {
		for _, it := range menu().Items {
			if it.Label == label && !it.Disabled {
				if nth == 0 {
					found = true
					it.Action()
					return
				}
				nth--
			}
		}
	})
	return found
}

func TestMenuForEveryState(t *testing.T) {
	const tail = "-|Status…|Settings…|Start at login|-|Quit and stop the gateway|"
	const tailNoGateway = "-|Status…|Settings…|Start at login|-|Quit|"
	tests := []struct {
		name      string
		st        runner.Status
		autostart bool
		want      string
	}{
		{"authenticated: log in disabled", authenticated(), false,
			"(Authenticated as U1234567 · paper)|-|(Log in)|Open gateway page|Restart gateway|" + tail},
		{"no credentials: what the keeper offers", noCredentials(), false,
			"(Login needed)|-|(Log in)|Log in in the browser|Open Settings…|Open gateway page|Restart gateway|" + tail},
		{"bad credentials: no Log in with the same password", badCredentials(), false,
			"(IBKR rejected the username or password)|-|(Log in)|Log in in the browser|Open Settings…|Open gateway page|Restart gateway|" + tail},
		{"logging in: nothing to click while it runs", loginRunning(keeper(snap(gateway.Running, session.LoggingIn), session.CauseSessionLost, false, session.Offers{})), false,
			"(Logging in…)|-|(Log in)|Open gateway page|Restart gateway|" + tail},
		{"cap in a row: one explicit retry", capInRow(), false,
			"(Automatic login paused)|-|(Log in)|Log in in the browser|Retry automatic login|Open gateway page|Restart gateway|" + tail},
		{"cap for the day: only the browser login", capPerDay(), false,
			"(Automatic login stopped for today)|-|(Log in)|Log in in the browser|Open gateway page|Restart gateway|" + tail},
		{"waiting for a manual login: cancel, browser, restart", manualWait(), false,
			"(Waiting for your login in the browser)|-|(Log in)|Log in in the browser|Cancel login|Open gateway page|Restart gateway|" + tail},
		{"logged out: log in", loggedOut(), false,
			"(Logged out)|-|Log in|Log in in the browser|Open gateway page|Restart gateway|" + tail},
		{"competing: take it back", competing(), false,
			"(Another session is using the account)|-|(Log in)|Take the session back|Open Settings…|Open gateway page|Restart gateway|" + tail},
		{"adopted gateway: not ours to restart", snap(gateway.Adopted, session.Authenticated), false,
			"(Authenticated as U1234567 · paper)|-|(Log in)|Open gateway page|(Restart gateway)|" + tailNoGateway},
		{"starting: nothing to open or log into yet", snap(gateway.Starting, session.GatewayDown), false,
			"(Gateway starting…)|-|(Log in)|(Open gateway page)|(Restart gateway)|" + tail},
		{"stopped: offers to start", snap(gateway.Stopped, session.GatewayDown), false,
			"(Gateway stopped)|-|(Log in)|(Open gateway page)|Start gateway|" + tailNoGateway},
		{"failed: offers to start again", snap(gateway.Failed, session.GatewayDown), false,
			"(Gateway failed)|-|(Log in)|(Open gateway page)|Start gateway|" + tailNoGateway},
		{"start at login installed is checked", authenticated(), true,
			"(Authenticated as U1234567 · paper)|-|(Log in)|Open gateway page|Restart gateway|-|Status…|Settings…|[x] Start at login|-|Quit and stop the gateway|"},
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
		labelLogin: ActLogin, labelLoginBrowser: ActLoginInBrowser, labelRetry: ActRetry,
		labelTakeBack: ActTakeBack, labelOpenSettings: ActOpenSettings, labelCancelLogin: ActCancelLogin,
		labelOpenGateway: ActOpenGateway, labelRestart: ActRestart,
		labelStatus: ActStatus, labelSettings: ActSettings, labelStartAtLogin: ActAutostart, labelQuitAndStop: ActQuit,
	}
	all := keeper(snap(gateway.Running, session.NeedsManualLogin), session.CauseNoCredentials, true, session.Offers{
		Login: true, LoginInBrowser: true, Retry: true, OpenSettings: true, CancelLogin: true, TakeBack: true})
	seen := map[string]bool{}
	for _, it := range menuModel(all, false) {
		if a, ok := want[it.Label]; ok {
			seen[it.Label] = true
			if it.Action != a {
				t.Errorf("%q does %v, want %v", it.Label, it.Action, a)
			}
		}
	}
	if len(seen) != len(want) {
		t.Errorf("with every offer the menu has %v of %d labels", seen, len(want))
	}
}

func TestNeedsUserOnlyWhenTheKeeperSaysSo(t *testing.T) {
	tests := []struct {
		name string
		st   runner.Status
		want bool
	}{
		{"no credentials", noCredentials(), true},
		{"cap tripped", capInRow(), true},
		{"waiting for the user's browser login", manualWait(), true},
		{"logged out by the user", loggedOut(), false},
		{"reconnecting", reconnecting(), false},
		{"authenticated", authenticated(), false},
		{"a state name alone is no verdict", snap(gateway.Running, session.NeedsManualLogin), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := needsUser(tc.st); got != tc.want {
				t.Errorf("needsUser = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestMenuWithNothingSetUpSaysSo: before a gateway folder is chosen the
// menu does not claim a stopped gateway; its Start item sets it up.
func TestMenuWithNothingSetUpSaysSo(t *testing.T) {
	got := menuModelFor(stoppedStatus("Not started yet."), menuContext{NotSetUp: true})
	want := "(Not set up)|-|(Log in)|(Open gateway page)|Set up the gateway…|-|Status…|Settings…|Start at login|-|Quit|"
	if lines := menuLines(got); lines != want {
		t.Errorf("menu\n got %s\nwant %s", lines, want)
	}
	for _, it := range got {
		if it.Label == labelSetUp && it.Action != ActRestart {
			t.Errorf("%q does %v; want the Start item's action (the tray opens the Welcome window)", it.Label, it.Action)
		}
	}
}

func TestMenuQuitSaysItStopsTheGatewayOnlyWhenOneRuns(t *testing.T) {
	for _, tc := range []struct {
		state gateway.State
		want  string
	}{
		{gateway.Running, labelQuitAndStop}, {gateway.Starting, labelQuitAndStop},
		{gateway.Unresponsive, labelQuitAndStop}, {gateway.Restarting, labelQuitAndStop},
		{gateway.Stopped, labelQuit}, {gateway.Failed, labelQuit}, {gateway.Adopted, labelQuit},
	} {
		items := menuModel(snap(tc.state, session.Authenticated), false)
		if got := items[len(items)-1]; got.Label != tc.want || got.Action != ActQuit {
			t.Errorf("gateway %v: last item %q (%v); want %q", tc.state, got.Label, got.Action, tc.want)
		}
	}
}

// The tray item's Status follows the attention icon and nothing else.
func TestSNIStatusForIcon(t *testing.T) {
	for s, want := range map[IconState]string{
		IconOK: "Active", IconWorking: "Active", IconStopped: "Active", IconAttention: "NeedsAttention",
	} {
		if got := sniStatusFor(s); got != want {
			t.Errorf("sniStatusFor(%v) = %q, want %q", s, got, want)
		}
	}
}
