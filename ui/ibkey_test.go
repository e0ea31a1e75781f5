package ui

import (
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/ibkr-tray/ibkr-tray/gateway"
	"github.com/ibkr-tray/ibkr-tray/session"
	"github.com/ibkr-tray/ibkr-tray/ui/config"
	"github.com/ibkr-tray/ibkr-tray/ui/desktoptest"
	"github.com/ibkr-tray/ibkr-tray/ui/runner"
)

// IB Key snapshots as the keeper publishes them (contract of issue 12).
var (
	// approveOnPhone waits for the tap until 1:42 after fixedNow.
	approveOnPhone = func() runner.Status {
		st := keeper(snap(gateway.Running, session.WaitingForApproval), session.CauseApproveOnPhone, true,
			session.Offers{CancelLogin: true})
		st.Session.Latches.ApprovalUntil = fixedNow().Add(time.Minute + 42*time.Second)
		st.Session.SecondFactor = "ibkey"
		return st
	}
	approvalDenied = func() runner.Status {
		st := keeper(snap(gateway.Running, session.NeedsManualLogin), session.CauseApprovalDenied, true,
			session.Offers{Login: true, LoginInBrowser: true})
		st.Session.Latches.ApprovalUnanswered = session.CauseApprovalDenied
		return st
	}
	approvalMissed = func() runner.Status {
		st := keeper(snap(gateway.Running, session.NeedsManualLogin), session.CauseApprovalMissed, true,
			session.Offers{Login: true, LoginInBrowser: true})
		st.Session.Latches.ApprovalUnanswered = session.CauseApprovalMissed
		return st
	}
	demo = func(st runner.Status) runner.Status {
		st.Demo = true
		return st
	}
)

// testClock is a settable clock for the tray.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func TestApproveOnPhoneIsAttentionWithCancelInMenuAndTooltip(t *testing.T) {
	st := approveOnPhone()
	if got := iconFor(st); got != IconAttention {
		t.Errorf("icon %v, want attention", got)
	}
	menu := menuLines(menuModel(st, false))
	if want := "(Approve the login in IBKR Mobile)|-|(Log in)|Cancel login|"; !strings.HasPrefix(menu, want) {
		t.Errorf("menu %s\nwant it to start %s", menu, want)
	}
	if strings.Contains(menu, labelApproveDemo) {
		t.Errorf("menu %s offers the demo phone outside the demo", menu)
	}
	tip := tooltipText(st, false)
	if !strings.HasPrefix(tip, "ibkr-tray: Approve the login in IBKR Mobile\n") || !strings.Contains(tip, "IBKR Mobile on your phone") {
		t.Errorf("tooltip %q", tip)
	}
}

func TestTheDemoPhoneIsOfferedOnlyWhileTheDemoWaitsForIt(t *testing.T) {
	for _, c := range []struct {
		name string
		st   runner.Status
		want bool
	}{
		{"the demo waits for the tap", demo(approveOnPhone()), true},
		{"a real user waits for the tap", approveOnPhone(), false},
		{"the demo after a denial", demo(approvalDenied()), false},
		{"the demo authenticated", demo(authenticated()), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			inMenu := slices.ContainsFunc(menuModel(c.st, false), func(it menuItem) bool {
				return it.Label == labelApproveDemo && it.Action == ActApproveOnDemoPhone && it.Enabled
			})
			inPopup := slices.ContainsFunc(popupActions(c.st), func(it menuItem) bool { return it.Action == ActApproveOnDemoPhone })
			if inMenu != c.want || inPopup != c.want {
				t.Errorf("demo phone in the menu %v, in the popup %v; want %v", inMenu, inPopup, c.want)
			}
		})
	}
}

func TestUnansweredApprovalOffersANewRequestAndTheBrowser(t *testing.T) {
	for _, st := range []runner.Status{approvalDenied(), approvalMissed()} {
		var labels []string
		for _, it := range popupActions(st) {
			labels = append(labels, it.Label)
		}
		if got := strings.Join(labels, "|"); got != labelLogin+"|"+labelLoginBrowser {
			t.Errorf("%s: popup buttons %s", st.Session.Cause, got)
		}
		_, what, do := explain(st)
		if !strings.Contains(do, "send a new request") || !strings.Contains(what, "no new one by itself") {
			t.Errorf("%s: %q %q; want it to say no request goes by itself and Log in sends one", st.Session.Cause, what, do)
		}
	}
	// Cancel login during the wait is the user's own choice: nothing is
	// told and nothing pops up, and Log in still sends a new request.
	stopped := approvalMissed()
	stopped.Session.State, stopped.Session.Cause, stopped.Session.NeedsYou = session.NotAuthenticated, session.CauseApprovalCancelled, false
	stopped.Session.Latches.ApprovalUnanswered = session.CauseApprovalCancelled
	if needsUser(stopped) || !quiet(stopped) {
		t.Errorf("after Cancel login: popup %v, quiet %v; want no popup, quiet", needsUser(stopped), quiet(stopped))
	}
	if _, _, do := explain(stopped); !strings.Contains(do, "send a new request") {
		t.Errorf("after Cancel login the popup would say %q; want how to send a new request", do)
	}
	if a, b := textFor(session.CauseApprovalDenied).Title, textFor(session.CauseApprovalMissed).Title; a == b {
		t.Errorf("denied and missed are both titled %q", a)
	}
}

