package session

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ibkr-tray/ibkr-tray/session/secrets"
)

// This file carries out the policy (policy.go): it gathers the facts, asks
// decide, publishes the answer and runs the action. It decides nothing.

// competeGap is the least time between two automatic take-backs of a
// competing session, so two programs that both take it back do not fight
// many times a minute.
const competeGap = time.Minute

// step is one turn of the loop: check, then do what the policy says.
func (k *Keeper) step(ctx context.Context) time.Duration {
	return k.decideAndAct(ctx, evCheck, k.checkOnce(ctx), false)
}

// observe records what a check says of IBKR's answers: errors in a row,
// the last good check, and how long the session may be called ready.
func (k *Keeper) observe(c sessionCheck) {
	now := k.now()
	k.update(func(s *Status) {
		switch c.found {
		case foundTrouble, foundBroken:
			s.ErrorsInRow++
		case foundCanceled:
		case foundGatewayDown, foundIBKRUnreachable:
			s.ErrorsInRow = 0
		default:
			s.ErrorsInRow = 0
			s.LastGoodCheck = now
			if c.found == foundAuthenticated {
				s.ReadyUntil = now.Add(k.readyFor())
			}
		}
	})
}

// readyFor is how long a good check of an authenticated session vouches
// for it: two tickle intervals and a call's timeout, so one late tickle
// does not flap /readyz and a dead one is seen within about 20 s.
func (k *Keeper) readyFor() time.Duration { return 2*k.o.TickleInterval + k.o.RequestTimeout }

// input gathers the facts the policy needs. Credentials are read only when
// a login could follow.
func (k *Keeper) input(ctx context.Context, ev event, c sessionCheck, reauthTried bool) (policyInput, secrets.Credentials) {
	now := k.now()
	st := k.Status()
	in := policyInput{
		Event:       ev,
		Found:       c.found,
		ErrText:     errSentence(c.err, "the gateway does not answer"),
		RateLimited: KindOf(c.err) == KindRateLimited,
		HTTPStatus:  httpStatus(c.err),
		ErrorsInRow: st.ErrorsInRow,
		Now:         now,
		State:       st.State,
		Cause:       st.Cause,
		Reason:      st.Reason,
		Latches:     st.Latches,
		Gateway:     k.gateway,
		Cap:         k.cap.allowed(now),
		DayCapFull:  k.cap.dayFull(now),
		InRow:       k.cap.rec.FailedInRow,
		Today:       k.cap.rec.FailedToday,
		LastFailure: k.lastProblem,
		CodeRefused: k.cap.rec.LastFailureKind == "bad-code",
		ReauthDue:   !reauthTried && (ev == evLogin || !now.Before(k.reauthNotBefore)),
		TakeBack:    k.o.TakeBackCompeting,
		TakeBackDue: !now.Before(k.competeAt),
		CanRestart:  k.o.RestartGateway != nil,

		ApprovalWait:    k.o.ApprovalWait,
		ApprovalProblem: k.approvalProblem,
	}
	if in.Cap == capUnreadable {
		in.LastFailure = k.capLoadErr
	}
	var creds secrets.Credentials
	// While logged out by the user nothing logs in by itself: the keyring
	// is not read (nor asked to unlock) every tickle.
	loggedOut := st.Latches.LoggedOutByUser && ev != evLogin && ev != evRetry
	if (c.found == foundBrokerageLost || c.found == foundNoSession) && !loggedOut {
		creds, in.Creds, in.SameRejected = k.readCredentials(ctx)
		in.Latches = k.latches() // reading may have latched or cleared something
	}
	in.MayPush = mayPush(k.o.SecondFactor)
	return in, creds
}

