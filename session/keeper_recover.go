package session

import (
	"context"
	"fmt"
	"time"
)

// competeGap is the least time between two automatic take-backs of a
// competing session, so two programs that both take it back do not fight
// many times a minute.
const competeGap = time.Minute

// recover brings a lost session back, cheapest step first: reauthenticate
// while the SSO login is alive, a browser login when it is not.
func (k *Keeper) recover(ctx context.Context, ssoAlive, userAsked bool) time.Duration {
	if k.loggedOut && !userAsked {
		k.set(NotAuthenticated, msgLoggedOut)
		return k.o.TickleInterval
	}
	if ssoAlive && (userAsked || !k.now().Before(k.reauthNotBefore)) {
		next, climb, gone := k.reauthOnce(ctx)
		if !climb {
			k.reauthDelay, k.reauthNotBefore = 0, time.Time{}
			return next
		}
		if !gone {
			// It ran and did not help: not again every few seconds while
			// nothing else can be done (no credentials, cap tripped).
			k.reauthDelay = min(max(2*k.reauthDelay, time.Minute), 15*time.Minute)
			k.reauthNotBefore = k.now().Add(k.reauthDelay)
		}
		ssoAlive = !gone
	}
	if userAsked {
		return k.userLogin(ctx, ssoAlive)
	}
	return k.autoLogin(ctx, ssoAlive)
}

// reauthOnce asks the gateway to re-authenticate the brokerage session,
// waits for it, and tries ssodh/init when that did not work. climb says the
// next step (a login) is needed; gone that the SSO login turned out gone.
func (k *Keeper) reauthOnce(ctx context.Context) (next time.Duration, climb, gone bool) {
	k.set(Reauthenticating, "the brokerage session ended while the IBKR login is still valid; re-authenticating")
	if err := k.api.Reauthenticate(ctx); err != nil {
		c := k.classify(ctx, err)
		switch c.found {
		case foundNoSession:
			return 0, true, true
		case foundCanceled:
			return k.o.TickleInterval, false, false
		case foundTrouble:
			// Not Reauthenticating while nothing runs: say what happened.
			next := k.trouble(c)
			k.set(NotAuthenticated, fmt.Sprintf("the brokerage session ended and re-authenticating failed (%v); trying again in %s", c.err, next.Round(time.Second)))
			return next, false, false
		}
		return k.trouble(c), false, false
	}
	a, err := k.waitAuthenticated(ctx, k.o.ReauthWait, true)
	if done, next := k.settled(ctx, a, "reauthenticate"); done {
		return next, false, false
	}
	if ctx.Err() != nil {
		return k.o.TickleInterval, false, false
	}
	k.log.Warn("the brokerage session did not come back after reauthenticate; trying ssodh/init", "err", err)
	a, err = k.api.InitBrokerage(ctx, k.o.TakeBackCompeting)
	if err == nil && !a.Authenticated && !a.Competing {
		a, err = k.waitAuthenticated(ctx, k.o.ReauthWait/3, true)
	}
	if done, next := k.settled(ctx, a, "reauthenticate"); done {
		return next, false, false
	}
	if ctx.Err() != nil {
		return k.o.TickleInterval, false, false
	}
	switch KindOf(err) {
	case KindNoSession, KindNotLoggedIn:
		return 0, true, true
	}
	k.lastError(fmt.Errorf("the brokerage session did not come back after re-authenticating (%v)", errSentence(err, "still not authenticated")))
	return 0, true, false
}

// competing handles another session of the user holding the brokerage
// session: say so, and take it back only when the settings or the user say.
func (k *Keeper) competing(ctx context.Context, a AuthStatus, userAsked bool) time.Duration {
	k.backoff = 0
	k.update(func(s *Status) { s.Auth = a })
	now := k.now()
	if userAsked || (k.o.TakeBackCompeting && !now.Before(k.competeAt)) {
		k.competeAt = now.Add(competeGap)
		k.set(Reauthenticating, "another session of this user took over the brokerage session; taking it back")
		b, err := k.api.InitBrokerage(ctx, true)
		if err != nil || !b.Authenticated || b.Competing {
			b, err = k.waitAuthenticated(ctx, k.o.ReauthWait, false)
		}
		if b.Authenticated && !b.Competing {
			k.authenticated(ctx, b, "reauthenticate")
			return k.o.TickleInterval
		}
		k.lastError(err)
	}
	reason := msgCompeting
	if k.o.TakeBackCompeting {
		reason = fmt.Sprintf("another session of this user keeps taking the brokerage session; taking it back again after %s", k.competeAt.Format(time.TimeOnly))
	}
	k.set(Competing, reason)
	return k.o.TickleInterval
}