// The popup for the tap on the phone: its title, one sentence, a
// countdown that moves with the clock each second, Cancel login; it
// closes itself once the session is there.
func TestApprovePopupCountsDownCancelsAndClosesItself(t *testing.T) {
	clk := &testClock{now: fixedNow()}
	h := newHarnessWith(t, authenticated(), func(o *trayOptions) { o.Now = clk.Now })
	h.backend.set(approveOnPhone())
	eventually(t, "popup shown", func() bool { return popupVisible(h) })
	left := func() string {
		var s string
		h.ui.do(func() { s = h.tray.popup.countdown.Text })
		return s
	}
	var title, text string
	var labels []string
	h.ui.do(func() {
		title, text, labels = h.tray.popupWin.Title(), h.tray.popup.message.Text, h.tray.popup.buttonLabels()
	})
	if title != "Approve the login in IBKR Mobile" {
		t.Errorf("popup titled %q", title)
	}
	if n := sentences(text); n != 1 {
		t.Errorf("popup says %d sentences, want one: %q", n, text)
	}
	if got := strings.Join(labels, "|"); got != labelCancelLogin+"|"+labelLater {
		t.Errorf("popup buttons %s", got)
	}
	if got := left(); got != "1:42 left" {
		t.Errorf("countdown %q at the start, want 1:42 left", got)
	}
	clk.add(2 * time.Second)
	eventually(t, "the countdown at 1:40", func() bool { return left() == "1:40 left" })
	clk.add(100 * time.Second)
	eventually(t, "the countdown at 0:00", func() bool { return left() == "0:00 left" })

	h.ui.do(func() { test.Tap(h.tray.popup.button(labelCancelLogin)) })
	h.backend.waitCall(t, "CancelLogin")

	h.backend.set(authenticated())
	eventually(t, "popup closed once the session is there", func() bool { return !popupVisible(h) })
	var counting bool
	h.ui.do(func() { counting = h.tray.popupCounting.Load() })
	if counting {
		t.Error("the closed popup is still ticked each second")
	}
}

func TestDemoPopupApprovesOnTheDemoPhone(t *testing.T) {
	h := newHarness(t, authenticated())
	h.backend.set(demo(approveOnPhone()))
	eventually(t, "popup shown", func() bool { return popupVisible(h) })
	h.ui.do(func() { test.Tap(h.tray.popup.button(labelApproveDemo)) })
	h.backend.waitCall(t, "ApproveOnDemoPhone")
}

func TestCoalescerWithdrawsTheApprovalNoticeWhenTheWaitEnds(t *testing.T) {
	waiting := ptr(approveOnPhone())
	tests := []struct {
		name  string
		steps []step
		want  []string
	}{
		{"approved: the notice goes, then the session is back", []step{
			{0, ptr(reconnecting())}, {2 * time.Second, waiting}, {20 * time.Second, ptr(authenticated())},
		}, []string{"ApproveOnPhone@2s", "withdraw ApproveOnPhone@20s", "Restored@25s"}},
		{"denied: the notice goes and the denial is told", []step{
			{0, ptr(reconnecting())}, {2 * time.Second, waiting}, {9 * time.Second, ptr(approvalDenied())},
		}, []string{"ApproveOnPhone@2s", "withdraw ApproveOnPhone@9s", "LoginNeeded@9s"}},
		{"a new request minutes after a denial is told again", []step{
			{0, ptr(reconnecting())}, {2 * time.Second, waiting}, {9 * time.Second, ptr(approvalDenied())},
			{60 * time.Second, waiting}, {70 * time.Second, ptr(authenticated())},
		}, []string{"ApproveOnPhone@2s", "withdraw ApproveOnPhone@9s", "LoginNeeded@9s",
			"ApproveOnPhone@1m0s", "withdraw ApproveOnPhone@1m10s", "Restored@1m15s"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := NewCoalescer()
			c.Observe(authenticated(), t0.Add(-time.Minute))
			var got []string
			i := 0
			for at := time.Duration(0); at <= 3*time.Minute; at += time.Second {
				now := t0.Add(at)
				var ns []Notification
				for i < len(tc.steps) && tc.steps[i].at <= at {
					ns = append(ns, c.Observe(*tc.steps[i].st, now)...)
					i++
				}
				if d := c.NextDeadline(); !d.IsZero() && !now.Before(d) {
					ns = append(ns, c.Tick(now)...)
				}
				for _, n := range ns {
					s := n.Kind.String() + "@" + at.String()
					if n.Withdraw {
						s = "withdraw " + s
					} else if n.Kind == NoticeApproveOnPhone && (!n.Urgent || n.Title != approveTitle) {
						t.Errorf("approval notice %+v; want urgent, titled %q", n, approveTitle)
					}
					got = append(got, s)
				}
			}
			if strings.Join(got, ", ") != strings.Join(tc.want, ", ") {
				t.Errorf("sent %q\nwant %q", got, tc.want)
			}
		})
	}
}

