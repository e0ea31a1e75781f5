package session

import (
	"context"
	"time"
)

// finding is what one check of the session found.
type finding int

const (
	foundAuthenticated   finding = 1
	foundCompeting       finding = 2
	foundBrokerageLost   finding = 3 // the SSO login is alive, the brokerage session is not
	foundNoSession       finding = 4 // the SSO login is gone
	foundGatewayDown     finding = 5
	foundIBKRUnreachable finding = 6 // the gateway answers "/", its API calls time out
	foundTrouble         finding = 7 // 429 or 5xx: keep the state, try again later
	foundBroken          finding = 8 // an answer that is no use (access denied, not the gateway, ...)
	foundCanceled        finding = 9 // a command interrupted the check
)

func (f finding) String() string {
	switch f {
	case foundAuthenticated:
		return "authenticated"
	case foundCompeting:
		return "competing"
	case foundBrokerageLost:
		return "brokerage-lost"
	case foundNoSession:
		return "no-session"
	case foundGatewayDown:
		return "gateway-down"
	case foundIBKRUnreachable:
		return "ibkr-unreachable"
	case foundTrouble:
		return "trouble"
	case foundBroken:
		return "broken"
	case foundCanceled:
		return "canceled"
	}
	return "unknown"
}

type sessionCheck struct {
	found finding
	auth  AuthStatus
	err   error
}

// Rate limits of IBKR's Web API that the keeper could otherwise reach: a
// refused call counts towards a 10-minute penalty box, so the keeper keeps
// below them itself, with a margin.
const (
	tickleGap   = 1100 * time.Millisecond // tickle: 1 a second
	validateGap = 61 * time.Second        // sso/validate: 1 a minute
)

// checkOnce tickles (which keeps the session alive) and reads the auth
// status from the answer: one call when all is well.
func (k *Keeper) checkOnce(ctx context.Context) sessionCheck {
	if !k.lastTickleCall.IsZero() {
		if wait := tickleGap - time.Since(k.lastTickleCall); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return sessionCheck{found: foundCanceled, err: ctx.Err()}
			case <-t.C:
			}
		}
	}
	k.lastTickleCall = time.Now()
	t, err := k.api.Tickle(ctx)
	if err != nil {
		c := k.classify(ctx, err)
		if c.found == foundNoSession {
			// No SSO login: the expiry of the last one means nothing now
			// (`ibkr-tray status` said "SSO expires in 23 hours").
			k.update(func(s *Status) { s.SSOExpires = time.Time{} })
		}
		return c
	}
	k.tickled(t)
	auth := t.Auth
	if !t.HasAuth {
		if auth, err = k.api.AuthStatus(ctx); err != nil {
			c := k.classify(ctx, err)
			if c.found == foundNoSession {
				// The tickle answered, so the SSO login is alive.
				c.found = foundBrokerageLost
			}
			return c
		}
	}
	return sessionCheck{found: authFinding(auth), auth: auth}
}

func (k *Keeper) tickled(t Tickle) {
	now := k.now()
	k.update(func(s *Status) {
		s.LastTickle = now
		if t.SSOExpires > 0 {
			s.SSOExpires = now.Add(t.SSOExpires)
		}
	})
}

func authFinding(a AuthStatus) finding {
	switch {
	case a.Competing:
		return foundCompeting
	case a.Authenticated:
		return foundAuthenticated
	}
	return foundBrokerageLost
}