// decideAndAct asks the policy what a check's finding needs and does it.
// reauthTried is set when reauthenticate already ran in this turn.
func (k *Keeper) decideAndAct(ctx context.Context, ev event, c sessionCheck, reauthTried bool) time.Duration {
	k.observe(c)
	in, creds := k.input(ctx, ev, c, reauthTried)
	d := decide(in)
	k.log.Debug("policy", "event", ev, "found", c.found, "do", d.Do, "state", d.State, "cause", d.Cause)
	k.lastError(c.err)
	switch c.found {
	case foundAuthenticated:
		k.authenticated(ctx, c.auth, "")
		return k.nextCheck()
	case foundGatewayDown:
		k.haveFacts = false
		k.backoff = 0
	case foundBrokerageLost, foundNoSession, foundCompeting:
		k.backoff = 0
		k.haveFacts = k.haveFacts && c.found == foundCompeting
		k.update(func(s *Status) { s.Auth = c.auth })
	}
	if c.found == foundTrouble && !d.Keep {
		k.log.Warn("IBKR keeps answering with errors", "err", c.err, "inRow", in.ErrorsInRow)
	} else if c.found == foundTrouble {
		k.log.Warn("the gateway answered with an error; checking again later", "err", c.err)
	}
	if !d.Keep {
		k.publish(d.State, d.Cause, d.Reason)
	}
	ssoAlive := c.found == foundBrokerageLost
	switch d.Do {
	case doReauthenticate:
		return k.reauthenticate(ctx, ev)
	case doTakeBack:
		return k.takeBack(ctx)
	case doLogin, doRetryLogin:
		return k.browserLoginOnce(ctx, creds, ssoAlive, d.Do == doRetryLogin)
	case doFreshLogin:
		return k.browserLoginOnce(ctx, creds, ssoAlive, false)
	case doManualLogin:
		return k.manualLoginOnce(ctx, ssoAlive, d.Reason)
	case doInitCompete:
		return k.initCompete(ctx)
	case doRestartGateway:
		k.log.Warn("logins succeed but the brokerage session never opens; restarting the gateway once")
		k.latch(func(l *Latches) { l.BrokerageRemedy = remedyLastLogin })
		k.o.RestartGateway()
		return k.o.TickleInterval
	}
	return k.waitFor(d.Wait)
}

// settle publishes what the policy says of the session after an action
// ended (a failed login, a remedy that did not help) without starting
// another one: the next check does that.
func (k *Keeper) settle(ctx context.Context, c sessionCheck) time.Duration {
	in, _ := k.input(ctx, evCheck, c, true)
	d := decide(in)
	if d.Keep {
		return k.waitFor(d.Wait)
	}
	if d.Do != doWait {
		// An action is due: the next check, at once, starts it (commands
		// queued meanwhile, a Logout say, come first).
		return 0
	}
	k.publish(d.State, d.Cause, d.Reason)
	return k.waitFor(d.Wait)
}

// waitFor is the time to the next check.
func (k *Keeper) waitFor(w waitKind) time.Duration {
	switch w {
	case waitBackoff:
		return k.nextBackoff()
	case waitLogin:
		wait := k.latches().LoginNotBefore.Sub(k.now())
		return max(min(wait, k.o.TickleInterval), 0)
	case waitNone:
		return 0
	}
	return k.o.TickleInterval
}

// authenticated publishes a usable session; method names the step that
// brought it back ("" when it never left). A usable session ends the
// latches a person would otherwise have to clear.
func (k *Keeper) authenticated(ctx context.Context, auth AuthStatus, method string) {
	k.backoff = 0
	if !k.haveFacts || method != "" {
		k.readFacts(ctx, method == "browser" || method == "manual" || k.Status().User == "")
	}
	now := k.now()
	k.update(func(s *Status) {
		s.Auth = auth
		if method != "" {
			s.LastLogin = now
			s.LastLoginMethod = method
		}
		s.LastError = ""
		s.ErrorsInRow = 0
		s.LastGoodCheck = now
		s.ReadyUntil = now.Add(k.readyFor())
		s.Latches.LoggedOutByUser = false
		s.Latches.BrokerageRefused = false
		s.Latches.BrokerageRemedy = remedyNone
		s.Latches.LoginNotBefore = time.Time{}
		s.Latches.ApprovalUnanswered = ""
	})
	k.loginDelay = 0
	k.approvalProblem = ""
	reason := msgAuthenticated
	if method != "" {
		reason += " (restored by " + method + ")"
	}
	k.publish(Authenticated, CauseNone, reason)
}

