package session

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ibkr-tray/ibkr-tray/session/login"
	"github.com/ibkr-tray/ibkr-tray/session/secrets"
)

// The keeper with IB Key, against the fake gateway in a synctest bubble:
// a fake phone plays the login that sends a notification and waits for
// the tap. keeper_e2e_ibkey_test.go does the same with the simulator and
// Chromium.

var ibkeyCreds = secrets.Credentials{Username: "ibkeyuser", Password: "pw"}

// fakePhone is a browser login whose second factor is an IB Key
// notification: it tells the keeper (OnApproval), then waits for the
// test's answer, the approval wait, or the keeper's cancel.
type fakePhone struct {
	gw      *fakeGateway
	answers chan string // "approve" or "deny"

	mu       sync.Mutex
	attempts []login.Attempt
}

func newFakePhone(gw *fakeGateway) *fakePhone {
	return &fakePhone{gw: gw, answers: make(chan string, 1)}
}

func (p *fakePhone) run(ctx context.Context, a login.Attempt) (login.Result, error) {
	p.mu.Lock()
	p.attempts = append(p.attempts, a)
	p.mu.Unlock()
	a.OnApproval(time.Now().Add(a.ApprovalWait))
	wait := time.NewTimer(a.ApprovalWait)
	defer wait.Stop()
	select {
	case <-ctx.Done():
		return login.Result{}, &login.Error{Kind: login.Unknown, Msg: "The login was canceled.", Err: ctx.Err()}
	case <-wait.C:
		return login.Result{}, &login.Error{Kind: login.ApprovalMissed}
	case answer := <-p.answers:
		if answer == "deny" {
			return login.Result{}, &login.Error{Kind: login.ApprovalDenied}
		}
	}
	p.gw.set(func(f *fakeGateway) { f.sso, f.brokerage = true, true })
	return login.Result{PageVersion: "current", Factor: login.FactorIBKey}, nil
}

func (p *fakePhone) pushes() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.attempts)
}

// phoneTest runs a keeper whose user has IB Key only (no TOTP secret).
func phoneTest(t *testing.T, run func(h *harness, p *fakePhone)) {
	t.Helper()
	var p *fakePhone
	policyTest(t, newFakeGateway, nil, func(o *KeeperOptions) {
		p = newFakePhone(o.Client.(*fakeGateway))
		o.BrowserLogin = p.run
		o.Credentials = secrets.Memory(ibkeyCreds)
		o.ApprovalWait = 2 * time.Minute
		o.StateFile = filepath.Join(t.TempDir(), "session-state.json")
	}, func(h *harness) { run(h, p) })
}

func (h *harness) expectNoFailedLogins() {
	h.t.Helper()
	if s := h.k.Status(); s.FailedLoginsInRow != 0 || s.FailedLoginsToday != 0 {
		h.t.Errorf("failed logins counted: %d in a row, %d today; an unanswered notification is not a failed login",
			s.FailedLoginsInRow, s.FailedLoginsToday)
	}
}

func waitingForTheTap(s Status) bool {
	return s.State == WaitingForApproval && s.Cause == CauseApproveOnPhone && s.NeedsYou &&
		s.Offers == (Offers{CancelLogin: true}) && !s.Latches.ApprovalUntil.IsZero()
}

func TestAnApprovedNotificationLogsIn(t *testing.T) {
	phoneTest(t, func(h *harness, p *fakePhone) {
		h.waitFor("the notification", 10*time.Second, waitingForTheTap)
		h.expectStatus("the wait's end", func(s Status) bool {
			left := time.Until(s.Latches.ApprovalUntil)
			return left > 110*time.Second && left <= 2*time.Minute && strings.Contains(s.Reason, "2 minutes") &&
				s.SecondFactor == "ibkey"
		})
		// A crash during the wait counts at the next start (a crash loop
		// must not notify the phone without end).
		if rec, err := loadCapRecord(h.k.o.StateFile); err != nil || !rec.Pending {
			t.Errorf("the state file during the wait: %+v %v; want the attempt pending", rec, err)
		}
		p.answers <- "approve"
		h.waitState(Authenticated, 10*time.Second)
		h.expectStatus("after the tap", func(s Status) bool {
			return s.Latches.ApprovalUntil.IsZero() && s.Latches.ApprovalUnanswered == "" && s.SecondFactor == "ibkey"
		})
		if a := p.attempts[0]; a.SecondFactor != login.FactorAuto || a.ApprovalWait != 2*time.Minute || a.TOTPSecret != "" {
			t.Errorf("the attempt: factor %q wait %v", a.SecondFactor, a.ApprovalWait)
		}
		h.expectNoFailedLogins()
	})
}

func TestAMissedApprovalIsNotAFailedLoginAndSendsNoNewOneByItself(t *testing.T) {
	phoneTest(t, func(h *harness, p *fakePhone) {
		h.waitFor("the notification", 10*time.Second, waitingForTheTap)
		h.waitFor("the missed approval", 3*time.Minute, func(s Status) bool { return s.Cause == CauseApprovalMissed })
		h.expectStatus("missed", func(s Status) bool {
			return s.State == NeedsManualLogin && s.NeedsYou && s.Offers.Login && s.Offers.LoginInBrowser &&
				s.Latches.ApprovalUnanswered == CauseApprovalMissed && s.Latches.ApprovalUntil.IsZero() &&
				strings.Contains(s.Reason, "not approved in IBKR Mobile within 2 minutes")
		})
		h.idle(time.Hour)
		if n := p.pushes(); n != 1 {
			t.Fatalf("%d notifications by itself within an hour, want 1", n)
		}
		h.expectNoFailedLogins()
		// Log in: exactly one new notification, and its miss waits again.
		h.k.Login()
		h.waitFor("the second notification", 10*time.Second, waitingForTheTap)
		h.waitFor("missed again", 3*time.Minute, func(s Status) bool { return s.Cause == CauseApprovalMissed })
		h.idle(time.Hour)
		if n := p.pushes(); n != 2 {
			t.Errorf("%d notifications after one Log in, want 2", n)
		}
		h.expectNoFailedLogins()
	})
}

