package session

import (
	"context"
	"fmt"
	"time"
)

// The user's commands: the policy's onCommand changes the latches, then
// the session is checked and decide says what follows.

// handle runs one command from the user: the policy's onCommand changes
// the latches, then the session is checked and the policy decides.
func (k *Keeper) handle(ctx context.Context, c command) time.Duration {
	k.log.Debug("command", "command", c.kind)
	now := k.now()
	ev, ok := commandEvents[c.kind]
	if ok {
		wasLoggingIn := k.Status().State == LoggingIn
		e := onCommand(ev, k.latches(), k.cap.allowed(now), k.cap.dayFull(now))
		if e.Refused != "" {
			k.log.Warn("command refused", "command", c.kind, "why", e.Refused)
			k.update(func(s *Status) { s.LastError = "Retry was refused: " + e.Refused })
			return k.step(ctx)
		}
		k.latch(func(l *Latches) { *l = e.Latches })
		if e.ResetUnreadableCap {
			k.cap.acknowledged(now)
		}
		if e.AllowOneInRow {
			k.cap.allowOneInRow(now)
		}
		if ev == evCredentialsChanged {
			k.cap.credentialsChanged()
		}
		if ev == evCancelLogin && wasLoggingIn {
			// An automated login the user stopped: not again at once.
			k.lastProblem = "you stopped it."
			k.latch(func(l *Latches) { l.LoginNotBefore = now.Add(k.o.LoginRetryDelay) })
		}
		if e.AllowOneInRow || e.ResetUnreadableCap || ev == evCredentialsChanged {
			k.saveCap()
		}
	}
	switch c.kind {
	case cmdCheckNow, cmdCancelLogin:
		return k.step(ctx)
	case cmdLogin, cmdRetry, cmdResetCap, cmdLoginBrowser, cmdCredsChanged:
		return k.decideAndAct(ctx, ev, k.checkOnce(ctx), false)
	case cmdLogout:
		return k.logout(ctx)
	case cmdGateway:
		return k.gatewayChanged(ctx, c.gateway)
	case cmdReconfigure:
		k.reconfigure(c.settings)
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

// commandEvents are the commands the policy has a word for.
var commandEvents = map[commandKind]event{
	cmdLogin:        evLogin,
	cmdRetry:        evRetry,
	cmdResetCap:     evRetry,
	cmdLoginBrowser: evLoginInBrowser,
	cmdCancelLogin:  evCancelLogin,
	cmdCredsChanged: evCredentialsChanged,
	cmdLogout:       evLogout,
}

// logout ends the session the user asked to end: LoggedOut, with nothing
// to notify, until they log in.
func (k *Keeper) logout(ctx context.Context) time.Duration {
	k.haveFacts = false
	err := k.logoutOnce(ctx)
	k.update(func(s *Status) {
		s.Auth = AuthStatus{}
		s.Accounts, s.SelectedAccount = nil, ""
		s.SSOExpires = time.Time{}
		s.ReadyUntil = time.Time{}
	})
	if err != nil {
		k.lastError(err)
		k.log.Error("logout failed", "err", err)
		k.publish(NotAuthenticated, CauseLogoutFailed, fmt.Sprintf(msgLogoutFailed, err))
		return k.o.TickleInterval
	}
	k.update(func(s *Status) { s.LastError = "" })
	k.publish(LoggedOut, CauseLoggedOut, msgLoggedOut)
	return k.o.TickleInterval
}

// gatewayChanged takes the supervisor's word: the session's reason follows
// it at once (no call needed), and the client follows the gateway's port.
func (k *Keeper) gatewayChanged(ctx context.Context, g GatewayFacts) time.Duration {
	k.gateway = g
	if g.BaseURL != "" && g.BaseURL != k.api.BaseURL() {
		if s, ok := k.api.(interface{ SetBaseURL(string) error }); ok {
			if err := s.SetBaseURL(g.BaseURL); err != nil {
				k.log.Error("could not follow the gateway to its new address", "url", g.BaseURL, "err", err)
			} else {
				k.log.Info("the gateway moved; following it", "url", g.BaseURL)
			}
		}
	}
	if g.Starting {
		k.latch(func(l *Latches) { l.ManualLoginUntil = time.Time{} })
	}
	if g.Starting || g.Problem != "" {
		k.haveFacts = false
		in, _ := k.input(ctx, evGateway, sessionCheck{found: foundGatewayDown}, true)
		d := gatewayDecision(in)
		k.publish(d.State, d.Cause, d.Reason)
		return k.o.TickleInterval
	}
	if g.Up {
		switch k.Status().Cause {
		case CauseStarting, CauseGatewayDown, CauseGatewayProblem:
			return k.step(ctx)
		}
	}
	return k.nextCheck()
}

// reconfigure applies changed settings at once.
func (k *Keeper) reconfigure(s Settings) {
	k.o.TakeBackCompeting = s.TakeBackCompeting
	if s.MaxFailedInRow > 0 {
		k.cap.MaxInRow = s.MaxFailedInRow
	}
	if s.MaxFailedPerDay > 0 {
		k.cap.MaxPerDay = s.MaxFailedPerDay
	}
	if s.BrokerageWait > 0 {
		k.o.LoginWait = s.BrokerageWait
	}
	if s.ApprovalWait > 0 {
		k.o.ApprovalWait = s.ApprovalWait
	}
	k.o.SecondFactor = factorOf(s.SecondFactor)
	k.factor.Setting = k.o.SecondFactor
	k.showFactor()
	// The settings may name a browser now: look again at the next login.
	k.latch(func(l *Latches) { l.NoBrowser = "" })
	k.log.Info("settings applied", "takeBack", s.TakeBackCompeting, "maxInRow", k.cap.MaxInRow, "maxPerDay", k.cap.MaxPerDay, "brokerageWait", k.o.LoginWait,
		"secondFactor", k.o.SecondFactor, "approvalWait", k.o.ApprovalWait)
	k.update(func(*Status) {}) // the offers may change with the cap
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
