package sim

import (
	"net/http"
	"time"
)

// The outage faults (hang, error, flap-503) act on what the real gateway
// forwards to IBKR (/sso and /v1), never on "/": when IBKR is down the
// gateway itself still answers. Their lengths are simulated time, so with
// --speed 1000 a weekend-length hang (48 h) ends in about 3 minutes.

// window is a lasting fault: on from when it was set until until (simulated
// time; zero: until Reset or until it is turned off).
type window struct {
	on    bool
	until time.Time
}

// newWindow is a window from now lasting d; d <= 0 lasts until Reset.
func newWindow(now time.Time, d time.Duration) window {
	w := window{on: true}
	if d > 0 {
		w.until = now.Add(d)
	}
	return w
}

func (w window) active(now time.Time) bool {
	return w.on && (w.until.IsZero() || now.Before(w.until))
}

// untilPtr is the window's end for /sim/state: nil means until Reset.
func (w window) untilPtr() *time.Time {
	if w.until.IsZero() {
		return nil
	}
	t := w.until
	return &t
}

// flapping is the flap-503 fault: 503 for on, normal for off, repeating.
type flapping struct {
	window
	start   time.Time
	on, off time.Duration
}

// failing says whether now falls in an "on" spell.
func (f flapping) failing(now time.Time) bool {
	if !f.active(now) || f.on <= 0 {
		return false
	}
	period := f.on + f.off
	return now.Sub(f.start)%period < f.on
}

// Hang makes every /v1/api and /sso request block for d (simulated time:
// d/speed of real time) or until its client gives up, as when IBKR is
// unreachable; "/" still answers. Hang(0) ends a hang.
func (s *Server) Hang(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.endHangLocked()
	if d <= 0 || s.closed {
		return
	}
	end := make(chan struct{})
	s.hangEnd = end
	s.hangUntil = s.clock.now().Add(d)
	s.hangTimer = time.AfterFunc(time.Duration(float64(d)/s.o.Speed), func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.hangEnd == end {
			s.endHangLocked()
		}
	})
}

func (s *Server) endHangLocked() {
	if s.hangEnd != nil {
		close(s.hangEnd)
		s.hangEnd = nil
		s.hangTimer.Stop()
	}
}

// Fail makes every /v1/api and /sso request answer status for d (simulated
// time). Fail(0, 0) ends it.
func (s *Server) Fail(status int, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failStatus = status
	s.failWin = window{}
	if status != 0 && d > 0 {
		s.failWin = newWindow(s.clock.now(), d)
	}
}

// Flap503 makes /v1/api and /sso requests answer 503 for on, then normally
// for off, again and again, for d (simulated time; d <= 0: until Reset), as
// around IBKR's restarts. A spell of 503s starts at once. Flap503(0, 0, 0)
// ends it.
func (s *Server) Flap503(on, off, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.flap = flapping{}
	if on <= 0 {
		return
	}
	now := s.clock.now()
	s.flap = flapping{window: newWindow(now, d), start: now, on: on, off: off}
}

// outageStatus is the status a forwarded request answers now because of the
// error or flap-503 fault; 0 when none. Callers hold s.mu.
func (s *Server) outageStatus(now time.Time) int {
	if s.failStatus != 0 && s.failWin.active(now) {
		return s.failStatus
	}
	if s.flap.failing(now) {
		return http.StatusServiceUnavailable
	}
	return 0
}

// endLastingFaultsLocked ends every fault that lasts (for Reset). Callers
// hold s.mu.
func (s *Server) endLastingFaultsLocked() {
	s.endHangLocked()
	s.failStatus, s.failWin = 0, window{}
	s.flap = flapping{}
	s.refusing = window{}
	s.lateBy = 0
	s.validateFalse = window{}
}