// The tray hands the withdrawal to the notifier, also when notifications
// were turned off while the notice was on screen.
func TestTrayWithdrawsTheApprovalNotice(t *testing.T) {
	h := newHarness(t, authenticated())
	h.backend.set(approveOnPhone())
	eventually(t, "approval notified", func() bool { return slices.Contains(h.notes.titles(), approveTitle) })
	h.tray.notifyOn.Store(false)
	h.backend.set(authenticated())
	eventually(t, "approval withdrawn", func() bool {
		h.notes.mu.Lock()
		defer h.notes.mu.Unlock()
		return slices.ContainsFunc(h.notes.got, func(n Notification) bool { return n.Withdraw && n.Kind == NoticeApproveOnPhone })
	})
}

// Against a notification server on a private bus: the urgent "approve"
// notification is shown, and closed (CloseNotification with its id) when
// the session appears; the restore that follows is a new notification.
func TestApprovalNotificationIsClosedOnTheDesktopWhenTheSessionAppears(t *testing.T) {
	desktoptest.RequireTools(t, "dbus-daemon")
	bus := desktoptest.StartBus(t)
	server := desktoptest.StartNotificationServer(t, bus)
	n := newDesktopNotifier("ibkr-tray", nil, nil, slog.New(slog.DiscardHandler))
	co := NewCoalescer()
	send := func(ns []Notification) {
		t.Helper()
		for _, x := range ns {
			if err := n.Notify(x); err != nil {
				t.Fatal(err)
			}
		}
	}
	send(co.Observe(authenticated(), t0))
	send(co.Observe(approveOnPhone(), t0.Add(time.Second)))
	asked := server.Wait(t, "approve", func(n desktoptest.Notification) bool { return n.Summary == approveTitle }, 5*time.Second)
	if asked.Urgency != 2 || !strings.Contains(asked.Body, "IBKR Mobile") {
		t.Errorf("approval sent as %+v; want urgent, naming IBKR Mobile", asked)
	}
	if c := server.Closed(); len(c) != 0 {
		t.Fatalf("closed %v while still waiting for the tap", c)
	}
	send(co.Observe(authenticated(), t0.Add(9*time.Second)))
	server.WaitClosed(t, asked.ID, 5*time.Second)
	send(co.Tick(t0.Add(20 * time.Second)))
	back := server.Wait(t, "restored", func(n desktoptest.Notification) bool { return n.Summary == restoredTitle }, 5*time.Second)
	if back.ID == asked.ID || back.ReplacesID == asked.ID {
		t.Errorf("restored %+v reuses the closed notification %d", back, asked.ID)
	}
	if c := server.Closed(); len(c) != 1 {
		t.Errorf("closed %v; want the approval's id once", c)
	}
}

func TestSettingsSecondFactorIsSavedAndKeptWhenNotEdited(t *testing.T) {
	test.NewTempApp(t)
	var got config.Config
	saved := config.Default()
	saved.SecondFactor = "totp"
	v := newSettingsView(saved, testPaths, false, testDeps(),
		func(c config.Config, _ bool) error { got = c; return nil }, nil)
	v.saved = func() (config.Config, bool) { return saved, false }
	if v.factor.Selected != "Authenticator app (TOTP)" {
		t.Errorf("the window shows %q for totp", v.factor.Selected)
	}
	if want := []string{"Automatic", "Authenticator app (TOTP)", "IB Key on the phone", "None (paper)"}; !slices.Equal(v.factor.Options, want) {
		t.Errorf("choices %q, want %q", v.factor.Options, want)
	}

	// Not edited here, changed elsewhere meanwhile: what is saved stays.
	saved.SecondFactor = "none"
	test.Type(v.port, "5002")
	v.save()
	if got.SecondFactor != "none" {
		t.Errorf("saved second factor %q; the window did not edit it, want the one saved elsewhere", got.SecondFactor)
	}
	if v.factor.Selected != "None (paper)" {
		t.Errorf("after Save the window shows %q", v.factor.Selected)
	}

	for label, want := range map[string]string{"IB Key on the phone": "ibkey", "Automatic": "", "Authenticator app (TOTP)": "totp"} {
		v.factor.SetSelected(label)
		v.save()
		if got.SecondFactor != want {
			t.Errorf("chose %q, saved %q, want %q", label, got.SecondFactor, want)
		}
		saved = got
	}
}
