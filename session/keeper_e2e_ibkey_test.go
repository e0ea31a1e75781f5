package session

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ibkr-tray/ibkr-tray/gateway/sim"
	"github.com/ibkr-tray/ibkr-tray/session/secrets"
	"github.com/ibkr-tray/ibkr-tray/ui/desktoptest"
)

// The keeper with an IB Key user against the simulator over HTTPS, logging
// in with Chromium: the simulator sends the "push", and the test answers
// it as the user's phone would (sim.Approve, sim.Deny) once /sim/state
// shows it pending.

var phoneCreds = secrets.Credentials{Username: "phoneuser", Password: "pw"}

// ibkeyRig is a simulator with one IB Key-only user and a keeper that can
// be stopped and started again (the app restarted) on the same state file.
type ibkeyRig struct {
	*e2e
	ctx       context.Context
	stateFile string
	stop      func() // stops the running keeper and waits for it
}

func startIBKey(t *testing.T, ko func(o *KeeperOptions)) *ibkeyRig {
	t.Helper()
	if testing.Short() {
		t.Skip("drives Chromium against the simulator")
	}
	desktoptest.RequireTools(t, "chromium")
	e := &e2e{t: t, clock: &testClock{}, events: make(chan stateEvent, 64)}
	o := e2eSim(e.clock)
	o.Accounts = []sim.Account{sim.IBKeyAccount(phoneCreds.Username, phoneCreds.Password)}
	o.PushLifetime = 10 * time.Minute // the keeper's wait ends first
	ctx, cancel := context.WithCancel(context.Background())
	s, err := sim.Start(ctx, "127.0.0.1:0", o)
	if err != nil {
		cancel()
		t.Fatalf("sim.Start: %v", err)
	}
	e.sim = s
	r := &ibkeyRig{e2e: e, ctx: ctx, stateFile: filepath.Join(t.TempDir(), "session-state.json")}
	t.Cleanup(func() {
		r.stop()
		cancel()
		s.Close()
	})
	r.startKeeper(ko)
	return r
}

// startKeeper starts a keeper (the app) on the rig's state file.
func (r *ibkeyRig) startKeeper(ko func(o *KeeperOptions)) {
	r.t.Helper()
	c, err := NewClient(ClientOptions{BaseURL: r.sim.URL(), Timeout: 2 * time.Second})
	if err != nil {
		r.t.Fatalf("NewClient: %v", err)
	}
	opts := r.keeperOptions(c, secrets.Memory(phoneCreds))
	opts.StateFile = r.stateFile
	opts.ApprovalWait = 90 * time.Second
	if ko != nil {
		ko(&opts)
	}
	r.k = NewKeeper(opts)
	ctx, cancel := context.WithCancel(r.ctx)
	done := make(chan error, 1)
	go func() { done <- r.k.Run(ctx) }()
	r.stop = sync.OnceFunc(func() {
		cancel()
		<-done
	})
}

// waitPush waits until /sim/state counts n pushes sent and the newest is
// pending: IBKR has sent the notification, the phone may answer it.
func (r *ibkeyRig) waitPush(n int) {
	r.t.Helper()
	deadline := time.NewTimer(30 * time.Second)
	defer deadline.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		st := r.sim.State()
		if p := st.Pushes; st.PushesSent == n && len(p) > 0 && p[len(p)-1].State == sim.PushPending {
			return
		}
		select {
		case <-tick.C:
		case <-deadline.C:
			s := r.k.Status()
			r.t.Fatalf("push %d pending: not within 30s; sim %+v; keeper %v (%s) %q", n, st.Pushes, s.State, s.Reason, s.LastError)
		}
	}
}

// waitChecks waits, bounded, until the keeper has checked the session n
// more times (each a tickle IBKR answered, "no session" included): time
// enough for it to do something by itself, measured by what it did.
func (r *ibkeyRig) waitChecks(n int) {
	r.t.Helper()
	last, seen := r.k.Status().LastGoodCheck, 0
	r.waitFor(fmt.Sprintf("%d checks", n), time.Duration(n+2)*5*time.Second, func(s Status) bool {
		if s.LastGoodCheck.After(last) {
			last, seen = s.LastGoodCheck, seen+1
		}
		return seen >= n
	})
}

// expectPushes checks the simulator's IB Key counters and that nothing
// counted against the user: no failed login, no lock.
func (r *ibkeyRig) expectPushes(sent, approved, denied int) {
	r.t.Helper()
	st := r.sim.State()
	if st.PushesSent != sent || st.PushesApproved != approved || st.PushesDenied != denied {
		r.t.Errorf("pushes sent %d approved %d denied %d, want %d %d %d (%+v)",
			st.PushesSent, st.PushesApproved, st.PushesDenied, sent, approved, denied, st.Pushes)
	}
	r.expectFailedLogins(phoneCreds.Username, 0)
	if s := r.k.Status(); s.FailedLoginsInRow != 0 || s.FailedLoginsToday != 0 {
		r.t.Errorf("the keeper counted %d failed logins in a row, %d today; want none", s.FailedLoginsInRow, s.FailedLoginsToday)
	}
}

// expectWaitingForTheTap checks what the user is shown while the phone
// has the notification.
func (r *ibkeyRig) expectWaitingForTheTap(wait time.Duration) {
	r.t.Helper()
	r.waitFor("waiting for the approval", 10*time.Second, func(s Status) bool { return s.State == WaitingForApproval })
	s := r.k.Status()
	left := time.Until(s.Latches.ApprovalUntil)
	if s.Cause != CauseApproveOnPhone || !s.NeedsYou || s.Offers != (Offers{CancelLogin: true}) ||
		left <= 0 || left > wait || !strings.Contains(s.Reason, "approve the login there") || s.SecondFactor != "ibkey" {
		r.t.Errorf("waiting: cause %q needsYou %v offers %+v left %v factor %q reason %q",
			s.Cause, s.NeedsYou, s.Offers, left, s.SecondFactor, s.Reason)
	}
}

