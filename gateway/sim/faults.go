package sim

import (
	"net/http"
	"sort"
	"strconv"
	"time"
)

// State is what GET /sim/state shows: the session model, counters and the
// faults in force. Times are simulated.
type State struct {
	SimTime time.Time `json:"simTime"`
	// Session is the gateway's SSO session; nil when there is none.
	Session *SessionState `json:"session"`
	// Logins counts successful logins (browser, LoginAs, Authenticated).
	Logins int `json:"logins"`
	// Hits counts requests received, keyed like "POST /v1/api/tickle"
	// (GET /sim/state itself is not counted).
	Hits map[string]int `json:"hits"`
	// FailedLogins are failed logins in a row, per username.
	FailedLogins map[string]int `json:"failedLogins"`
	LockedUsers  []string       `json:"lockedUsers"`
	Hanging      bool           `json:"hanging"`
	// FailStatus is the status every /v1/api and /sso request answers
	// while the error fault lasts; 0 when none.
	FailStatus  int    `json:"failStatus,omitempty"`
	PenaltyBox  bool   `json:"penaltyBox"`
	RateLimits  bool   `json:"rateLimits"`
	PageVersion string `json:"pageVersion"`
}

// SessionState is the SSO session and its brokerage session.
type SessionState struct {
	User            string    `json:"user"`
	Paper           bool      `json:"paper"`
	ID              string    `json:"id"`
	Started         time.Time `json:"started"`
	SSOExpires      time.Time `json:"ssoExpires"`
	Brokerage       Brokerage `json:"brokerage"`
	Authenticated   bool      `json:"authenticated"`
	Connected       bool      `json:"connected"`
	Competing       bool      `json:"competing"`
	SelectedAccount string    `json:"selectedAccount"`
}

// State is a snapshot of the simulator (GET /sim/state).
func (s *Server) State() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.now()
	s.settle(now)
	st := State{
		SimTime:      now,
		Logins:       s.logins,
		Hits:         map[string]int{},
		FailedLogins: map[string]int{},
		LockedUsers:  []string{},
		Hanging:      s.hangEnd != nil,
		PenaltyBox:   s.o.RateLimits && s.limiter.inPenaltyBox(now),
		RateLimits:   s.o.RateLimits,
		PageVersion:  s.o.PageVersion,
	}
	if s.failStatus != 0 && s.o.Now().Before(s.failUntil) {
		st.FailStatus = s.failStatus
	}
	for k, v := range s.hits {
		st.Hits[k] = v
	}
	for k, v := range s.failed {
		if v > 0 {
			st.FailedLogins[k] = v
		}
	}
	for k := range s.locked {
		st.LockedUsers = append(st.LockedUsers, k)
	}
	sort.Strings(st.LockedUsers)
	if ss := s.sess; ss != nil {
		a, c, comp := s.authFlags()
		st.Session = &SessionState{
			User: ss.user.Username, Paper: ss.paper, ID: ss.id,
			Started: ss.started, SSOExpires: ss.expires, Brokerage: ss.brokerage,
			Authenticated: a, Connected: c, Competing: comp, SelectedAccount: ss.selected,
		}
	}
	return st
}

// ExpireBrokerage ends the brokerage session as an idle timeout would; the
// SSO session stays, so reauthenticate brings it back.
func (s *Server) ExpireBrokerage() {
	s.fault(func(now time.Time) {
		if s.sess != nil {
			s.sess.brokerage = BrokerageNone
		}
	})
}

// ExpireSSO ends the SSO session, and the brokerage session with it: only a
// new login helps.
func (s *Server) ExpireSSO() {
	s.fault(func(now time.Time) { s.endSession("expire-sso fault") })
}

// Compete makes another session of the same user take the brokerage
// session: competing true, authenticated false, until ssodh/init with
// compete:true takes it back.
func (s *Server) Compete() {
	s.fault(func(now time.Time) {
		if s.sess != nil {
			s.sess.brokerage = BrokerageCompeting
		}
	})
}

// Reset drops both sessions, as the nightly reset does.
func (s *Server) Reset() {
	s.fault(func(now time.Time) { s.endSession("reset fault") })
}

// LockUser locks a username: every login answers TextLocked.
func (s *Server) LockUser(name string) {
	s.fault(func(now time.Time) {
		if u := s.users.find(name); u != nil {
			name = u.Username
		}
		s.locked[name] = true
	})
}

func (s *Server) fault(f func(now time.Time)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.now()
	s.settle(now)
	f(now)
}

// Hang makes every /v1/api and /sso request block for d (real time) or
// until its client gives up, as when IBKR is unreachable; "/" still answers.
// Hang(0) ends a hang.
func (s *Server) Hang(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.endHangLocked()
	if d <= 0 || s.closed {
		return
	}
	end := make(chan struct{})
	s.hangEnd = end
	s.hangTimer = time.AfterFunc(d, func() {
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

// Fail makes every /v1/api and /sso request answer status for d (real
// time). Fail(0, 0) ends it.
func (s *Server) Fail(status int, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failStatus = status
	s.failUntil = s.o.Now().Add(d)
}

// Crash ends the gateway abruptly: Options.Exit(1) (os.Exit in Main; by
// default the server closes).
func (s *Server) Crash() {
	s.o.Logger.Info("crash fault: exiting")
	s.o.Exit(1)
}

// simRoutes are the fault controls. Each POST answers the State after it.
func (s *Server) simRoutes() http.Handler {
	mux := http.NewServeMux()
	plain := map[string]func(){
		"expire-brokerage": s.ExpireBrokerage,
		"expire-sso":       s.ExpireSSO,
		"compete":          s.Compete,
		"reset":            s.Reset,
	}
	for name, f := range plain {
		mux.HandleFunc("POST /sim/"+name, func(w http.ResponseWriter, r *http.Request) {
			f()
			s.writeState(w)
		})
	}
	mux.HandleFunc("POST /sim/hang", func(w http.ResponseWriter, r *http.Request) {
		secs, err := strconv.ParseFloat(r.URL.Query().Get("seconds"), 64)
		if err != nil {
			http.Error(w, "hang needs seconds=N (0 ends a hang)", http.StatusBadRequest)
			return
		}
		s.Hang(time.Duration(secs * float64(time.Second)))
		s.writeState(w)
	})
	mux.HandleFunc("POST /sim/error", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		status, err1 := strconv.Atoi(q.Get("status"))
		secs, err2 := strconv.ParseFloat(q.Get("seconds"), 64)
		if err1 != nil || err2 != nil || status < 100 || status > 599 {
			http.Error(w, "error needs status=NNN&seconds=N", http.StatusBadRequest)
			return
		}
		s.Fail(status, time.Duration(secs*float64(time.Second)))
		s.writeState(w)
	})
	mux.HandleFunc("POST /sim/lock-user", func(w http.ResponseWriter, r *http.Request) {
		name := r.URL.Query().Get("user")
		if s.users.find(name) == nil {
			http.Error(w, "no such user: "+name, http.StatusBadRequest)
			return
		}
		s.LockUser(name)
		s.writeState(w)
	})
	mux.HandleFunc("POST /sim/login", func(w http.ResponseWriter, r *http.Request) {
		if err := s.LoginAs(r.URL.Query().Get("user")); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		s.writeState(w)
	})
	mux.HandleFunc("POST /sim/crash", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("crashing\n"))
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		go s.Crash()
	})
	mux.HandleFunc("GET /sim/state", func(w http.ResponseWriter, r *http.Request) { s.writeState(w) })
	return mux
}

func (s *Server) writeState(w http.ResponseWriter) {
	writeJSON(w, http.StatusOK, s.State())
}
