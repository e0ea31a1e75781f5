package sim

import "time"

// The brokerage faults are the field's "login succeeded, but the session is
// not authenticated" family (gateway-facts.md section 6). They change what
// happens after the SSO login, never the login itself.

// RefuseBrokerage makes the brokerage session never open, for d (simulated
// time; d <= 0: until Reset): logins still succeed (and count in
// State.Logins), but auth/status says connected true, authenticated false,
// and neither reauthenticate nor ssodh/init (even with compete:true)
// changes that. A brokerage session already open stays open.
func (s *Server) RefuseBrokerage(d time.Duration) {
	s.fault(func(now time.Time) {
		s.refusing = newWindow(now, d)
		s.o.Logger.Info("refuse-brokerage fault: IBKR will not open brokerage sessions", "for", d)
	})
}

// BrokerageLate makes the brokerage session open delay (simulated time)
// after a login, reauthenticate or ssodh/init, in place of AuthDelay and
// ReauthDelay, until Reset. BrokerageLate(0) ends it. A session already
// starting keeps its time.
func (s *Server) BrokerageLate(delay time.Duration) {
	s.fault(func(now time.Time) {
		s.lateBy = max(delay, 0)
	})
}

// ValidateFalse makes GET /sso/validate answer RESULT false for d
// (simulated time; d <= 0: until Reset) while tickle and auth/status still
// say authenticated, as IBKR does now and then.
func (s *Server) ValidateFalse(d time.Duration) {
	s.fault(func(now time.Time) { s.validateFalse = newWindow(now, d) })
}

// brokerageDelay is the time a brokerage session takes to open: usual,
// unless the brokerage-late fault holds. Callers hold s.mu.
func (s *Server) brokerageDelay(usual time.Duration) time.Duration {
	if s.lateBy > 0 {
		return s.lateBy
	}
	return usual
}