// userLogin is a login the user asked for: automated when credentials are
// stored and the cap allows, otherwise in their own browser.
func (k *Keeper) userLogin(ctx context.Context, ssoAlive bool) time.Duration {
	creds, why := k.readCredentials(ctx)
	if why == "" {
		if c := k.cap.allowed(k.now()); c != capOpen {
			why = k.capSentence(c)
		} else if k.noBrowser != "" {
			why = k.noBrowser
		}
	}
	if why != "" {
		return k.manualLoginOnce(ctx, ssoAlive, why)
	}
	return k.browserLoginOnce(ctx, creds, ssoAlive)
}

// autoLogin logs in without the user when everything allows it; otherwise
// it says what the user must do.
func (k *Keeper) autoLogin(ctx context.Context, ssoAlive bool) time.Duration {
	creds, why := k.readCredentials(ctx)
	if why != "" {
		k.set(NeedsManualLogin, why)
		return k.o.TickleInterval
	}
	now := k.now()
	if c := k.cap.allowed(now); c != capOpen {
		k.capped(c)
		return k.o.TickleInterval
	}
	if k.noBrowser != "" {
		k.set(NeedsManualLogin, k.noBrowser)
		return k.o.TickleInterval
	}
	if wait := k.loginNotBefore.Sub(now); wait > 0 {
		k.set(NotAuthenticated, fmt.Sprintf("automated login failed: %s Trying again in %s.", k.lastProblem, wait.Round(time.Second)))
		return min(wait, k.o.TickleInterval)
	}
	return k.browserLoginOnce(ctx, creds, ssoAlive)
}

// capped says why the cap refuses automated logins.
func (k *Keeper) capped(c capReason) {
	state := LoginLocked
	if c == capStopped {
		state = NeedsManualLogin
	}
	k.set(state, k.capSentence(c))
}

func (k *Keeper) capSentence(c capReason) string {
	last := ""
	if k.lastProblem != "" {
		last = " The last failure: " + k.lastProblem
	}
	switch c {
	case capInRow:
		return fmt.Sprintf("automated login stopped after %d failed attempts in a row, so that IBKR does not lock the account. Choose Log in to log in in your browser, or reset the login counter once the cause is fixed.%s", k.cap.rec.FailedInRow, last)
	case capPerDay:
		return fmt.Sprintf("automated login stopped after %d failed attempts today, so that IBKR does not lock the account. Choose Log in to log in in your browser, or reset the login counter once the cause is fixed.%s", k.cap.rec.FailedToday, last)
	case capStopped:
		return stopSentence(k.cap.rec.Stopped)
	case capUnreadable:
		return fmt.Sprintf("the record of failed logins could not be read (%s); automated login is paused because the count is unknown. Reset the login counter to go on, or choose Log in to log in in your browser.", k.capLoadErr)
	}
	return ""
}

func (k *Keeper) loadCap() {
	rec, err := loadCapRecord(k.o.StateFile)
	now := k.now()
	if err != nil {
		k.cap.unreadable = true
		k.capLoadErr = err.Error()
		k.log.Error("login attempt record unreadable; automated login paused", "err", err)
		return
	}
	k.cap.rec = rec
	if k.cap.recovered(now) {
		k.log.Warn("the last run ended during a login; counting it as failed")
		k.saveCap()
	}
	k.update(func(s *Status) { s.LastLogin = rec.LastLogin })
}

// saveCap writes the cap's record; an automated login never starts
// without its count written first.
func (k *Keeper) saveCap() error {
	err := saveCapRecord(k.o.StateFile, k.cap.rec)
	if err != nil {
		k.log.Error("could not write the login attempt record", "err", err)
	}
	k.update(func(s *Status) {}) // publish the counts
	return err
}
