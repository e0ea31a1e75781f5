package sim

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// IB Key, as the simulator plays it: picking device "5.2a" (or logging in
// as a user whose only device it is) sends a "push" to the user's phone;
// the login page shows .login-step-notification and polls until the push is
// approved (POST /sim/approve), denied (POST /sim/deny) or expires
// (Options.PushLifetime of simulated time). Denied and expired pushes are
// not failed logins: IBKR rejected nothing the user typed.

// Push states, as /sim/state shows them.
const (
	PushPending  = "pending"
	PushApproved = "approved"
	PushDenied   = "denied"
	PushExpired  = "expired"
)

// DefaultPushLifetime is how long an IB Key notification waits for an
// answer (simulated time) when Options.PushLifetime is 0.
const DefaultPushLifetime = 3 * time.Minute

// keptPushes bounds the pushes /sim/state lists (the newest are kept).
const keptPushes = 20

// Push is one IB Key notification in /sim/state.
type Push struct {
	User  string    `json:"user"`
	State string    `json:"state"` // pending, approved, denied, expired
	Sent  time.Time `json:"sent"`
	// Answered is when it left pending (simulated time).
	Answered *time.Time `json:"answered,omitempty"`
}

// push is a Push and the login attempt it answers.
type push struct {
	Push
	attempt string
}

// sendPush sends an IB Key notification for the attempt, or keeps the one
// already pending for it. A new push of the same user makes the older
// pending ones expire, as a phone shows only the newest request. Callers
// hold s.mu.
func (s *Server) sendPush(id string, at *attempt, now time.Time) authAnswer {
	s.expirePushes(now)
	for _, p := range s.pushes {
		if p.attempt == id && p.State == PushPending {
			return authAnswer{Result: "push"}
		}
	}
	for _, p := range s.pushes {
		if p.State == PushPending && strings.EqualFold(p.User, at.user.Username) {
			s.answerPush(p, PushExpired, now)
		}
	}
	s.pushes = append(s.pushes, &push{Push: Push{User: at.user.Username, State: PushPending, Sent: now}, attempt: id})
	if n := len(s.pushes); n > keptPushes {
		s.pushes = append([]*push(nil), s.pushes[n-keptPushes:]...)
	}
	s.pushesSent++
	// The attempt lives as long as its push may be answered.
	at.expires = maxTime(at.expires, now.Add(s.o.PushLifetime))
	s.o.Logger.Info("IB Key notification sent", "user", at.user.Username)
	return authAnswer{Result: "push"}
}

// pollStep answers the login page's poll while its push is pending.
// Callers hold s.mu.
func (s *Server) pollStep(req authRequest, now time.Time) authAnswer {
	s.expirePushes(now)
	at := s.attempts[req.Attempt]
	var p *push
	for _, q := range s.pushes {
		if q.attempt == req.Attempt {
			p = q
		}
	}
	if at == nil || p == nil {
		delete(s.attempts, req.Attempt)
		return authAnswer{Result: "error", Error: TextLoginExpired, Restart: true}
	}
	switch p.State {
	case PushApproved:
		delete(s.attempts, req.Attempt)
		at.expires = now.Add(attemptLifetime) // for the Dispatcher post
		return s.passLogin(at)
	case PushDenied:
		delete(s.attempts, req.Attempt)
		return authAnswer{Result: "error", Error: TextIBKeyDenied, Restart: true}
	case PushExpired:
		delete(s.attempts, req.Attempt)
		return authAnswer{Result: "error", Error: TextIBKeyExpired, Restart: true}
	}
	return authAnswer{Result: "pending"}
}

// withdrawPush expires the pending push of an attempt that a code
// completed. Callers hold s.mu.
func (s *Server) withdrawPush(id string, now time.Time) {
	for _, p := range s.pushes {
		if p.attempt == id && p.State == PushPending {
			s.answerPush(p, PushExpired, now)
		}
	}
}

// expirePushes ends the pending pushes older than PushLifetime. Callers
// hold s.mu.
func (s *Server) expirePushes(now time.Time) {
	for _, p := range s.pushes {
		if p.State == PushPending && !now.Before(p.Sent.Add(s.o.PushLifetime)) {
			s.answerPush(p, PushExpired, now)
		}
	}
}

func (s *Server) answerPush(p *push, state string, now time.Time) {
	p.State = state
	t := now
	p.Answered = &t
	switch state {
	case PushApproved:
		s.pushesApproved++
	case PushDenied:
		s.pushesDenied++
	case PushExpired:
		s.pushesExpired++
	}
	s.o.Logger.Info("IB Key notification answered", "user", p.User, "state", state)
}

// Approve approves the newest pending IB Key notification of user ("" =
// of any user), as the user's tap on Approve in IBKR Mobile. The login
// page then completes the login.
func (s *Server) Approve(user string) error { return s.answer(user, PushApproved) }

// Deny denies the newest pending IB Key notification of user ("" = of
// any user). The login page then shows TextIBKeyDenied.
func (s *Server) Deny(user string) error { return s.answer(user, PushDenied) }

func (s *Server) answer(user, state string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.now()
	s.expirePushes(now)
	for i := len(s.pushes) - 1; i >= 0; i-- {
		p := s.pushes[i]
		if p.State == PushPending && (user == "" || strings.EqualFold(p.User, strings.TrimSpace(user))) {
			s.answerPush(p, state, now)
			return nil
		}
	}
	if user != "" {
		return fmt.Errorf("no IB Key notification of the user %q is waiting for an answer", user)
	}
	return fmt.Errorf("no IB Key notification is waiting for an answer")
}

// SetIBKeyPromo shows (or stops showing) the IB Key promotion after the
// login form, with its skip link .ibkey-promo-skip.
func (s *Server) SetIBKeyPromo(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.promo = on
}

// ibkeyRoutes are the /sim controls of IB Key and its promotion.
func (s *Server) ibkeyRoutes(mux *http.ServeMux) {
	for name, f := range map[string]func(string) error{"approve": s.Approve, "deny": s.Deny} {
		mux.HandleFunc("POST /sim/"+name, func(w http.ResponseWriter, r *http.Request) {
			if err := f(r.URL.Query().Get("user")); err != nil {
				http.Error(w, err.Error(), http.StatusConflict)
				return
			}
			s.writeState(w)
		})
	}
	mux.HandleFunc("POST /sim/ibkey-promo", func(w http.ResponseWriter, r *http.Request) {
		on := true
		if v := r.URL.Query().Get("on"); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				http.Error(w, "ibkey-promo takes on=true or on=false (default true)", http.StatusBadRequest)
				return
			}
			on = b
		}
		s.SetIBKeyPromo(on)
		s.writeState(w)
	})
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
