package login

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ibkr-tray/ibkr-tray/gateway/sim"
)

// These tests log in IB Key users with the real Chromium against the
// simulator, and answer the push as the user's phone would: POST
// /sim/approve or /sim/deny (the Go methods here) once /sim/state shows it
// pending.

const ibkeyUser = "ibkeyuser"

// withIBKeyUser adds a user whose only second factor is IB Key.
func withIBKeyUser(o *sim.Options) {
	o.Accounts = append(o.Accounts, sim.IBKeyAccount(ibkeyUser, livePassword))
}

// ibkeyAttempt is a login of ibkeyUser (no TOTP secret stored).
func ibkeyAttempt(t *testing.T, s *sim.Server) Attempt {
	a := attempt(t, s, nil)
	a.Username, a.TOTPSecret = ibkeyUser, ""
	return a
}

// approvals records OnApproval calls.
type approvals struct {
	mu    sync.Mutex
	until []time.Time
}

func (r *approvals) on(until time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.until = append(r.until, until)
}

func (r *approvals) calls() []time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]time.Time(nil), r.until...)
}

// runAsync runs the login in the background.
func runAsync(t *testing.T, a Attempt) <-chan loginOutcome {
	t.Helper()
	ch := make(chan loginOutcome, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		res, err := Run(ctx, a)
		ch <- loginOutcome{res, err}
	}()
	return ch
}

type loginOutcome struct {
	res Result
	err error
}

// waitPending waits until the simulator shows a pending push of user.
func waitPending(t *testing.T, s *sim.Server, user string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		for _, p := range s.State().Pushes {
			if p.User == user && p.State == sim.PushPending {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no pending IB Key push of %s within a minute; pushes %+v", user, s.State().Pushes)
		}
		<-tick.C
	}
}

func wait(t *testing.T, ch <-chan loginOutcome) loginOutcome {
	t.Helper()
	select {
	case o := <-ch:
		return o
	case <-time.After(100 * time.Second):
		t.Fatal("the login did not return")
	}
	return loginOutcome{}
}

func TestRunLogsInIBKeyUserWhenThePushIsApproved(t *testing.T) {
	t.Parallel()
	s := startSim(t, nil, withIBKeyUser)
	a := ibkeyAttempt(t, s)
	var rec approvals
	a.OnApproval = rec.on
	a.ApprovalWait = 45 * time.Second
	start := time.Now()
	ch := runAsync(t, a)

	waitPending(t, s, ibkeyUser)
	if s.State().Session != nil {
		t.Fatal("a session before the approval")
	}
	if err := s.Approve(ibkeyUser); err != nil {
		t.Fatal(err)
	}
	o := wait(t, ch)
	if o.err != nil {
		t.Fatalf("Run: %v", o.err)
	}
	if o.res.Factor != FactorIBKey || o.res.Step != 0 {
		t.Errorf("Result %+v, want Factor ibkey and no TOTP step", o.res)
	}
	st := s.State()
	if st.Session == nil || st.Session.User != ibkeyUser || st.PushesApproved != 1 || st.PushesSent != 1 {
		t.Fatalf("session %+v, pushes sent %d approved %d; want %s logged in by one approved push", st.Session, st.PushesSent, st.PushesApproved, ibkeyUser)
	}
	calls := rec.calls()
	if len(calls) != 1 {
		t.Fatalf("OnApproval called %d times, want once", len(calls))
	}
	if lo, hi := start.Add(a.ApprovalWait), time.Now().Add(a.ApprovalWait); calls[0].Before(lo) || calls[0].After(hi) {
		t.Errorf("OnApproval until %v, want ApprovalWait after the push (%v..%v)", calls[0], lo, hi)
	}
}