func TestIBKeyApprovedLogsIn(t *testing.T) {
	r := startIBKey(t, nil)
	r.waitPush(1)
	r.expectWaitingForTheTap(90 * time.Second)
	if err := r.sim.Approve(""); err != nil {
		t.Fatal(err)
	}
	took := r.waitState(Authenticated, 30*time.Second)
	t.Logf("authenticated %v after the tap", took.Round(time.Millisecond))
	s := r.k.Status()
	if s.LastLoginMethod != "browser" || s.User != phoneCreds.Username || !s.Latches.ApprovalUntil.IsZero() || s.SecondFactor != "ibkey" {
		t.Errorf("after the tap: method %q user %q approvalUntil %v factor %q", s.LastLoginMethod, s.User, s.Latches.ApprovalUntil, s.SecondFactor)
	}
	r.expectLogins(1)
	r.expectPushes(1, 1, 0)
}

func TestIBKeyDeniedIsADenialAndSendsNoNewPush(t *testing.T) {
	r := startIBKey(t, nil)
	r.waitPush(1)
	r.expectWaitingForTheTap(90 * time.Second)
	if err := r.sim.Deny(""); err != nil {
		t.Fatal(err)
	}
	r.waitFor("the denial", 20*time.Second, func(s Status) bool { return s.Cause == CauseApprovalDenied })
	s := r.k.Status()
	if s.State != NeedsManualLogin || !s.NeedsYou || !s.Offers.Login || !s.Offers.LoginInBrowser ||
		!strings.HasPrefix(s.Reason, "You denied the login in IBKR Mobile") || s.Latches.ApprovalUnanswered != CauseApprovalDenied {
		t.Errorf("denied: state %v needsYou %v offers %+v latches %+v reason %q", s.State, s.NeedsYou, s.Offers, s.Latches, s.Reason)
	}
	r.waitChecks(3)
	r.expectLogins(1)
	r.expectPushes(1, 0, 1)
}

func TestIBKeyNeverAnsweredWaitsForTheUser(t *testing.T) {
	r := startIBKey(t, func(o *KeeperOptions) { o.ApprovalWait = 4 * time.Second })
	r.waitPush(1)
	r.expectWaitingForTheTap(4 * time.Second)
	r.waitFor("the missed approval", 30*time.Second, func(s Status) bool { return s.Cause == CauseApprovalMissed })
	s := r.k.Status()
	if s.State != NeedsManualLogin || !s.NeedsYou || !s.Offers.Login || !strings.Contains(s.Reason, "not approved in IBKR Mobile within 4 seconds") {
		t.Errorf("missed: state %v needsYou %v offers %+v reason %q", s.State, s.NeedsYou, s.Offers, s.Reason)
	}
	// Not more than once in a row: no new push by itself.
	r.waitChecks(4)
	r.expectLogins(1)
	r.expectPushes(1, 0, 0)
	// Log in sends exactly one new push.
	r.k.Login()
	r.waitPush(2)
	if err := r.sim.Approve(""); err != nil {
		t.Fatal(err)
	}
	r.waitState(Authenticated, 30*time.Second)
	r.expectLogins(2)
	r.expectPushes(2, 1, 0)
	if s := r.k.Status(); s.Latches.ApprovalUnanswered != "" {
		t.Errorf("after the login the latch stays: %+v", s.Latches)
	}
}

func TestIBKeyApprovedAfterTheAppRestarted(t *testing.T) {
	r := startIBKey(t, nil)
	r.waitPush(1)
	r.expectWaitingForTheTap(90 * time.Second)
	r.stop() // the app quits while the phone has the notification
	if got := r.sim.State().Pushes; len(got) != 1 || got[0].State != sim.PushPending {
		t.Fatalf("after the quit the push is %+v, want it pending", got)
	}
	r.startKeeper(nil)
	r.waitPush(2) // the new app's own push; the old one expires
	r.expectWaitingForTheTap(90 * time.Second)
	if err := r.sim.Approve(""); err != nil {
		t.Fatal(err)
	}
	r.waitState(Authenticated, 30*time.Second)
	r.expectLogins(2)
	r.expectPushes(2, 1, 0)
	if st := r.sim.State(); st.PushesExpired != 1 {
		t.Errorf("pushes expired %d, want 1 (the first app's)", st.PushesExpired)
	}
}

func TestIBKeyCancelStopsTheWait(t *testing.T) {
	r := startIBKey(t, nil)
	r.waitPush(1)
	r.expectWaitingForTheTap(90 * time.Second)
	r.k.CancelLogin()
	took := r.waitFor("the stopped wait", 20*time.Second, func(s Status) bool { return s.Cause == CauseApprovalMissed })
	t.Logf("the wait ended %v after Cancel", took.Round(time.Millisecond))
	s := r.k.Status()
	if s.State != NeedsManualLogin || !strings.Contains(s.Reason, "you stopped waiting") ||
		!strings.Contains(s.Reason, "does not count as a failed login") || !s.Latches.ApprovalUntil.IsZero() {
		t.Errorf("stopped: state %v latches %+v reason %q", s.State, s.Latches, s.Reason)
	}
	r.waitChecks(3)
	r.expectLogins(1)
	r.expectPushes(1, 0, 0)
}
