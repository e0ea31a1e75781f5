package session

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ibkr-tray/ibkr-tray/session/login"
	"github.com/ibkr-tray/ibkr-tray/session/secrets"
)

// totpStep is the TOTP time step (RFC 6238 with IBKR's 30 s).
const totpStep = 30

// readCredentials returns the stored credentials, or a sentence saying why
// there are none to use.
func (k *Keeper) readCredentials(ctx context.Context) (secrets.Credentials, string) {
	if k.o.Credentials == nil {
		k.update(func(s *Status) { s.CredentialsStored = false })
		return secrets.Credentials{}, msgNoCredentials
	}
	if k.credsBlocked != "" {
		return secrets.Credentials{}, k.credsBlocked
	}
	c, err := k.o.Credentials.Get(ctx, k.o.Profile)
	switch {
	case err == nil && c.Complete():
		k.update(func(s *Status) { s.CredentialsStored = true })
		return c, ""
	case err == nil || errors.Is(err, secrets.ErrNotFound):
		k.update(func(s *Status) { s.CredentialsStored = false })
		return secrets.Credentials{}, msgNoCredentials
	}
	// A locked or absent keyring: asking again every few seconds would
	// pop up unlock prompts, so wait until the user acts.
	k.credsBlocked = fmt.Sprintf("the stored login details could not be read from %s: %v. Automated login waits until you choose Log in again; meanwhile you can log in in your browser.", k.o.Credentials.Where(), err)
	k.log.Error("credentials unreadable", "err", err)
	return secrets.Credentials{}, k.credsBlocked
}

// attempt fills the login template for one try.
func (k *Keeper) attempt(c secrets.Credentials) login.Attempt {
	a := k.o.LoginAttempt
	a.GatewayURL = k.api.BaseURL()
	a.Username, a.Password, a.TOTPSecret = c.Username, c.Password, c.TOTPSecret
	a.UsedStep = k.usedStep
	if a.Now == nil {
		a.Now = k.o.Now
	}
	if a.Logger == nil {
		a.Logger = k.o.Logger
	}
	return a
}

// browserLoginOnce logs in through the browser; a refused security code
// is tried once more with the next step's code. Every try is counted
// against the cap, and written down, before it starts.
func (k *Keeper) browserLoginOnce(ctx context.Context, creds secrets.Credentials, ssoAlive bool) time.Duration {
	if ssoAlive {
		// A half-alive SSO login would leave the login page nothing to do.
		if err := k.api.Logout(ctx); err != nil {
			k.log.Debug("logout before login failed", "err", err)
		}
	}
	k.set(LoggingIn, "logging in to IBKR automatically")
	k.update(func(s *Status) { s.LoginRunning = true })
	defer k.update(func(s *Status) { s.LoginRunning = false })
	var problem string
	for try := 1; try <= 2; try++ {
		// A gateway that went away (or crashed during the last try) turns
		// every login into a failure that counts: look first.
		if err := k.api.Ping(ctx); err != nil {
			if ctx.Err() != nil {
				return k.o.TickleInterval
			}
			return k.trouble(sessionCheck{found: foundGatewayDown, err: err})
		}
		now := k.now()
		k.cap.begin(now)
		if err := k.saveCap(); err != nil {
			k.cap.abandoned(now)
			k.set(NeedsManualLogin, fmt.Sprintf("%v. Automated login is off so that a restart loop cannot lock the IBKR account; fix that, or choose Log in to log in in your browser.", err))
			return k.o.TickleInterval
		}
		res, err := k.o.BrowserLogin(ctx, k.attempt(creds))
		now = k.now()
		if err == nil {
			k.cap.succeeded(now)
			k.saveCap()
			k.codeRefusals = 0
			k.usedStep = max(k.usedStep, res.Step)
			k.loginDelay, k.loginNotBefore, k.lastProblem = 0, time.Time{}, ""
			k.log.Info("automated login succeeded", "page", res.PageVersion, "took", res.Took.Round(time.Millisecond))
			return k.afterLogin(ctx, "browser")
		}
		if ctx.Err() != nil {
			// Interrupted by Logout or by shutting down.
			k.cap.abandoned(now)
			k.saveCap()
			return k.o.TickleInterval
		}
		k.lastError(err)
		kind := login.KindOf(err)
		var le *login.Error
		if errors.As(err, &le) && le.Step > 0 {
			k.usedStep = max(k.usedStep, le.Step)
		}
		switch kind {
		case login.NoBrowser:
			k.cap.abandoned(now)
			k.saveCap()
			k.noBrowser = err.Error() + " Until then, choose Log in to log in in your own browser."
			k.set(NeedsManualLogin, k.noBrowser)
			return k.o.TickleInterval
		case login.BadCredentials, login.UserLocked, login.WrongMode:
			k.cap.failed(now, stopKind(kind), true)
			k.saveCap()
			k.lastProblem = stopSentence(stopKind(kind))
			k.set(NeedsManualLogin, k.lastProblem)
			return k.o.TickleInterval
		case login.BadCode:
			k.cap.failed(now, "bad-code", false)
			k.saveCap()
			k.codeRefusals++
			if try == 1 && k.cap.allowed(now) == capOpen {
				if k.usedStep == 0 {
					k.usedStep = now.Unix() / totpStep
				}
				k.log.Warn("IBKR refused the security code; trying once more with the next code")
				continue
			}
			problem = msgCodeRefused
			if k.codeRefusals >= 2 {
				problem = msgCodeRefusedTwice
			}
		default:
			k.codeRefusals = 0
			k.cap.failed(now, kind.String(), false)
			k.saveCap()
			problem = err.Error()
		}
		break
	}
	return k.loginFailed(problem)
}

