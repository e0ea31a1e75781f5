package sim

import (
	"crypto/rand"
	"encoding/hex"
	"time"
)

// Brokerage is where the brokerage (iserver) session stands.
type Brokerage int

const (
	BrokerageNone          Brokerage = 1 // no brokerage session (never started, timed out, expired)
	BrokeragePending       Brokerage = 2 // starting: authenticated at readyAt
	BrokerageAuthenticated Brokerage = 3 // usable
	BrokerageCompeting     Brokerage = 4 // another session of the user holds it
	// BrokerageRefused: IBKR does not open it (the refuse-brokerage fault):
	// connected, not authenticated, whatever the client tries.
	BrokerageRefused Brokerage = 5
)

func (b Brokerage) String() string {
	switch b {
	case BrokerageNone:
		return "none"
	case BrokeragePending:
		return "pending"
	case BrokerageAuthenticated:
		return "authenticated"
	case BrokerageCompeting:
		return "competing"
	case BrokerageRefused:
		return "refused"
	}
	return "unknown"
}

// MarshalText writes the state by name in /sim/state.
func (b Brokerage) MarshalText() ([]byte, error) { return []byte(b.String()), nil }

// UnmarshalText reads a state written by MarshalText.
func (b *Brokerage) UnmarshalText(t []byte) error {
	for v := BrokerageNone; v <= BrokerageRefused; v++ {
		if v.String() == string(t) {
			*b = v
			return nil
		}
	}
	*b = 0
	return nil
}

// session is the gateway's one SSO session and the brokerage session on top
// of it. Times are simulated. Transitions are worked out lazily by settle
// whenever someone looks, so no timers run.
type session struct {
	user    *user
	paper   bool
	id      string
	started time.Time
	expires time.Time

	brokerage Brokerage
	readyAt   time.Time // BrokeragePending: when it becomes authenticated
	lastUsed  time.Time // BrokerageAuthenticated: the idle timeout counts from here
	selected  string    // the selected account
}

func newSessionID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// settle brings the session model up to the simulated time now: SSO expiry,
// the nightly reset, a pending brokerage becoming authenticated, the idle
// timeout. Callers hold s.mu.
func (s *Server) settle(now time.Time) {
	ss := s.sess
	if ss == nil {
		return
	}
	if !now.Before(ss.expires) {
		s.endSession("the SSO session lifetime is over")
		return
	}
	if s.reset != nil && !now.Before(s.reset.next(ss.started)) {
		s.endSession("nightly reset")
		return
	}
	refusing := s.refusing.active(now)
	if ss.brokerage == BrokerageRefused && !refusing {
		// The fault is over; the next reauthenticate or ssodh/init opens it.
		ss.brokerage = BrokerageNone
	}
	if ss.brokerage == BrokeragePending && refusing {
		ss.brokerage = BrokerageRefused
	}
	if ss.brokerage == BrokeragePending && !now.Before(ss.readyAt) {
		ss.brokerage = BrokerageAuthenticated
		ss.lastUsed = ss.readyAt
		s.o.Logger.Info("brokerage session authenticated", "user", ss.user.Username)
	}
	if ss.brokerage == BrokerageAuthenticated && now.Sub(ss.lastUsed) > s.o.BrokerageTimeout {
		ss.brokerage = BrokerageNone
		s.o.Logger.Info("brokerage session timed out after no requests", "user", ss.user.Username, "idle", now.Sub(ss.lastUsed))
	}
}

// touch counts a request against the idle timeout. Callers hold s.mu and
// have settled.
func (s *Server) touch(now time.Time) {
	if s.sess != nil && s.sess.brokerage == BrokerageAuthenticated {
		s.sess.lastUsed = now
	}
}

// startSession logs user in: a new SSO session whose brokerage session
// becomes authenticated after delay. Callers hold s.mu.
func (s *Server) startSession(u *user, paper bool, now time.Time, delay time.Duration) {
	s.sess = &session{
		user:      u,
		paper:     paper,
		id:        newSessionID(),
		started:   now,
		expires:   now.Add(s.o.SSOLifetime),
		brokerage: BrokeragePending,
		readyAt:   now.Add(s.brokerageDelay(delay)),
		selected:  u.AccountIDs[0],
	}
	s.logins++
	if s.refusing.active(now) {
		s.refusedLogins++
	}
	s.o.Logger.Info("SSO session started", "user", u.Username, "paper", paper)
	s.settle(now)
}

// startBrokerage begins a brokerage session on the live SSO session, as
// reauthenticate and ssodh/init do. Callers hold s.mu.
func (s *Server) startBrokerage(now time.Time) {
	ss := s.sess
	if ss.brokerage == BrokerageAuthenticated || ss.brokerage == BrokeragePending {
		return
	}
	ss.brokerage = BrokeragePending
	ss.readyAt = now.Add(s.brokerageDelay(s.o.ReauthDelay))
	s.settle(now) // under refuse-brokerage: refused again
}

func (s *Server) endSession(why string) {
	if s.sess == nil {
		return
	}
	s.o.Logger.Info("SSO session ended", "user", s.sess.user.Username, "why", why)
	s.sess = nil
}

// authFlags are the three booleans every status answer carries.
func (s *Server) authFlags() (authenticated, connected, competing bool) {
	if s.sess == nil {
		return false, false, false
	}
	switch s.sess.brokerage {
	case BrokerageAuthenticated:
		return true, true, false
	case BrokerageCompeting:
		return false, true, true
	case BrokerageRefused:
		return false, true, false
	}
	return false, false, false
}
