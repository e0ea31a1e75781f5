package session

import "time"

// capReason says why the login cap refuses an automated login.
type capReason int

const (
	capOpen       capReason = 0 // automated login allowed
	capInRow      capReason = 1 // too many failed logins in a row
	capPerDay     capReason = 2 // too many failed logins today
	capStopped    capReason = 3 // unused: rejected credentials are Latches.CredentialsRejected
	capUnreadable capReason = 4 // the record could not be read: the count is unknown
)

func (r capReason) String() string {
	switch r {
	case capOpen:
		return "open"
	case capInRow:
		return "in-row"
	case capPerDay:
		return "per-day"
	case capStopped:
		return "stopped"
	case capUnreadable:
		return "unreadable"
	}
	return "unknown"
}

// capRecord is what the login cap keeps between runs of the app, so a crash
// loop cannot hammer IBKR with logins. It holds counts and timestamps only,
// never a secret.
type capRecord struct {
	Version     int       `json:"version"`
	FailedInRow int       `json:"failedInRow"`
	FailedToday int       `json:"failedToday"`
	Day         string    `json:"day"` // the local date FailedToday counts, "2006-01-02"
	LastFailure time.Time `json:"lastFailure,omitzero"`
	// LastFailureKind names the last failure ("bad-code", "timeout", ...).
	LastFailureKind string `json:"lastFailureKind,omitempty"`
	// Tripped latches when a limit is reached; only the user clears it.
	Tripped bool `json:"tripped"`
	// Stopped names a failure that retrying cannot fix ("bad-credentials"):
	// IBKR rejected the credentials. Only a change of them clears it.
	Stopped string `json:"stopped,omitempty"`
	// RejectedSalt and RejectedPrint identify the rejected credentials, so
	// a change of them made while the app was not running is seen: a
	// random salt and the first 32 bits of SHA-256(salt, username,
	// password, TOTP secret). Never the secret itself; 32 bits say too
	// little to check a guessed password against.
	RejectedSalt  string `json:"rejectedSalt,omitempty"`
	RejectedPrint uint32 `json:"rejectedPrint,omitempty"`
	// Pending is set while an attempt runs. An attempt is counted as failed
	// when it starts, so a crash in the middle still counts.
	Pending    bool      `json:"pending"`
	PendingDay string    `json:"pendingDay,omitempty"`
	LastLogin  time.Time `json:"lastLogin,omitzero"`
}

// loginCap limits failed automated logins: at most MaxInRow in a row and
// MaxPerDay a calendar day (local time). It is a plain value: the keeper
// owns it and writes its record to the state file after every change.
type loginCap struct {
	MaxInRow  int
	MaxPerDay int
	rec       capRecord
	// unreadable is set when the state file could not be read at start:
	// the count is unknown, so no automated login until the user resets.
	unreadable bool
	// writeErr is set when the record could not be written: an attempt
	// that is not written down could repeat in a restart loop, so none
	// starts until the user acts.
	writeErr string
}

func capDay(t time.Time) string { return t.Format(time.DateOnly) }

// roll starts a new day's count when the date has changed.
func (c *loginCap) roll(now time.Time) {
	if d := capDay(now); c.rec.Day != d {
		c.rec.Day = d
		c.rec.FailedToday = 0
	}
}

// allowed says whether an automated login may start now, and if not, why.
func (c *loginCap) allowed(now time.Time) capReason {
	c.roll(now)
	switch {
	case c.unreadable || c.writeErr != "":
		return capUnreadable
	case c.rec.FailedToday >= c.MaxPerDay:
		return capPerDay // first: the day's cap is the one Retry cannot lift
	case c.rec.FailedInRow >= c.MaxInRow:
		return capInRow
	case c.rec.Tripped:
		// Latched on an earlier day: stays until the user acts.
		return capPerDay
	}
	return capOpen
}

// begin counts an attempt as failed before it starts; succeeded or
// abandoned take it back.
func (c *loginCap) begin(now time.Time) {
	c.roll(now)
	c.rec.FailedInRow++
	c.rec.FailedToday++
	c.rec.Pending = true
	c.rec.PendingDay = c.rec.Day
}

