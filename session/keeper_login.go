package session

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ibkr-tray/ibkr-tray/session/login"
	"github.com/ibkr-tray/ibkr-tray/session/secrets"
)

// totpStep is the TOTP time step (RFC 6238 with IBKR's 30 s).
const totpStep = 30

// readCredentials reads the stored credentials: what the store said, and
// whether they are the ones IBKR rejected. Stored credentials that differ
// from the rejected ones end the rejection: the user changed them.
func (k *Keeper) readCredentials(ctx context.Context) (secrets.Credentials, credsFact, bool) {
	if k.o.Credentials == nil {
		k.update(func(s *Status) { s.CredentialsStored = false })
		return secrets.Credentials{}, credsNone, false
	}
	if k.latches().CredentialsUnreadable != "" {
		return secrets.Credentials{}, credsUnreadable, false
	}
	c, err := k.o.Credentials.Get(ctx, k.o.Profile)
	switch {
	case err == nil && c.Complete():
		k.factor.CredsRead, k.factor.SecretStored = true, c.TOTPSecret != ""
		k.update(func(s *Status) { s.CredentialsStored = true; s.SecondFactor = shownFactor(k.factor) })
		same := k.sameAsRejected(c)
		if !same && k.latches().CredentialsRejected != "" {
			k.log.Info("the stored credentials changed since IBKR rejected them; automated login may try them")
			k.cap.credentialsChanged()
			k.saveCap()
			k.latch(func(l *Latches) { l.CredentialsRejected = "" })
		}
		return c, credsStored, same
	case err == nil || errors.Is(err, secrets.ErrNotFound):
		k.factor.CredsRead, k.factor.SecretStored = true, false
		k.update(func(s *Status) { s.CredentialsStored = false; s.SecondFactor = shownFactor(k.factor) })
		return secrets.Credentials{}, credsNone, false
	}
	// A locked or absent keyring: asking again every few seconds would
	// pop up unlock prompts, so wait until the user acts.
	why := fmt.Sprintf("the stored login details could not be read from %s: %v. Automated login waits until you choose Log in again; meanwhile you can log in in the browser.", k.o.Credentials.Where(), err)
	k.latch(func(l *Latches) { l.CredentialsUnreadable = why })
	k.log.Error("credentials unreadable", "err", err)
	return secrets.Credentials{}, credsUnreadable, false
}

// sameAsRejected reports whether c are the credentials IBKR rejected. With
// no fingerprint of those (an older state file) they count as the same:
// only CredentialsChanged then clears the rejection.
func (k *Keeper) sameAsRejected(c secrets.Credentials) bool {
	if k.cap.rec.RejectedSalt == "" {
		return true
	}
	return credentialPrint(k.cap.rec.RejectedSalt, c) == k.cap.rec.RejectedPrint
}

// credentialPrint is the first 32 bits of SHA-256 over a salt and the
// credentials: enough to tell a change, too little to test guesses with.
func credentialPrint(salt string, c secrets.Credentials) uint32 {
	h := sha256.New()
	for _, s := range []string{salt, c.Username, c.Password, c.TOTPSecret} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return binary.BigEndian.Uint32(h.Sum(nil))
}

// rememberRejected keeps a fingerprint of the rejected credentials.
func (k *Keeper) rememberRejected(c secrets.Credentials) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		k.cap.rec.RejectedSalt, k.cap.rec.RejectedPrint = "", 0
		return
	}
	k.cap.rec.RejectedSalt = hex.EncodeToString(b[:])
	k.cap.rec.RejectedPrint = credentialPrint(k.cap.rec.RejectedSalt, c)
}

// showFactor publishes the second factor the automated login answers with.
func (k *Keeper) showFactor() {
	f := shownFactor(k.factor)
	k.update(func(s *Status) { s.SecondFactor = f })
}

