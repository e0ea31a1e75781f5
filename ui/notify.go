package ui

import (
	"time"

	"github.com/ibkr-tray/ibkr-tray/gateway"
	"github.com/ibkr-tray/ibkr-tray/session"
	"github.com/ibkr-tray/ibkr-tray/ui/runner"
)

// NoticeKind is which desktop notification this is.
type NoticeKind int

const (
	NoticeLoginNeeded   NoticeKind = 1
	NoticeSessionLost   NoticeKind = 2
	NoticeRestored      NoticeKind = 3
	NoticeGatewayFailed NoticeKind = 4
	NoticeCapTripped    NoticeKind = 5
	NoticeCompeting     NoticeKind = 6
	// NoticeApproveOnPhone asks for the tap in IBKR Mobile; it is withdrawn
	// when the wait is over, whichever way.
	NoticeApproveOnPhone NoticeKind = 7
)

func (k NoticeKind) String() string {
	switch k {
	case NoticeLoginNeeded:
		return "LoginNeeded"
	case NoticeSessionLost:
		return "SessionLost"
	case NoticeRestored:
		return "Restored"
	case NoticeGatewayFailed:
		return "GatewayFailed"
	case NoticeCapTripped:
		return "CapTripped"
	case NoticeCompeting:
		return "Competing"
	case NoticeApproveOnPhone:
		return "ApproveOnPhone"
	}
	return "Unknown"
}

// Notification is one desktop notification, in words.
type Notification struct {
	Kind NoticeKind
	// Cause is the session cause it tells of ("" for a restore and for
	// the gateway's failure).
	Cause  session.Cause
	Title  string
	Body   string
	Urgent bool
	// LoginAction offers a "Log in" button where the desktop supports it
	// (when the keeper offers Log in).
	LoginAction bool
	// Withdraw takes the last notification of this Kind off the screen
	// (what it asked for is over) instead of showing one; it has no words.
	Withdraw bool
}

// Notifier shows desktop notifications, and withdraws them where the
// desktop can (Notification.Withdraw). Notify may block briefly (D-Bus):
// call it off the UI goroutine.
type Notifier interface {
	Notify(n Notification) error
}

// Coalescer turns a stream of snapshots into the few notifications a person
// wants. It holds back by cause, not by kind:
//
//   - a cause that needs the user (Status.NeedsYou) is told at once and
//     urgently; the same cause again within Repeat is a repeat and is not,
//     a different one always is (bad credentials minutes after "login
//     needed");
//   - a loss the app works on is told only when it lasts past LostGrace,
//     and its restore only once the session has held for Settle, so a
//     nightly reset that flaps five times gives one "restored after 14
//     seconds"; restores of losses too short to be told come at most once
//     per Repeat, so IBKR answering 503 on and off for minutes gives no
//     stream of them;
//   - what the user did (a logout) is no loss and is not told;
//   - "approve the login in IBKR Mobile" is told for every request (each
//     wants its own tap) and withdrawn once the state leaves
//     WaitingForApproval: approved, denied, missed or cancelled, it asks
//     for nothing any more.
//
// It is pure: the caller feeds it snapshots and clock ticks and sends
// what it returns.
type Coalescer struct {
	LostGrace time.Duration // wait this long before telling a loss
	Settle    time.Duration // the session must hold this long to count as restored
	Repeat    time.Duration // the same cause is told at most this often

	authenticated bool
	seen          bool
	last          runner.Status // the last snapshot: a loss is told in its cause's words
	outage        outage
	attention     string               // the attention we are in: a cause, or gatewayFailedKey ("" = none)
	lastSent      map[string]time.Time // when each attention was last told
	// lastUntold is when the restore of a loss that was never told was
	// last told.
	lastUntold time.Time
	// approvalShown: an "approve on your phone" notice is out, to be
	// withdrawn when the wait ends.
	approvalShown bool
}

// gatewayFailedKey stands for the gateway's failure among the causes.
const gatewayFailedKey = "gateway-failed"

// outage is one loss of the session, from the first drop to the restore
// that held.
type outage struct {
	open       bool
	start      time.Time
	restoredAt time.Time // zero while lost
	told       bool      // the user heard about the loss
}

// NewCoalescer uses windows that fit IBKR's nightly reset.
func NewCoalescer() *Coalescer {
	return &Coalescer{LostGrace: 30 * time.Second, Settle: 5 * time.Second, Repeat: 10 * time.Minute}
}