func TestADeniedApprovalReadsAsADenial(t *testing.T) {
	phoneTest(t, func(h *harness, p *fakePhone) {
		h.waitFor("the notification", 10*time.Second, waitingForTheTap)
		p.answers <- "deny"
		h.waitFor("the denial", 10*time.Second, func(s Status) bool { return s.Cause == CauseApprovalDenied })
		h.expectStatus("denied", func(s Status) bool {
			return s.State == NeedsManualLogin && s.NeedsYou && s.Offers.Login &&
				strings.HasPrefix(s.Reason, "You denied the login in IBKR Mobile") && !strings.Contains(s.Reason, "password is wrong")
		})
		h.idle(time.Hour)
		if n := p.pushes(); n != 1 {
			t.Errorf("%d notifications after a denial, want 1", n)
		}
		h.expectNoFailedLogins()
		// Reauthenticate sends no notification: it stays the first remedy.
		h.gw.set(func(f *fakeGateway) { f.sso = true })
		h.waitState(Authenticated, time.Minute)
		if n := p.pushes(); n != 1 {
			t.Errorf("%d notifications, want 1: reauthenticate brought the session back", n)
		}
		h.expectStatus("cleared by the session", func(s Status) bool { return s.Latches.ApprovalUnanswered == "" })
	})
}

func TestCancelStopsTheWaitForTheApproval(t *testing.T) {
	phoneTest(t, func(h *harness, p *fakePhone) {
		h.waitFor("the notification", 10*time.Second, waitingForTheTap)
		h.k.CancelLogin()
		took := h.waitFor("the stopped wait", 10*time.Second, func(s Status) bool { return s.Cause == CauseApprovalMissed })
		if took > 5*time.Second { // the check after it keeps IBKR's one tickle a second
			t.Errorf("the wait ended %v after Cancel, want at once", took)
		}
		h.expectStatus("stopped", func(s Status) bool {
			return s.State == NeedsManualLogin && strings.Contains(s.Reason, "you stopped waiting") &&
				strings.Contains(s.Reason, "does not count as a failed login") && s.Latches.ApprovalUntil.IsZero()
		})
		h.idle(time.Hour)
		if n := p.pushes(); n != 1 {
			t.Errorf("%d notifications after Cancel, want 1", n)
		}
		h.expectNoFailedLogins()
		// Log in in the browser, then Cancel: back to the stopped wait, no
		// new notification.
		h.k.LoginInBrowser()
		h.waitState(WaitingForManualLogin, 5*time.Second)
		h.k.CancelLogin()
		h.waitFor("back", 5*time.Second, func(s Status) bool { return s.Cause == CauseApprovalMissed })
		h.idle(time.Hour)
		if n := p.pushes(); n != 1 {
			t.Errorf("%d notifications after the browser's Cancel, want 1", n)
		}
	})
}

func TestTheAuthenticatorAppChoiceIsPassedAndShown(t *testing.T) {
	policyTest(t, newFakeGateway, nil, func(o *KeeperOptions) { o.SecondFactor = login.FactorTOTP }, func(h *harness) {
		h.waitState(Authenticated, 10*time.Second)
		if a := h.lg.attempt(0); a.SecondFactor != login.FactorTOTP || a.ApprovalWait != login.DefaultApprovalWait {
			t.Errorf("the attempt: factor %q wait %v", a.SecondFactor, a.ApprovalWait)
		}
		h.expectStatus("totp", func(s Status) bool { return s.SecondFactor == "totp" })
		h.k.Reconfigure(Settings{MaxFailedInRow: 3, MaxFailedPerDay: 10, SecondFactor: login.FactorIBKey, ApprovalWait: time.Minute})
		h.waitFor("the new setting", 5*time.Second, func(s Status) bool { return s.SecondFactor == "ibkey" })
		h.gw.set(func(f *fakeGateway) { f.sso, f.brokerage = false, false })
		h.waitFor("the next login", time.Minute, func(Status) bool { return h.lg.count() == 2 })
		if a := h.lg.attempt(1); a.SecondFactor != login.FactorIBKey || a.ApprovalWait != time.Minute {
			t.Errorf("after Reconfigure the attempt: factor %q wait %v", a.SecondFactor, a.ApprovalWait)
		}
	})
}

func TestAutomaticShowsTheFactorOnceTheCredentialsAreRead(t *testing.T) {
	// "Auto" is a spelling of automatic.
	policyTest(t, newFakeGateway, nil, func(o *KeeperOptions) { o.SecondFactor = "Auto" }, func(h *harness) {
		if s := h.k.Status(); s.SecondFactor != "" {
			t.Errorf("before the credentials were read: %q, want unknown", s.SecondFactor)
		}
		h.waitState(Authenticated, 10*time.Second)
		h.expectStatus("a TOTP secret is stored", func(s Status) bool { return s.SecondFactor == "totp" })
	})
}