// attempt fills the login template for one try. onApproval is told when
// IBKR has sent the IB Key notification.
func (k *Keeper) attempt(c secrets.Credentials, onApproval func(until time.Time)) login.Attempt {
	a := k.o.LoginAttempt
	a.GatewayURL = k.api.BaseURL()
	a.Username, a.Password, a.TOTPSecret = c.Username, c.Password, c.TOTPSecret
	a.UsedStep = k.usedStep
	a.SecondFactor = k.o.SecondFactor
	a.ApprovalWait = k.o.ApprovalWait
	if then := a.OnApproval; then != nil {
		a.OnApproval = func(until time.Time) { onApproval(until); then(until) }
	} else {
		a.OnApproval = onApproval
	}
	if a.Now == nil {
		a.Now = k.o.Now
	}
	if a.Logger == nil {
		a.Logger = k.o.Logger
	}
	return a
}

// browserLoginOnce logs in through the browser; a refused security code
// is tried once more with the next step's code, except for a Retry (single),
// which is exactly one attempt. Every try is counted against the cap, and
// written down, before it starts; it stays counted until the brokerage
// session opens.
func (k *Keeper) browserLoginOnce(ctx context.Context, creds secrets.Credentials, ssoAlive, single bool) time.Duration {
	if ssoAlive {
		// A half-alive SSO login would leave the login page nothing to do.
		if err := k.api.Logout(ctx); err != nil {
			k.log.Debug("logout before login failed", "err", err)
		}
	}
	k.update(func(s *Status) { s.LoginRunning = true })
	defer k.update(func(s *Status) { s.LoginRunning = false })
	// pushed is set once IBKR sent the IB Key notification of this try.
	pushed := false
	// until is on the real clock, as the phone's wait is.
	onApproval := func(until time.Time) {
		// The attempt stays counted while the phone has it: a crash in
		// the wait (the next run's recovery) counts, so a crash loop sends
		// at most the cap's notifications. Every answer takes it back.
		pushed = true
		k.log.Info("IBKR sent the IB Key notification; waiting for the approval in IBKR Mobile", "until", until.Format(time.TimeOnly))
		k.latch(func(l *Latches) { l.ApprovalUntil = until })
		k.publish(WaitingForApproval, CauseApproveOnPhone, fmt.Sprintf(msgApproveOnPhone, Words(time.Until(until).Round(time.Second))))
	}
	var problem string
	for try := 1; try <= 2; try++ {
		// A gateway that went away (or crashed during the last try) turns
		// every login into a failure that counts: look first.
		if err := k.api.Ping(ctx); err != nil {
			if ctx.Err() != nil {
				return k.o.TickleInterval
			}
			return k.settle(ctx, sessionCheck{found: foundGatewayDown, err: err})
		}
		now := k.now()
		k.cap.begin(now)
		if err := k.saveCap(); err != nil {
			k.cap.abandoned(now)
			k.cap.writeErr = err.Error()
			k.capLoadErr = err.Error()
			return k.settle(ctx, sessionCheck{found: foundNoSession})
		}
		pushed = false
		res, err := k.o.BrowserLogin(ctx, k.attempt(creds, onApproval))
		now = k.now()
		k.latch(func(l *Latches) { l.ApprovalUntil = time.Time{} })
		if err == nil {
			k.factor.LoggedIn, k.factor.Answered = true, res.Factor
			k.showFactor()
			k.codeRefusals = 0
			k.usedStep = max(k.usedStep, res.Step)
			k.loginDelay, k.lastProblem = 0, ""
			k.latch(func(l *Latches) { l.LoginNotBefore = time.Time{} })
			k.log.Info("automated login succeeded", "page", res.PageVersion, "took", res.Took.Round(time.Millisecond))
			return k.afterLogin(ctx, "browser")
		}
		if ctx.Err() != nil {
			// Interrupted by Logout, Cancel, or shutting down.
			k.cap.abandoned(now)
			k.saveCap()
			if pushed {
				// The user stopped the wait for their tap: no new
				// notification by itself after a Cancel.
				k.log.Info("the wait for the IB Key approval was stopped; not counted as a failed login")
				k.approvalProblem = msgApprovalStopped
				k.latch(func(l *Latches) { l.ApprovalUnanswered = CauseApprovalMissed })
			}
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
			why := err.Error() + " Until then, log in in the browser."
			k.latch(func(l *Latches) { l.NoBrowser = why })
			return k.settle(ctx, sessionCheck{found: foundNoSession})
		case login.BadCredentials, login.UserLocked, login.WrongMode:
			k.cap.failed(now, stopKind(kind), true)
			k.rememberRejected(creds)
			k.saveCap()
			cause := rejectedCause(stopKind(kind))
			k.lastProblem = rejectedSentence(cause)
			k.latch(func(l *Latches) { l.CredentialsRejected = cause })
			return k.settle(ctx, sessionCheck{found: foundNoSession})
		case login.ApprovalDenied, login.ApprovalMissed:
			// IBKR rejected nothing (the password went through): not a
			// failed login. No new notification until the user acts.
			k.cap.abandoned(now)
			k.saveCap()
			cause, why := CauseApprovalMissed, fmt.Sprintf(msgApprovalMissed, Words(k.o.ApprovalWait))
			if kind == login.ApprovalDenied {
				cause, why = CauseApprovalDenied, msgApprovalDenied
			}
			k.log.Warn("the IB Key notification was not approved; no new one until you act", "kind", kind)
			k.approvalProblem = why
			k.latch(func(l *Latches) { l.ApprovalUnanswered = cause })
			return k.settle(ctx, sessionCheck{found: foundNoSession})
		case login.BadCode:
			k.cap.failed(now, "bad-code", false)
			k.saveCap()
			k.codeRefusals++
			if try == 1 && !single && k.cap.allowed(now) == capOpen {
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
	return k.loginFailed(ctx, problem)
}

// loginFailed schedules the next automated login with a growing delay
// (Latches.LoginNotBefore); the policy then says what the user sees.
func (k *Keeper) loginFailed(ctx context.Context, problem string) time.Duration {
	k.lastProblem = problem
	now := k.now()
	if k.cap.allowed(now) == capOpen {
		if k.loginDelay == 0 {
			k.loginDelay = k.o.LoginRetryDelay
		} else {
			k.loginDelay = min(2*k.loginDelay, time.Hour)
		}
		k.latch(func(l *Latches) { l.LoginNotBefore = now.Add(k.loginDelay) })
		k.log.Warn("automated login failed; will retry", "in", k.loginDelay, "failedInRow", k.cap.rec.FailedInRow)
	}
	d := k.settle(ctx, sessionCheck{found: foundNoSession})
	// Check again soon all the same: the failure may have a cause worth
	// showing (the gateway went down).
	return min(d, k.o.TickleInterval)
}

// afterLogin asks for the brokerage session after a successful login and
// waits for it, up to LoginWait (the BrokerageWait setting): IBKR may open
// it late. A login whose brokerage session never opens counts as failed,
// and the ladder of remedies climbs one rung.
func (k *Keeper) afterLogin(ctx context.Context, method string) time.Duration {
	k.publish(LoggingIn, CauseBrokerageLate, fmt.Sprintf(msgWaitBrokerage, Words(k.o.LoginWait)))
	a, err := k.api.InitBrokerage(ctx, k.o.TakeBackCompeting)
	if err != nil || (!a.Authenticated && !a.Competing) {
		a, err = k.waitAuthenticated(ctx, k.o.LoginWait, true)
	}
	now := k.now()
	if a.Authenticated || a.Competing {
		k.cap.succeeded(now)
		k.saveCap()
		_, next := k.settled(ctx, a, method)
		return next
	}
	if ctx.Err() != nil {
		k.cap.abandoned(now)
		k.saveCap()
		return k.o.TickleInterval
	}
	k.cap.failed(now, "brokerage-refused", false)
	k.saveCap()
	k.lastProblem = fmt.Sprintf("IBKR accepted the login, but the brokerage session did not open within %s.", Words(k.o.LoginWait))
	k.lastError(fmt.Errorf("%s (%v)", k.lastProblem, errSentence(err, "not authenticated")))
	k.brokerageRefused()
	return k.settle(ctx, sessionCheck{found: foundBrokerageLost, auth: a})
}

// manualLoginOnce opens the user's browser at the gateway's login page and
// waits for the session to appear, until ManualLoginTimeout or CancelLogin.
func (k *Keeper) manualLoginOnce(ctx context.Context, ssoAlive bool, reason string) time.Duration {
	if ssoAlive {
		if err := k.api.Logout(ctx); err != nil {
			k.log.Debug("logout before login failed", "err", err)
		}
	}
	url := k.api.LoginURL()
	reason = strings.Replace(reason, "in your browser", "in your browser at "+url, 1)
	if err := k.o.OpenBrowser(url); err != nil {
		k.log.Warn("could not open the browser", "err", err)
		reason = fmt.Sprintf("%v; %s", err, reason)
	}
	until := k.now().Add(k.o.ManualLoginTimeout)
	k.latch(func(l *Latches) { l.ManualLoginUntil = until })
	k.publish(WaitingForManualLogin, CauseManualLoginWait, reason)
	defer k.latch(func(l *Latches) { l.ManualLoginUntil = time.Time{} })
	deadline := time.NewTimer(k.o.ManualLoginTimeout)
	defer deadline.Stop()
	poll := time.NewTicker(k.o.ManualPollInterval)
	defer poll.Stop()
	inited := false
	last := sessionCheck{found: foundNoSession}
	for {
		select {
		case <-ctx.Done():
			return k.o.TickleInterval
		case <-deadline.C:
			k.log.Warn("no manual login was seen in time", "waited", k.o.ManualLoginTimeout)
			k.lastError(fmt.Errorf("no login was seen within %s", Words(k.o.ManualLoginTimeout)))
			k.latch(func(l *Latches) { l.ManualLoginUntil = time.Time{} })
			return k.settle(ctx, last)
		case <-poll.C:
		}
		c := k.checkOnce(ctx)
		switch c.found {
		case foundAuthenticated, foundCompeting:
			k.cap.succeeded(k.now())
			k.saveCap()
			k.loginDelay, k.lastProblem = 0, ""
			k.latch(func(l *Latches) {
				l.ManualLoginUntil = time.Time{}
				l.LoggedOutByUser = false
				l.LoginNotBefore = time.Time{}
			})
			if c.found == foundCompeting {
				// The user asked to log in here: take the session.
				return k.takeBack(ctx)
			}
			k.authenticated(ctx, c.auth, "manual")
			return k.o.TickleInterval
		case foundBrokerageLost:
			last = c
			// The user's login went through; ask for the brokerage session
			// once, as the gateway does after a web login.
			if !inited {
				inited = true
				if _, err := k.api.InitBrokerage(ctx, k.o.TakeBackCompeting); err != nil {
					k.log.Debug("ssodh/init after the manual login failed", "err", err)
				}
			}
		case foundNoSession:
			last = c
		case foundGatewayDown:
			k.latch(func(l *Latches) { l.ManualLoginUntil = time.Time{} })
			return k.decideAndAct(ctx, evCheck, c, true)
		}
	}
}

func (k *Keeper) loadCap() {
	rec, err := loadCapRecord(k.o.StateFile)
	now := k.now()
	if err != nil {
		k.cap.unreadable = true
		k.capLoadErr = err.Error()
		k.log.Error("login attempt record unreadable; automated login paused", "err", err)
		k.update(func(*Status) {})
		return
	}
	k.cap.rec = rec
	if k.cap.recovered(now) {
		k.log.Warn("the last run ended during a login; counting it as failed")
		k.saveCap()
	}
	k.update(func(s *Status) {
		s.LastLogin = rec.LastLogin
		s.Latches.CredentialsRejected = rejectedCause(rec.Stopped)
	})
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