func TestRunSaysApprovalDeniedWhenThePushIsDenied(t *testing.T) {
	t.Parallel()
	s := startSim(t, nil, func(o *sim.Options) {
		withIBKeyUser(o)
		o.MaxFailedLogins = 1 // a counted failure would lock the user
	})
	ch := runAsync(t, ibkeyAttempt(t, s))
	waitPending(t, s, ibkeyUser)
	if err := s.Deny(ibkeyUser); err != nil {
		t.Fatal(err)
	}
	o := wait(t, ch)
	var e *Error
	if !errors.As(o.err, &e) || e.Kind != ApprovalDenied || e.PageText != sim.TextIBKeyDenied {
		t.Fatalf("err = %v (kind %v), want ApprovalDenied with the page's text", o.err, KindOf(o.err))
	}
	if msg := o.err.Error(); !strings.Contains(msg, "denied in IBKR Mobile") || !strings.Contains(msg, "Log in") {
		t.Errorf("message %q should say it was denied and how to send a new request", msg)
	}
	if st := s.State(); len(st.FailedLogins) != 0 || len(st.LockedUsers) != 0 || st.Session != nil {
		t.Errorf("failed %v locked %v session %v: a denial must not count as a failed login", st.FailedLogins, st.LockedUsers, st.Session)
	}
}

func TestRunSaysApprovalMissedWhenNobodyTaps(t *testing.T) {
	t.Parallel()
	s := startSim(t, nil, func(o *sim.Options) {
		withIBKeyUser(o)
		o.MaxFailedLogins = 1
	})
	a := ibkeyAttempt(t, s)
	a.ApprovalWait = 1500 * time.Millisecond
	var rec approvals
	a.OnApproval = rec.on
	_, err := run(t, a)
	var e *Error
	if !errors.As(err, &e) || e.Kind != ApprovalMissed {
		t.Fatalf("err = %v (kind %v), want ApprovalMissed (not Timeout)", err, KindOf(err))
	}
	if msg := err.Error(); !strings.Contains(msg, "Approve the login in IBKR Mobile next time") || !strings.Contains(msg, "refused nothing") {
		t.Errorf("message %q should say what to do", msg)
	}
	calls := rec.calls()
	if len(calls) != 1 || time.Now().Before(calls[0]) {
		t.Errorf("OnApproval calls %v, want one, with an until that has passed", calls)
	}
	st := s.State()
	if len(st.FailedLogins) != 0 || len(st.LockedUsers) != 0 {
		t.Errorf("failed %v locked %v: a missed approval must not count as a failed login", st.FailedLogins, st.LockedUsers)
	}
	if st.PushesSent != 1 || st.Pushes[0].State != sim.PushPending {
		t.Errorf("pushes %+v, want the one push still pending on the phone", st.Pushes)
	}
}

func TestRunSaysApprovalMissedWhenThePushExpiresFirst(t *testing.T) {
	t.Parallel()
	s := startSim(t, nil, func(o *sim.Options) {
		withIBKeyUser(o)
		o.PushLifetime = time.Second
	})
	_, err := run(t, ibkeyAttempt(t, s))
	var e *Error
	if !errors.As(err, &e) || e.Kind != ApprovalMissed || e.PageText != sim.TextIBKeyExpired {
		t.Fatalf("err = %v (kind %v), want ApprovalMissed with the page's expiry text", err, KindOf(err))
	}
	if st := s.State(); len(st.FailedLogins) != 0 || st.PushesExpired != 1 {
		t.Errorf("failed %v expired %d, want no failed login and one expired push", st.FailedLogins, st.PushesExpired)
	}
}

