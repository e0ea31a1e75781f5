package cli

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ibkr-tray/ibkr-tray/gateway"
	"github.com/ibkr-tray/ibkr-tray/session"
	"github.com/ibkr-tray/ibkr-tray/ui/runner"
)

// waitingForApproval is the keeper waiting for the tap in IBKR Mobile
// until 1:42 after at.
func waitingForApproval(at time.Time) session.Status {
	s := inState(session.WaitingForApproval)
	s.Cause, s.NeedsYou, s.LoginRunning = session.CauseApproveOnPhone, true, true
	s.Offers = session.Offers{CancelLogin: true}
	s.Latches.ApprovalUntil = at.Add(time.Minute + 42*time.Second)
	return s
}

// unansweredApproval is the keeper after a denied or missed request.
func unansweredApproval(c session.Cause) session.Status {
	s := inState(session.NeedsManualLogin)
	s.Cause, s.NeedsYou = c, true
	s.Offers = session.Offers{Login: true, LoginInBrowser: true}
	s.Latches.ApprovalUnanswered = c
	return s
}

// fixClock sets the waits' clock to at for the test.
func fixClock(t *testing.T, at time.Time) {
	clockNow = func() time.Time { return at }
	t.Cleanup(func() { clockNow = time.Now })
}

func captureStdout(t *testing.T) *bytes.Buffer {
	var out bytes.Buffer
	stdout = &out
	t.Cleanup(func() { stdout = os.Stdout })
	return &out
}

func TestStatusSaysApproveInIBKRMobileWithTheTimeLeft(t *testing.T) {
	at := time.Date(2026, 12, 1, 21, 0, 0, 0, time.UTC)
	st := runner.Status{Gateway: gateway.Status{State: gateway.Running}, Session: waitingForApproval(at)}
	if got := describe(st, at); !strings.Contains(got, "Session:  Approve the login in IBKR Mobile (1:42 left)\n") {
		t.Errorf("status reads:\n%s", got)
	}
	if got := describe(st, at.Add(2*time.Minute)); !strings.Contains(got, "(0:00 left)") {
		t.Errorf("after the deadline, status reads:\n%s", got)
	}
	if got := exitFor(st, at); got != exitNotAuthenticated {
		t.Errorf("exit %d while waiting for the tap", got)
	}
}

func TestLoginWaitEndsApprovedWithTheTimeLeftOnTheWay(t *testing.T) {
	at := time.Now()
	fixClock(t, at)
	out := captureStdout(t)
	start := inState(session.NotAuthenticated)
	start.Offers.Login = true
	f, r := startFakeApp(t, start, inState(session.LoggingIn), waitingForApproval(at), waitingForApproval(at), inState(session.Authenticated))
	code := Login(append([]string{"--wait", "--poll", "1ms"}, appFlags(r)...))
	if code != 0 {
		t.Errorf("exit %d after the approval; output:\n%s", code, out)
	}
	got := out.String()
	if strings.Count(got, "Approve the login in IBKR Mobile (1:42 left).\n") != 1 {
		t.Errorf("want the time left said once (the clock stood still); output:\n%s", got)
	}
	if !strings.HasSuffix(got, "Approved in IBKR Mobile. Authenticated.\n") {
		t.Errorf("output does not end with the approval:\n%s", got)
	}
	if strings.Join(f.commands, " ") != "/login" {
		t.Errorf("posted %v", f.commands)
	}
}

func TestLoginWaitSaysTheTimeLeftAgainEveryHalfMinute(t *testing.T) {
	at := time.Now()
	var ticks int
	clockNow = func() time.Time { ticks++; return at.Add(time.Duration(ticks) * 10 * time.Second) }
	t.Cleanup(func() { clockNow = time.Now })
	out := captureStdout(t)
	w := waitingForApproval(at) // until at+1:42
	authed := inState(session.Authenticated)
	authed.ReadyUntil = at.Add(time.Hour) // ready by the test's clock
	_, r := startFakeApp(t, w, w, w, w, w, w, w, authed)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := waitReady(ctx, r, time.Millisecond, time.Now()); err != nil {
		t.Fatal(err)
	}
	// Seen at +10 s, +20 s, ... +70 s: told at +10 s and +40 s, +70 s.
	want := "Approve the login in IBKR Mobile (1:32 left).\nApprove the login in IBKR Mobile (1:02 left).\nApprove the login in IBKR Mobile (0:32 left).\n"
	if got := out.String(); !strings.HasPrefix(got, want) {
		t.Errorf("output:\n%s\nwant it to start:\n%s", got, want)
	}
}

func TestLoginWaitSaysDeniedAndMissedApartAndFails(t *testing.T) {
	at := time.Now()
	for _, c := range []struct {
		cause session.Cause
		want  string
	}{
		{session.CauseApprovalDenied, "the login was denied in IBKR Mobile"},
		{session.CauseApprovalMissed, "the login was not approved in IBKR Mobile (the wait ran out or was stopped)"},
	} {
		t.Run(string(c.cause), func(t *testing.T) {
			fixClock(t, at)
			captureStdout(t)
			_, r := startFakeApp(t, waitingForApproval(at), unansweredApproval(c.cause))
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			approved, err := waitReady(ctx, r, time.Millisecond, at.Add(-time.Second))
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "`ibkr-tray login` sends a new request") {
				t.Errorf("wait ended with %v; want %q and how to send a new request", err, c.want)
			}
			if approved {
				t.Error("reported approved")
			}
		})
	}
}
