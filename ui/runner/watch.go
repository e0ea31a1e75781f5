package runner

import (
	"context"
	"time"

	"github.com/ibkr-tray/ibkr-tray/session"
)

// watcher reads the runner's status after each change of the supervisor
// or the keeper, from its own goroutine, and turns what changed into the
// counters of the metrics and the events of the hooks and webhooks. It
// never blocks the keeper: the keeper's wake-ups are non-blocking sends,
// and the events go to bounded queues (outbox.go).
//
// The keeper's wake-ups merge bursts, so a state held for less time than
// this goroutine takes to read the status (microseconds) can be seen only
// as the state after it. Every change seen is reported, in order.
type watcher struct {
	status    func() Status
	subscribe []func() (<-chan struct{}, func())
	now       func() time.Time
	profile   string
	m         *metrics
	send      func(Event)

	// Only the watcher's goroutine touches these.
	prev   Status
	seen   bool      // prev holds a snapshot
	lostAt time.Time // when the authenticated session was lost (zero: not lost)
	// The failed-login counts when no login ran: the keeper counts an
	// attempt as failed while it runs, and takes it back on success.
	settledToday, settledInRow int
	loginRan                   bool // a login ran since they were settled
}

// run watches until ctx ends.
func (w *watcher) run(ctx context.Context) {
	wake := make(chan struct{}, 1)
	for _, sub := range w.subscribe {
		ch, unsub := sub()
		defer unsub()
		go func() {
			for {
				select {
				case <-ctx.Done():
					return
				case <-ch:
					select {
					case wake <- struct{}{}:
					default:
					}
				}
			}
		}()
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-wake:
			w.see(w.status())
		}
	}
}

// see takes one snapshot: counts what changed since the last and sends
// an event when the session state, the gateway state, the cause or
// "needs you" changed.
func (w *watcher) see(cur Status) {
	now := w.now()
	if !w.seen {
		w.seen = true
		w.prev = cur
		w.settledToday, w.settledInRow = cur.Session.FailedLoginsToday, cur.Session.FailedLoginsInRow
		w.send(newEvent(w.profile, nil, cur, now))
		return
	}
	prev := w.prev
	w.prev = cur
	w.count(prev, cur, now)
	p, c := prev.Session, cur.Session
	if p.State != c.State || prev.Gateway.State != cur.Gateway.State || p.Cause != c.Cause || p.NeedsYou != c.NeedsYou {
		w.send(newEvent(w.profile, &prev, cur, now))
	}
}

// count feeds the counters from the change prev -> cur.
func (w *watcher) count(prev, cur Status, now time.Time) {
	m := w.m
	if d := cur.Gateway.Restarts - prev.Gateway.Restarts; d > 0 {
		m.gatewayRestarts.Add(float64(d))
	}
	p, c := prev.Session, cur.Session

	// Logins that worked: LastLogin moves, LastLoginMethod says how.
	newLogin := c.LastLogin.After(p.LastLogin)
	if newLogin {
		switch c.LastLoginMethod {
		case "browser":
			m.logins.WithLabelValues(loginAutomated, resultSuccess).Inc()
		case "manual":
			m.logins.WithLabelValues(loginManual, resultSuccess).Inc()
		}
	}
	// Automated logins that failed: the failed-login counts rose between
	// two moments with no login running, with a login seen in between
	// (the counts the keeper reads from its state file at start are old
	// news).
	if c.LoginRunning || c.State == session.LoggingIn {
		w.loginRan = true
	}
	if !c.LoginRunning {
		if d := max(c.FailedLoginsToday-w.settledToday, c.FailedLoginsInRow-w.settledInRow, 0); d > 0 && w.loginRan {
			m.logins.WithLabelValues(loginAutomated, resultFailure).Add(float64(d))
		}
		w.settledToday, w.settledInRow = c.FailedLoginsToday, c.FailedLoginsInRow
		w.loginRan = c.State == session.LoggingIn
	}
	// A manual login that failed: the wait for it timed out.
	if c.Cause == session.CauseManualLoginTimedOut && p.Cause != c.Cause {
		m.logins.WithLabelValues(loginManual, resultFailure).Inc()
	}

	// Recoveries: from leaving Authenticated (not by the user's logout)
	// to being back.
	wasAuth, isAuth := p.State == session.Authenticated, c.State == session.Authenticated
	switch {
	case c.State == session.LoggedOut:
		w.lostAt = time.Time{} // the user's choice, not a loss
	case wasAuth && !isAuth:
		w.lostAt = now
		m.takeSSODH() // only calls after the loss name the step
	case !wasAuth && isAuth:
		ssodh := m.takeSSODH()
		if w.lostAt.IsZero() {
			break
		}
		m.recoverySeconds.Observe(now.Sub(w.lostAt).Seconds())
		w.lostAt = time.Time{}
		if !newLogin {
			break // it came back by itself (IBKR reachable again)
		}
		switch c.LastLoginMethod {
		case "reauthenticate":
			step := stepReauthenticate
			if ssodh {
				step = stepSSODH
			}
			m.recoveries.WithLabelValues(step).Inc()
		case "browser", "manual":
			m.recoveries.WithLabelValues(stepBrowser).Inc()
		}
	}
}