// classify turns a failed call into a finding. A timeout is told apart
// with a look at "/": the gateway answers it itself, so an answer there
// means IBKR behind the gateway is what does not answer.
func (k *Keeper) classify(ctx context.Context, err error) sessionCheck {
	if ctx.Err() != nil {
		return sessionCheck{found: foundCanceled, err: err}
	}
	switch KindOf(err) {
	case KindNoSession, KindNotLoggedIn:
		return sessionCheck{found: foundNoSession, err: err}
	case KindGatewayDown:
		return sessionCheck{found: foundGatewayDown, err: err}
	case KindTimeout:
		if perr := k.api.Ping(ctx); perr != nil {
			if ctx.Err() != nil {
				return sessionCheck{found: foundCanceled, err: err}
			}
			return sessionCheck{found: foundGatewayDown, err: perr}
		}
		return sessionCheck{found: foundIBKRUnreachable, err: err}
	case KindRateLimited, KindServerError:
		return sessionCheck{found: foundTrouble, err: err}
	case KindCanceled:
		return sessionCheck{found: foundCanceled, err: err}
	}
	return sessionCheck{found: foundBroken, err: err}
}

// nextCheck is the wait before the next check of a usable session: the
// tickle interval, or less when the SSO session is about to end, so its end
// is seen at once.
func (k *Keeper) nextCheck() time.Duration {
	d := k.o.TickleInterval
	if exp := k.Status().SSOExpires; !exp.IsZero() {
		if left := exp.Sub(k.now()) + 500*time.Millisecond; left > 0 && left < d {
			d = left
		}
	}
	return d
}

// nextBackoff doubles the wait between checks, from twice the tickle
// interval up to MaxBackoff.
func (k *Keeper) nextBackoff() time.Duration {
	if k.backoff == 0 {
		k.backoff = 2 * k.o.TickleInterval
	} else {
		k.backoff *= 2
	}
	k.backoff = min(k.backoff, k.o.MaxBackoff)
	return k.backoff
}

// readFacts reads the accounts (IBKR wants /iserver/accounts read before
// other brokerage calls) and, when asked, who is logged in. sso/validate
// is limited to once a minute, so it is read only after a login.
func (k *Keeper) readFacts(ctx context.Context, who bool) {
	acc, err := k.api.Accounts(ctx)
	if err == nil {
		k.haveFacts = true
		k.update(func(s *Status) {
			s.Accounts = acc.Accounts
			s.SelectedAccount = acc.Selected
			s.Paper = acc.IsPaper
		})
	} else {
		k.log.Debug("could not read the accounts", "err", err)
	}
	if !who || (!k.lastValidateCall.IsZero() && time.Since(k.lastValidateCall) < validateGap) {
		return
	}
	k.lastValidateCall = time.Now()
	v, err := k.api.Validate(ctx)
	if err != nil {
		k.log.Debug("could not read the SSO validation", "err", err)
		return
	}
	now := k.now()
	k.update(func(s *Status) {
		if v.UserName != "" {
			s.User = v.UserName
		}
		s.Paper = s.Paper || v.Paper()
		if v.Expires > 0 {
			s.SSOExpires = now.Add(v.Expires)
		}
	})
}

// waitAuthenticated polls auth/status until the brokerage session is
// usable, until another session competes (when stopOnCompeting), or for
// at most d. It returns the last status read.
func (k *Keeper) waitAuthenticated(ctx context.Context, d time.Duration, stopOnCompeting bool) (AuthStatus, error) {
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	var last AuthStatus
	var lastErr error
	for {
		a, err := k.api.AuthStatus(ctx)
		switch {
		case err == nil:
			last, lastErr = a, nil
			k.update(func(s *Status) { s.Auth = a })
			if (a.Authenticated && !a.Competing) || (a.Competing && stopOnCompeting) {
				return a, nil
			}
		case KindOf(err) == KindGatewayDown || ctx.Err() != nil:
			return last, err
		default:
			lastErr = err
		}
		poll := time.NewTimer(k.o.StatusPoll)
		select {
		case <-ctx.Done():
			poll.Stop()
			return last, ctx.Err()
		case <-deadline.C:
			poll.Stop()
			return last, lastErr
		case <-poll.C:
		}
	}
}

func errSentence(err error, fallback string) string {
	if err == nil {
		return fallback
	}
	return err.Error()
}