// Observe feeds a snapshot seen at now and returns what to send now.
func (c *Coalescer) Observe(st runner.Status, now time.Time) []Notification {
	if c.lastSent == nil {
		c.lastSent = map[string]time.Time{}
	}
	c.last = st
	auth := st.Gateway.State.Up() && st.Session.State == session.Authenticated
	if quiet(st) && !auth {
		// The user logged out: nothing was lost, nothing is told, and the
		// next login is no "restore".
		c.outage, c.attention = outage{}, ""
		c.authenticated, c.seen = false, true
		return nil
	}
	var out []Notification
	if c.approvalShown && !waitingForApproval(st) {
		c.approvalShown = false
		out = append(out, Notification{Kind: NoticeApproveOnPhone, Cause: session.CauseApproveOnPhone, Withdraw: true})
	}
	switch {
	case c.seen && c.authenticated && !auth:
		if c.outage.open { // flapped back down before the restore settled
			c.outage.restoredAt = time.Time{}
		} else {
			c.outage = outage{open: true, start: now}
		}
	case auth && c.outage.open:
		c.outage.restoredAt = now
	}
	c.authenticated, c.seen = auth, true

	if key, n, ok := attentionFor(st); ok {
		if key != c.attention {
			c.attention = key
			if last, ok := c.lastSent[key]; !ok || now.Sub(last) >= c.Repeat || n.Kind == NoticeApproveOnPhone {
				c.lastSent[key] = now
				out = append(out, n)
				c.approvalShown = c.approvalShown || n.Kind == NoticeApproveOnPhone
			}
		}
		// The user is told what to do: a separate "session lost" adds
		// nothing, and they will want to hear when it is back.
		if !c.outage.open && !auth {
			c.outage = outage{open: true, start: now}
		}
		c.outage.told = true
	} else {
		c.attention = ""
	}
	return append(out, c.Tick(now)...)
}

// Tick returns what is due at now without a new snapshot (the tray calls it
// at NextDeadline).
func (c *Coalescer) Tick(now time.Time) []Notification {
	o := &c.outage
	if !o.open {
		return nil
	}
	if o.restoredAt.IsZero() {
		if !o.told && now.Sub(o.start) >= c.LostGrace {
			o.told = true
			return []Notification{lostNotice(c.last)}
		}
		return nil
	}
	if now.Sub(o.restoredAt) < c.Settle {
		return nil
	}
	took, told := o.restoredAt.Sub(o.start), o.told
	*o = outage{}
	if !told {
		if !c.lastUntold.IsZero() && now.Sub(c.lastUntold) < c.Repeat {
			return nil // a short loss again: IBKR flapping, not news
		}
		c.lastUntold = now
	}
	return []Notification{{Kind: NoticeRestored, Title: restoredTitle,
		Body: "Session restored after " + session.Words(took) + "."}}
}

// NextDeadline is when Tick may next return something (zero: nothing
// pending).
func (c *Coalescer) NextDeadline() time.Time {
	o := c.outage
	switch {
	case !o.open:
		return time.Time{}
	case o.restoredAt.IsZero() && !o.told:
		return o.start.Add(c.LostGrace)
	case !o.restoredAt.IsZero():
		return o.restoredAt.Add(c.Settle)
	}
	return time.Time{}
}

// waitingForApproval reports whether the keeper waits for the tap in IBKR
// Mobile.
func waitingForApproval(st runner.Status) bool {
	return st.Session.State == session.WaitingForApproval || st.Session.Cause == session.CauseApproveOnPhone
}

// lostNotice tells a loss the app is working on, in its cause's words.
func lostNotice(st runner.Status) Notification {
	n := Notification{Kind: NoticeSessionLost, Cause: st.Session.Cause, Title: lostTitle, Body: lostBody}
	if st.Session.Cause == session.CauseNone {
		return n
	}
	_, what, do := explain(st)
	if do == "" {
		do = lostBody
	}
	n.Body = message(what, do)
	return n
}

// attentionFor is the notice for a snapshot that needs the user, if any,
// keyed by its cause: urgent, in the cause's words.
func attentionFor(st runner.Status) (string, Notification, bool) {
	if st.Gateway.State == gateway.Failed {
		return gatewayFailedKey, Notification{Kind: NoticeGatewayFailed, Urgent: true,
			Title: gatewayFailedTitle,
			Body:  orDefault(st.Gateway.Reason, "The gateway keeps stopping.") + " " + gatewayFailedDo}, true
	}
	if !st.Session.NeedsYou || quiet(st) {
		return "", Notification{}, false
	}
	kind := NoticeLoginNeeded
	switch st.Session.Cause {
	case session.CauseCapInRow, session.CauseCapPerDay, session.CauseCapUnreadable:
		kind = NoticeCapTripped
	case session.CauseCompeting:
		kind = NoticeCompeting
	case session.CauseApproveOnPhone:
		kind = NoticeApproveOnPhone
	}
	title, what, do := explain(st)
	return string(st.Session.Cause), Notification{Kind: kind, Cause: st.Session.Cause, Urgent: true,
		LoginAction: st.Session.Offers.Login, Title: title, Body: message(what, do)}, true
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return sentence(capitalise(s))
}

// sentence makes a reason end with a full stop.
func sentence(s string) string {
	if s == "" {
		return s
	}
	switch s[len(s)-1] {
	case '.', '!', '?':
		return s
	}
	return s + "."
}