// loginFailed schedules the next automated login with a growing delay, or
// stops when the cap says so.
func (k *Keeper) loginFailed(problem string) time.Duration {
	k.lastProblem = problem
	now := k.now()
	if c := k.cap.allowed(now); c != capOpen {
		k.capped(c)
		return k.o.TickleInterval
	}
	if k.loginDelay == 0 {
		k.loginDelay = k.o.LoginRetryDelay
	} else {
		k.loginDelay = min(2*k.loginDelay, time.Hour)
	}
	k.loginNotBefore = now.Add(k.loginDelay)
	k.set(NotAuthenticated, fmt.Sprintf("automated login failed: %s Trying again in %s.", problem, k.loginDelay.Round(time.Second)))
	k.log.Warn("automated login failed; will retry", "in", k.loginDelay, "failedInRow", k.cap.rec.FailedInRow)
	// Check again soon all the same: the failure may have a cause worth
	// showing (the gateway went down).
	return min(k.loginDelay, k.o.TickleInterval)
}

// afterLogin asks for the brokerage session after a successful login and
// waits for it.
func (k *Keeper) afterLogin(ctx context.Context, method string) time.Duration {
	k.set(LoggingIn, "logged in; waiting for the brokerage session")
	a, err := k.api.InitBrokerage(ctx, k.o.TakeBackCompeting)
	if err != nil || (!a.Authenticated && !a.Competing) {
		a, err = k.waitAuthenticated(ctx, k.o.LoginWait, true)
	}
	if done, next := k.settled(ctx, a, method); done {
		return next
	}
	k.lastError(err)
	k.set(NotAuthenticated, "logged in to IBKR, but the brokerage session did not start; checking again shortly")
	return k.o.TickleInterval
}