// liveuser has both IB Key and the authenticator app: the setting picks.
func TestRunPicksTheDeviceTheSecondFactorNames(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		factor SecondFactor
		secret string
		want   SecondFactor
	}{
		{"IB Key chosen although a secret is stored", FactorIBKey, liveSecret, FactorIBKey},
		{"authenticator app chosen", FactorTOTP, liveSecret, FactorTOTP},
		{"automatic with a stored secret: the authenticator app", FactorAuto, liveSecret, FactorTOTP},
		{"automatic without a secret: IB Key", FactorAuto, "", FactorIBKey},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := startSim(t, nil, nil)
			a := attempt(t, s, nil)
			a.SecondFactor, a.TOTPSecret = tc.factor, tc.secret
			ch := runAsync(t, a)
			if tc.want == FactorIBKey {
				waitPending(t, s, "liveuser")
				if err := s.Approve("liveuser"); err != nil {
					t.Fatal(err)
				}
			}
			o := wait(t, ch)
			if o.err != nil {
				t.Fatalf("Run: %v", o.err)
			}
			if o.res.Factor != tc.want {
				t.Errorf("Factor = %q, want %q", o.res.Factor, tc.want)
			}
			st := s.State()
			if st.Session == nil || st.Session.User != "liveuser" {
				t.Fatalf("session %+v, want liveuser", st.Session)
			}
			if wantPushes := map[SecondFactor]int{FactorIBKey: 1, FactorTOTP: 0}[tc.want]; st.PushesSent != wantPushes {
				t.Errorf("pushes sent %d, want %d", st.PushesSent, wantPushes)
			}
			if (o.res.Step != 0) != (tc.want == FactorTOTP) {
				t.Errorf("Step = %d; a code is sent only by the authenticator app", o.res.Step)
			}
		})
	}
}

func TestRunRefusesASecondFactorTheSettingRulesOut(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		user   string
		factor SecondFactor
		secret string
		phrase string
	}{
		{"none, and IBKR asks which device", "liveuser", FactorNone, liveSecret, "set to none"},
		{"none, and IBKR sends a push", ibkeyUser, FactorNone, "", "set to none"},
		{"IB Key, and IBKR asks for a code", "onedevice", FactorIBKey, liveSecret, "set to IB Key"},
		{"authenticator app, and IBKR sends a push", ibkeyUser, FactorTOTP, liveSecret, "set to the authenticator app"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := startSim(t, nil, withIBKeyUser)
			a := attempt(t, s, nil)
			a.Username, a.SecondFactor, a.TOTPSecret = tc.user, tc.factor, tc.secret
			var rec approvals
			a.OnApproval = rec.on
			start := time.Now()
			_, err := run(t, a)
			if err == nil || !strings.Contains(err.Error(), tc.phrase) || KindOf(err) == Timeout {
				t.Fatalf("err = %v, want a sentence containing %q", err, tc.phrase)
			}
			if n := len(rec.calls()); n != 0 {
				t.Errorf("OnApproval called %d times for a push the setting rules out", n)
			}
			if took := time.Since(start); took > 30*time.Second {
				t.Errorf("took %v: the refusal should come at once", took)
			}
			if st := s.State(); st.Session != nil || len(st.FailedLogins) != 0 {
				t.Errorf("session %v failed %v, want neither", st.Session, st.FailedLogins)
			}
		})
	}
}

func TestRunLogsInPaperUserWithSecondFactorNone(t *testing.T) {
	t.Parallel()
	s := startSim(t, nil, nil)
	a := attempt(t, s, nil)
	a.Username, a.Password, a.TOTPSecret, a.Paper, a.SecondFactor = "paperuser", paperPassword, "", true, FactorNone
	res, err := run(t, a)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if res.Factor != "" {
		t.Errorf("Factor = %q, want none asked", res.Factor)
	}
}

func TestRunSkipsTheIBKeyPromotion(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		user  string
		ibkey bool
	}{
		{"authenticator-app user", "onedevice", false},
		{"IB Key user", ibkeyUser, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := startSim(t, nil, func(o *sim.Options) {
				withIBKeyUser(o)
				o.IBKeyPromo = true
			})
			a := attempt(t, s, nil)
			a.Username = tc.user
			if tc.ibkey {
				a.TOTPSecret = ""
			}
			ch := runAsync(t, a)
			if tc.ibkey {
				waitPending(t, s, ibkeyUser)
				if err := s.Approve(""); err != nil {
					t.Fatal(err)
				}
			}
			o := wait(t, ch)
			if o.err != nil {
				t.Fatalf("Run: %v", o.err)
			}
			st := s.State()
			if st.PromosShown != 1 || st.PromosSkipped != 1 {
				t.Errorf("promotion shown %d skipped %d, want 1 and 1", st.PromosShown, st.PromosSkipped)
			}
			if st.Session == nil || st.Session.User != tc.user {
				t.Errorf("session %+v, want %s", st.Session, tc.user)
			}
		})
	}
}