// undo takes back the counts begin added.
func (c *loginCap) undo(now time.Time, inRow bool) {
	c.roll(now)
	if inRow && c.rec.FailedInRow > 0 {
		c.rec.FailedInRow--
	}
	if c.rec.PendingDay == c.rec.Day && c.rec.FailedToday > 0 {
		c.rec.FailedToday--
	}
	c.rec.Pending = false
	c.rec.PendingDay = ""
}

// succeeded records a login that worked (automated or by the user): the
// in-row count and the latch clear; today's failures stay counted.
func (c *loginCap) succeeded(now time.Time) {
	if c.rec.Pending {
		c.undo(now, true)
	}
	c.rec.FailedInRow = 0
	c.rec.Tripped = false
	c.rec.LastLogin = now
}

// abandoned takes back an attempt that never reached IBKR (no browser, or
// the user interrupted it).
func (c *loginCap) abandoned(now time.Time) {
	if c.rec.Pending {
		c.undo(now, true)
	}
}

// failed finishes an attempt IBKR (or the page) refused. stop marks a
// failure that retrying cannot fix.
func (c *loginCap) failed(now time.Time, kind string, stop bool) {
	c.roll(now)
	if !c.rec.Pending {
		// Not begun through begin (should not happen): count it anyway.
		c.rec.FailedInRow++
		c.rec.FailedToday++
	}
	c.rec.Pending = false
	c.rec.PendingDay = ""
	c.rec.LastFailure = now
	c.rec.LastFailureKind = kind
	if stop {
		c.rec.Stopped = kind
	}
	if c.rec.FailedInRow >= c.MaxInRow || c.rec.FailedToday >= c.MaxPerDay {
		c.rec.Tripped = true
	}
}

// recovered finishes an attempt left pending by a run that ended in the
// middle of it (a crash): it stays counted as a failure.
func (c *loginCap) recovered(now time.Time) bool {
	if !c.rec.Pending {
		return false
	}
	c.failed(now, "interrupted", false)
	return true
}

// dayFull reports whether today's failures reached the day's limit: then
// nothing but a login in the browser is offered until tomorrow.
func (c *loginCap) dayFull(now time.Time) bool {
	c.roll(now)
	return c.rec.FailedToday >= c.MaxPerDay
}

// allowOneInRow is the user acknowledging the in-a-row cap (Retry): the
// latch clears and the count drops to one below the limit, so exactly one
// more automated attempt may run and its failure trips the cap again. The
// day's count is never touched.
func (c *loginCap) allowOneInRow(now time.Time) {
	c.roll(now)
	c.rec.FailedInRow = min(c.rec.FailedInRow, c.MaxInRow-1)
	if c.rec.FailedToday < c.MaxPerDay {
		c.rec.Tripped = false
	}
}

// credentialsChanged forgets a rejection of the old credentials.
func (c *loginCap) credentialsChanged() {
	c.rec.Stopped, c.rec.RejectedSalt, c.rec.RejectedPrint = "", "", 0
}

// reset starts a new record after one that could not be read (the user
// acknowledged that the count is unknown). It is the only way counts are
// cleared by a person, and only when they were lost anyway.
func (c *loginCap) reset(now time.Time) {
	last := c.rec.LastLogin
	c.rec = capRecord{Day: capDay(now), LastLogin: last}
	c.unreadable = false
}

// acknowledged is the user acknowledging an unknown count (Retry): an
// unreadable record starts anew; one that could not be written is tried
// again, its counts kept.
func (c *loginCap) acknowledged(now time.Time) {
	if c.unreadable {
		c.reset(now)
	}
	c.writeErr = ""
}

// capCause is the cap's reason as a Cause ("" when open).
func capCause(r capReason) Cause {
	switch r {
	case capInRow:
		return CauseCapInRow
	case capPerDay:
		return CauseCapPerDay
	case capUnreadable:
		return CauseCapUnreadable
	}
	return CauseNone
}
