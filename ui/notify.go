package ui

import (
	"fmt"
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
	}
	return "Unknown"
}

// Notification is one desktop notification, in words.
type Notification struct {
	Kind   NoticeKind
	Title  string
	Body   string
	Urgent bool
	// LoginAction offers a "Log in" button where the desktop supports it.
	LoginAction bool
}

// Notifier shows desktop notifications. Notify may block briefly (D-Bus):
// call it off the UI goroutine.
type Notifier interface {
	Notify(n Notification) error
}

// Coalescer turns a stream of snapshots into the few notifications a person
// wants: a loss is told only when it lasts past LostGrace, a restore only once
// the session has held for Settle, and a nightly reset that flaps five times
// gives one "restored after 14 s". It is pure: the caller feeds it snapshots
// and clock ticks and sends what it returns.
type Coalescer struct {
	LostGrace time.Duration // wait this long before telling a loss
	Settle    time.Duration // the session must hold this long to count as restored
	Repeat    time.Duration // the same attention notice at most this often

	authenticated bool
	seen          bool
	outage        outage
	attention     NoticeKind // the attention state we are in (0 = none)
	lastSent      map[NoticeKind]time.Time
}

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
		c.lastSent = map[NoticeKind]time.Time{}
	}
	var out []Notification
	auth := st.Gateway.State.Up() && st.Session.State == session.Authenticated
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

	if kind, n, ok := attentionFor(st); ok {
		if kind != c.attention {
			c.attention = kind
			if last, ok := c.lastSent[kind]; !ok || now.Sub(last) >= c.Repeat {
				c.lastSent[kind] = now
				out = append(out, n)
			}
		}
		// The user is told what to do: a separate "session lost" adds
		// nothing, and they will want to hear when it is back.
		if !c.outage.open && !auth {
			c.outage = outage{open: true, start: now}
		}
		c.outage.told = true
	} else {
		c.attention = 0
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
			return []Notification{{Kind: NoticeSessionLost, Title: "IBKR session lost",
				Body: "The app is trying to restore it; you will hear when it is back."}}
		}
		return nil
	}
	if now.Sub(o.restoredAt) < c.Settle {
		return nil
	}
	took := o.restoredAt.Sub(o.start)
	*o = outage{}
	return []Notification{{Kind: NoticeRestored, Title: "IBKR session restored",
		Body: "Session restored after " + words(took) + "."}}
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

// attentionFor is the notice for a state that needs the user, if any.
func attentionFor(st runner.Status) (NoticeKind, Notification, bool) {
	if st.Gateway.State == gateway.Failed {
		return NoticeGatewayFailed, Notification{Kind: NoticeGatewayFailed, Urgent: true,
			Title: "IBKR gateway failed",
			Body:  orDefault(st.Gateway.Reason, "The gateway keeps stopping.") + " Open Status… in the tray for its output, then Restart gateway."}, true
	}
	if !st.Gateway.State.Up() || st.Session.LoginRunning {
		return 0, Notification{}, false
	}
	switch st.Session.State {
	case session.NeedsManualLogin, session.NotAuthenticated:
		body := "Click Log in to open the gateway's login page and log in as you would in the browser."
		if st.Session.CredentialsStored {
			body = "The automatic login did not work. Click Log in to try again, or check the credentials in Settings…."
		}
		if st.Session.Reason != "" {
			// The keeper's reasons are clauses ("no login details are
			// stored ..."): a notification starts a sentence.
			body = sentence(capitalise(st.Session.Reason)) + " " + body
		}
		return NoticeLoginNeeded, Notification{Kind: NoticeLoginNeeded, Urgent: true, LoginAction: true,
			Title: "IBKR login needed", Body: body}, true
	case session.LoginLocked:
		return NoticeCapTripped, Notification{Kind: NoticeCapTripped, Urgent: true, LoginAction: true,
			Title: "Automatic login paused",
			Body: fmt.Sprintf("%d logins failed, so the app stopped trying before IBKR locks the username. "+
				"Check the credentials in Settings…, then click Log in.", max(st.Session.FailedLoginsInRow, st.Session.FailedLoginsToday))}, true
	case session.Competing:
		return NoticeCompeting, Notification{Kind: NoticeCompeting, LoginAction: true,
			Title: "Another IBKR session is active",
			Body:  "TWS, the mobile app or another browser holds the brokerage session. Close it, or click Log in to take the session back."}, true
	}
	return 0, Notification{}, false
}

// words writes a duration the way a person says it: "14 s", "3 min 5 s".
func words(d time.Duration) string {
	d = d.Round(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Seconds()))
	case d < time.Hour:
		m, s := int(d.Minutes()), int(d.Seconds())%60
		if s == 0 {
			return fmt.Sprintf("%d min", m)
		}
		return fmt.Sprintf("%d min %d s", m, s)
	}
	h, m := int(d.Hours()), int(d.Minutes())%60
	if m == 0 {
		return fmt.Sprintf("%d h", h)
	}
	return fmt.Sprintf("%d h %d min", h, m)
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
