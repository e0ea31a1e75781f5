package runner

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ibkr-tray/ibkr-tray/gateway"
	"github.com/ibkr-tray/ibkr-tray/gateway/sim"
	"github.com/ibkr-tray/ibkr-tray/session"
	"github.com/ibkr-tray/ibkr-tray/session/secrets"
	"github.com/ibkr-tray/ibkr-tray/ui/config"
	"github.com/ibkr-tray/ibkr-tray/ui/desktoptest"
)

// TestHeadlessIBKeyAsksTheWebhookToApproveOnThePhone: headless, an IB Key
// user's login reaches a webhook as "approve on your phone" (needs you),
// the settings' second factor and wait reach the keeper, and the tap in
// the simulator's phone logs in, with nothing counted against the user.
func TestHeadlessIBKeyAsksTheWebhookToApproveOnThePhone(t *testing.T) {
	if testing.Short() {
		t.Skip("drives Chromium against the simulated gateway")
	}
	desktoptest.RequireTools(t, "chromium")
	srv := newWebhookServer(t, 0, 0)
	so := sim.DefaultOptions()
	so.TermDelay = 0
	so.ResetAt = ""
	so.Accounts = []sim.Account{sim.IBKeyAccount("phoneuser", "pw")}
	r := simRunnerOf(t, so, nil, func(o *Options) {
		o.Config.Webhooks = []string{srv.URL + "/ibkr"}
		o.Config.Browser = chromium
		o.Config.SecondFactor = "ibkey"
		o.Config.ApprovalWait = config.Duration(time.Minute)
		o.Credentials = secrets.Memory(secrets.Credentials{Username: "phoneuser", Password: "pw"})
	})
	run(t, r)
	simURL := waitStatus(t, r, "the gateway running", func(st Status) bool { return st.Gateway.State == gateway.Running }).Gateway.URL
	simURL = strings.Replace(simURL, "localhost", "127.0.0.1", 1)

	var e Event
	deadline := time.After(45 * time.Second)
	for e.Cause != string(session.CauseApproveOnPhone) {
		select {
		case <-srv.got:
		case <-deadline:
			t.Fatalf("no approve-on-phone post within 45s: %q; status %+v", srv.posts(), r.Status().Session)
		}
		for _, p := range srv.posts() {
			if _, body, _ := strings.Cut(strings.TrimPrefix(p, "POST application/json"), " "); strings.Contains(body, `"approve-on-phone"`) {
				if err := json.Unmarshal([]byte(body), &e); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	if e.State != "WaitingForApproval" || !e.NeedsYou || !strings.Contains(e.Text, "you must act") || !strings.Contains(e.Text, "IBKR Mobile") {
		t.Errorf("the webhook got %+v", e)
	}
	s := r.Status().Session
	if left := time.Until(s.Latches.ApprovalUntil); s.SecondFactor != "ibkey" || left <= 0 || left > time.Minute {
		t.Errorf("while waiting: factor %q, approval until in %v (want within the 1m setting)", s.SecondFactor, left)
	}
	if st := simState(t, simURL); st.PushesSent != 1 || len(st.Pushes) != 1 || st.Pushes[0].State != sim.PushPending {
		t.Fatalf("the simulator's pushes: %d sent, %+v", st.PushesSent, st.Pushes)
	}
	resp, err := simClient.Post(simURL+"/sim/approve", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	waitStatus(t, r, "authenticated after the tap", func(st Status) bool { return st.Session.State == session.Authenticated })
	st := simState(t, simURL)
	if st.PushesSent != 1 || st.PushesApproved != 1 || st.FailedLogins["phoneuser"] != 0 || len(st.LockedUsers) != 0 {
		t.Errorf("the simulator counted pushes %d sent %d approved, failed logins %v, locked %v",
			st.PushesSent, st.PushesApproved, st.FailedLogins, st.LockedUsers)
	}
}