// reauthenticate runs reauthenticate (then ssodh/init); when that does not
// bring the session back, the policy is asked again, knowing it ran.
func (k *Keeper) reauthenticate(ctx context.Context, ev event) time.Duration {
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
	found := foundBrokerageLost
	if gone {
		found = foundNoSession
	}
	return k.decideAndAct(ctx, ev, sessionCheck{found: found, auth: k.Status().Auth}, true)
}

// reauthOnce asks the gateway to re-authenticate the brokerage session,
// waits for it, and tries ssodh/init when that did not work. climb says the
// next step (a login) is needed; gone that the SSO login turned out gone.
func (k *Keeper) reauthOnce(ctx context.Context) (next time.Duration, climb, gone bool) {
	if err := k.api.Reauthenticate(ctx); err != nil {
		c := k.classify(ctx, err)
		switch c.found {
		case foundNoSession:
			return 0, true, true
		case foundCanceled:
			return k.o.TickleInterval, false, false
		case foundTrouble:
			// Not Reauthenticating while nothing runs: say what happened.
			k.lastError(c.err)
			next := k.nextBackoff()
			k.publish(NotAuthenticated, CauseBrokerageLost, fmt.Sprintf("the brokerage session ended and re-authenticating failed (%v); trying again in %s", c.err, Words(next)))
			return next, false, false
		}
		return k.decideAndAct(ctx, evCheck, c, true), false, false
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

// settled finishes a recovery step whose last status is a: authenticated
// or competing end it; anything else means the step did not work.
func (k *Keeper) settled(ctx context.Context, a AuthStatus, method string) (bool, time.Duration) {
	switch {
	case a.Competing:
		return true, k.decideAndAct(ctx, evCheck, sessionCheck{found: foundCompeting, auth: a}, true)
	case a.Authenticated:
		k.authenticated(ctx, a, method)
		return true, k.o.TickleInterval
	}
	return false, 0
}

// takeBack takes the brokerage session back from a competing session
// (ssodh/init with compete), at most once a minute unless the user asks.
func (k *Keeper) takeBack(ctx context.Context) time.Duration {
	k.competeAt = k.now().Add(competeGap)
	b, err := k.api.InitBrokerage(ctx, true)
	if err != nil || !b.Authenticated || b.Competing {
		b, err = k.waitAuthenticated(ctx, k.o.ReauthWait, false)
	}
	if b.Authenticated && !b.Competing {
		k.authenticated(ctx, b, "reauthenticate")
		return k.o.TickleInterval
	}
	k.lastError(err)
	reason := msgCompeting
	if k.o.TakeBackCompeting {
		reason = msgCompetingAgain
	}
	k.publish(Competing, CauseCompeting, reason)
	return k.o.TickleInterval
}

// initCompete is the first remedy for a brokerage session that never
// opens after a login: ssodh/init with compete, once.
func (k *Keeper) initCompete(ctx context.Context) time.Duration {
	a, err := k.api.InitBrokerage(ctx, true)
	if err != nil || !a.Authenticated {
		a, err = k.waitAuthenticated(ctx, k.o.ReauthWait, false)
	}
	if a.Authenticated && !a.Competing {
		k.authenticated(ctx, a, "reauthenticate")
		return k.o.TickleInterval
	}
	if ctx.Err() != nil {
		return k.o.TickleInterval
	}
	k.lastError(fmt.Errorf("ssodh/init did not open the brokerage session (%v)", errSentence(err, "still not authenticated")))
	k.brokerageRefused()
	return k.settle(ctx, sessionCheck{found: foundBrokerageLost, auth: a})
}

// brokerageRefused moves the ladder of remedies one rung up after a login
// or remedy whose brokerage session never opened.
func (k *Keeper) brokerageRefused() {
	next, refused := afterBrokerageRefused(k.latches().BrokerageRemedy, k.o.RestartGateway != nil)
	k.latch(func(l *Latches) { l.BrokerageRemedy, l.BrokerageRefused = next, refused })
	if refused {
		k.log.Error("IBKR accepts the logins but never opens the brokerage session; every remedy was tried, automated login is stopped")
	}
}

// httpStatus is a failed call's HTTP status, 0 when it had none.
func httpStatus(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}