func TestRunLogsInIBKeyUserOnThe2022Page(t *testing.T) {
	t.Parallel()
	s := startSim(t, nil, func(o *sim.Options) {
		withIBKeyUser(o)
		o.PageVersion = sim.Page2022
	})
	ch := runAsync(t, ibkeyAttempt(t, s))
	waitPending(t, s, ibkeyUser)
	if err := s.Approve(ibkeyUser); err != nil {
		t.Fatal(err)
	}
	o := wait(t, ch)
	if o.err != nil || o.res.PageVersion != "2022" || o.res.Factor != FactorIBKey {
		t.Fatalf("Run = %+v, %v; want an IB Key login on the 2022 page", o.res, o.err)
	}
}

// The simulator's fallback for a notification that never arrives shows
// the challenge/response field; the push stays out, so approving it still
// logs in. The app itself never takes the fallback.
func TestSimulatorShowsTheChallengeFallbackAndTheApprovalStillCounts(t *testing.T) {
	t.Parallel()
	s := startSim(t, nil, withIBKeyUser)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	pageURL, _, err := loginURL(s.URL(), false)
	if err != nil {
		t.Fatal(err)
	}
	key, err := gatewayKey(ctx, pageURL)
	if err != nil {
		t.Fatal(err)
	}
	log := attempt(t, s, nil).Logger
	b, err := startBrowser(ctx, "/usr/bin/chromium", key, false, log)
	if err != nil {
		t.Fatal(err)
	}
	defer b.close()
	steps, stop := context.WithCancel(b.ctx)
	defer stop()
	defer context.AfterFunc(ctx, stop)()

	set := DefaultSelectors()[0]
	shownJS := func(sel string) string {
		return fmt.Sprintf(`(function (sel) {%s return {state: shown(q(sel)) ? 'shown' : 'none', text: (q(sel) || {}).innerText || ''}; })(%s)`, pageHelpers, jsArg(sel))
	}
	waitShown := func(sel string) probe {
		t.Helper()
		p, err := waitFor(steps, shownJS(sel), func(p probe) bool { return p.State == "shown" })
		if err != nil {
			t.Fatalf("%s never showed: %v", sel, err)
		}
		return p
	}
	if err := chromedp.Do(steps, chromedp.Navigate(pageURL)); err != nil {
		t.Fatal(err)
	}
	waitShown(set.Username)
	if err := chromedp.Do(steps,
		chromedp.SendKeys(chromedp.CSS(set.Username), ibkeyUser),
		chromedp.SendKeys(chromedp.CSS(set.Password), livePassword),
		chromedp.Click(chromedp.CSS(set.Submit)),
	); err != nil {
		t.Fatal(err)
	}
	if p := waitShown(set.Push); !strings.Contains(p.Text, "approve the login") || !strings.Contains(p.Text, sim.TextIBKeyFallback) {
		t.Errorf("push step says %q, want the approve text and the fallback link", p.Text)
	}
	if err := chromedp.Do(steps, chromedp.Click(chromedp.CSS(".notification-fallback"))); err != nil {
		t.Fatal(err)
	}
	waitShown("#xyz-field-gold-response")
	if err := s.Approve(ibkeyUser); err != nil {
		t.Fatal(err)
	}
	if _, err := waitFor(steps, fmt.Sprintf(probeJS, jsArg(set)), func(p probe) bool { return p.State == stateSuccess }); err != nil {
		t.Fatalf("no success after approving behind the fallback: %v", err)
	}
	if st := s.State(); st.Session == nil || st.Session.User != ibkeyUser {
		t.Errorf("session %+v, want %s", st.Session, ibkeyUser)
	}
}