// manualLoginOnce opens the user's browser at the gateway's login page and
// waits for the session to appear.
func (k *Keeper) manualLoginOnce(ctx context.Context, ssoAlive bool, why string) time.Duration {
	if ssoAlive {
		if err := k.api.Logout(ctx); err != nil {
			k.log.Debug("logout before login failed", "err", err)
		}
	}
	url := k.api.LoginURL()
	reason := fmt.Sprintf("waiting for you to log in in your browser at %s (%s)", url, why)
	if err := k.o.OpenBrowser(url); err != nil {
		k.log.Warn("could not open the browser", "err", err)
		reason = fmt.Sprintf("%v; waiting for the login (%s)", err, why)
	}
	k.set(LoggingIn, reason)
	k.update(func(s *Status) { s.LoginRunning = true })
	defer k.update(func(s *Status) { s.LoginRunning = false })
	deadline := time.NewTimer(k.o.ManualLoginTimeout)
	defer deadline.Stop()
	poll := time.NewTicker(k.o.ManualPollInterval)
	defer poll.Stop()
	inited := false
	for {
		select {
		case <-ctx.Done():
			return k.o.TickleInterval
		case <-deadline.C:
			k.set(NeedsManualLogin, fmt.Sprintf("no login was seen within %s; choose Log in to try again", k.o.ManualLoginTimeout.Round(time.Second)))
			return k.o.TickleInterval
		case <-poll.C:
		}
		c := k.checkOnce(ctx)
		switch c.found {
		case foundAuthenticated, foundCompeting:
			k.cap.succeeded(k.now())
			k.saveCap()
			k.loginDelay, k.loginNotBefore, k.lastProblem = 0, time.Time{}, ""
			if c.found == foundCompeting {
				// The user asked to log in here: take the session.
				return k.competing(ctx, c.auth, true)
			}
			k.authenticated(ctx, c.auth, "manual")
			return k.o.TickleInterval
		case foundBrokerageLost:
			// The user's login went through; ask for the brokerage session
			// once, as the gateway does after a web login.
			if !inited {
				inited = true
				if _, err := k.api.InitBrokerage(ctx, k.o.TakeBackCompeting); err != nil {
					k.log.Debug("ssodh/init after the manual login failed", "err", err)
				}
			}
		case foundGatewayDown:
			return k.trouble(c)
		}
	}
}

// handle runs one command from the user.
func (k *Keeper) handle(ctx context.Context, c command) time.Duration {
	k.log.Debug("command", "command", c.kind)
	now := k.now()
	switch c.kind {
	case cmdCheckNow:
		return k.step(ctx)
	case cmdResetCap:
		k.cap.reset(now)
		k.saveCap()
		k.loginNotBefore, k.loginDelay, k.lastProblem = time.Time{}, 0, ""
		k.noBrowser, k.credsBlocked = "", ""
		k.log.Info("login attempt counter reset by the user")
		return k.step(ctx)
	case cmdLogin:
		k.loggedOut = false
		k.credsBlocked, k.noBrowser = "", ""
		k.loginNotBefore, k.loginDelay = time.Time{}, 0
		k.cap.userActed()
		k.saveCap()
		return k.act(ctx, k.checkOnce(ctx), true)
	case cmdLogout:
		k.loggedOut = true
		k.haveFacts = false
		err := k.logoutOnce(ctx)
		k.update(func(s *Status) {
			s.Auth = AuthStatus{}
			s.Accounts, s.SelectedAccount = nil, ""
			s.SSOExpires = time.Time{}
		})
		if err != nil {
			k.lastError(err)
			k.log.Error("logout failed", "err", err)
			k.set(NotAuthenticated, fmt.Sprintf(msgLogoutFailed, err))
			return k.o.TickleInterval
		}
		k.set(NotAuthenticated, msgLoggedOut)
		return k.o.TickleInterval
	case cmdSelectAccount:
		if err := k.api.SelectAccount(ctx, c.account); err != nil {
			k.lastError(fmt.Errorf("could not switch to account %s: %w", c.account, err))
			return k.o.TickleInterval
		}
		k.readFacts(ctx, false)
		return k.o.TickleInterval
	}
	return k.o.TickleInterval
}

// logoutOnce posts /logout, trying again twice a little later when IBKR is
// busy (429, 5xx, no answer): a logout the user asked for should not be lost
// to a passing hiccup.
func (k *Keeper) logoutOnce(ctx context.Context) error {
	var err error
	for try := 0; try < 3; try++ {
		if err = k.api.Logout(ctx); err == nil {
			return nil
		}
		switch KindOf(err) {
		case KindRateLimited, KindServerError, KindTimeout:
		default:
			return err
		}
		t := time.NewTimer(logoutRetryWait)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
	return err
}

// logoutRetryWait is over IBKR's one-request-a-second limits.
const logoutRetryWait = 1100 * time.Millisecond
