package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/ibkr-tray/ibkr-tray/gateway"
	"github.com/ibkr-tray/ibkr-tray/session"
	"github.com/ibkr-tray/ibkr-tray/ui/runner"
)

type step struct {
	at time.Duration // since t0
	st *runner.Status
}

// run feeds snapshots and ticks every second until end, and returns the
// notifications with the second they were sent at.
func runCoalescer(c *Coalescer, steps []step, end time.Duration) []string {
	var out []string
	record := func(now time.Time, ns []Notification) {
		for _, n := range ns {
			out = append(out, n.Kind.String()+"@"+now.Sub(t0).String()+": "+n.Body)
		}
	}
	i := 0
	for at := time.Duration(0); at <= end; at += time.Second {
		now := t0.Add(at)
		for i < len(steps) && steps[i].at <= at {
			record(now, c.Observe(*steps[i].st, now))
			i++
		}
		if d := c.NextDeadline(); !d.IsZero() && !now.Before(d) {
			record(now, c.Tick(now))
		}
	}
	return out
}

func ptr(st runner.Status) *runner.Status { return &st }

func TestCoalescer(t *testing.T) {
	authed := ptr(authenticated())
	reauth := ptr(reconnecting())
	down := ptr(keeper(snap(gateway.Restarting, session.GatewayDown), session.CauseGatewayDown, false, session.Offers{}))
	manual := ptr(noCredentials())
	failed := snap(gateway.Failed, session.GatewayDown)
	failed.Gateway.Reason = "The gateway exited 5 times in 2 minutes"
	const loginNeeded = "No login details are stored for automated login. Choose Log in in the browser, or store them in Settings."
	tests := []struct {
		name  string
		steps []step
		end   time.Duration
		want  []string
	}{
		{"a nightly reset that flaps five times gives one restored after 14 seconds", []step{
			{0, authed}, {10 * time.Second, reauth}, {12 * time.Second, authed}, {13 * time.Second, reauth},
			{15 * time.Second, authed}, {16 * time.Second, down}, {20 * time.Second, reauth},
			{22 * time.Second, authed}, {23 * time.Second, reauth}, {24 * time.Second, authed},
		}, 60 * time.Second, []string{"Restored@29s: Session restored after 14 seconds."}},
		{"a long loss is told once in its cause's words, then its restore", []step{
			{0, authed}, {10 * time.Second, reauth}, {20 * time.Second, down}, {100 * time.Second, authed},
		}, 200 * time.Second, []string{
			"SessionLost@40s: The gateway does not answer. ibkr-tray keeps trying; you will hear when the session is back.",
			"Restored@1m45s: Session restored after 1 minute 30 seconds.",
		}},
		{"login needed is urgent at once and replaces session lost", []step{
			{0, authed}, {5 * time.Second, manual}, {300 * time.Second, authed},
		}, 400 * time.Second, []string{
			"LoginNeeded@5s: " + loginNeeded,
			"Restored@5m5s: Session restored after 4 minutes 55 seconds.",
		}},
		{"a gateway failure is told once while it lasts", []step{
			{0, authed}, {5 * time.Second, &failed}, {6 * time.Second, &failed}, {50 * time.Second, &failed},
		}, 100 * time.Second, []string{
			"GatewayFailed@5s: The gateway exited 5 times in 2 minutes. Open Status… in the tray for its output, then Start gateway.",
		}},
		{"the same cause is not repeated within ten minutes", []step{
			{0, manual}, {60 * time.Second, reauth}, {70 * time.Second, manual}, {700 * time.Second, reauth}, {710 * time.Second, manual},
		}, 720 * time.Second, []string{
			"LoginNeeded@0s: " + loginNeeded,
			"LoginNeeded@11m50s: " + loginNeeded,
		}},
		{"a new cause is told though another was told minutes before", []step{
			{0, authed}, {5 * time.Second, manual}, {65 * time.Second, reauth}, {125 * time.Second, ptr(badCredentials())},
		}, 200 * time.Second, []string{
			"LoginNeeded@5s: " + loginNeeded,
			"LoginNeeded@2m5s: Automated login stopped so that IBKR does not lock the account. Correct the credentials in Settings, or choose Log in in the browser.",
		}},
		{"a worse cause during a told loss is told at once", []step{
			{0, authed}, {5 * time.Second, ptr(ibkrErrors())}, {100 * time.Second, ptr(capInRow())},
		}, 120 * time.Second, []string{
			"SessionLost@35s: IBKR's servers answer the gateway with errors. ibkr-tray keeps checking; you will hear when the session is back.",
			"CapTripped@1m40s: 3 logins failed in a row, so ibkr-tray stopped before IBKR locks the username. Fix the cause, then choose Retry automatic login; or choose Log in in the browser.",
		}},
		{"a first login the user was asked for is confirmed", []step{
			{0, down}, {10 * time.Second, manual}, {40 * time.Second, authed},
		}, 60 * time.Second, []string{
			"LoginNeeded@10s: " + loginNeeded,
			"Restored@45s: Session restored after 30 seconds.",
		}},
		{"a deliberate logout tells nothing, nor the login after it", []step{
			{0, authed}, {10 * time.Second, ptr(loggedOut())}, {300 * time.Second, authed},
		}, 400 * time.Second, nil},
		{"starting up unauthenticated is not a loss", []step{
			{0, down}, {10 * time.Second, reauth}, {20 * time.Second, authed},
		}, 60 * time.Second, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := runCoalescer(NewCoalescer(), tc.steps, tc.end)
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("got\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(tc.want, "\n  "))
			}
		})
	}
}

func TestCoalescerIBKRFlappingGivesNoStreamOfNotifications(t *testing.T) {
	// IBKR answers 503 for 10 s, then fine for 10 s, for five minutes.
	steps := []step{{0, ptr(authenticated())}}
	for at := 10 * time.Second; at < 5*time.Minute; at += 20 * time.Second {
		steps = append(steps, step{at, ptr(ibkrErrors())}, step{at + 10*time.Second, ptr(authenticated())})
	}
	got := runCoalescer(NewCoalescer(), steps, 6*time.Minute)
	if len(got) > 1 {
		t.Errorf("%d notifications for one flapping spell:\n  %s", len(got), strings.Join(got, "\n  "))
	}
}

func TestNoticeUrgencyAndActions(t *testing.T) {
	tests := []struct {
		name        string
		st          runner.Status
		kind        NoticeKind
		urgent, act bool
	}{
		{"no credentials: no Log in to offer", noCredentials(), NoticeLoginNeeded, true, false},
		{"keyring locked: Log in once unlocked", keeper(snap(gateway.Running, session.NeedsManualLogin), session.CauseCredentialsLocked, true,
			session.Offers{Login: true, LoginInBrowser: true}), NoticeLoginNeeded, true, true},
		{"bad credentials: no Log in button to send them again", badCredentials(), NoticeLoginNeeded, true, false},
		{"cap tripped", capInRow(), NoticeCapTripped, true, false},
		{"competing the user must settle", competing(), NoticeCompeting, true, false},
		{"gateway failed", snap(gateway.Failed, session.GatewayDown), NoticeGatewayFailed, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, n, ok := attentionFor(tc.st)
			if !ok || n.Kind != tc.kind || n.Urgent != tc.urgent || n.LoginAction != tc.act {
				t.Errorf("got %+v ok=%v", n, ok)
			}
		})
	}
	for _, st := range []runner.Status{loggedOut(), reconnecting(), ibkrErrors(), authenticated(), brokerageLate()} {
		if _, n, ok := attentionFor(st); ok {
			t.Errorf("%s (%s): told %+v; nobody needs to act", st.Session.State, st.Session.Cause, n)
		}
	}
}
