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
	// Logins counts successful logins (browser, LoginAs, Authenticated),
	// also those whose brokerage session the refuse-brokerage fault kept
	// shut; RefusedLogins counts those alone.
	Logins        int `json:"logins"`
	RefusedLogins int `json:"refusedLogins"`
	// Hits counts requests received, keyed like "POST /v1/api/tickle"
	// (GET /sim/state itself is not counted).
	Hits map[string]int `json:"hits"`
	// FailedLogins are failed logins in a row, per username.
	FailedLogins map[string]int `json:"failedLogins"`
	LockedUsers  []string       `json:"lockedUsers"`
	Hanging      bool           `json:"hanging"`
	// FailStatus is the status every /v1/api and /sso request answers
	// now, by the error or the flap-503 fault; 0 when none.
	FailStatus int `json:"failStatus,omitempty"`
	// Faults are the lasting faults in force, by name as in POST
	// /sim/<name>, in a fixed order.
	Faults      []ActiveFault `json:"faults"`
	PenaltyBox  bool          `json:"penaltyBox"`
	RateLimits  bool          `json:"rateLimits"`
	PageVersion string        `json:"pageVersion"`
	// Pushes are the newest IB Key notifications, oldest first, and the
	// counters all of them since the start (POST /sim/approve, /sim/deny).
	Pushes         []Push `json:"pushes"`
	PushesSent     int    `json:"pushesSent"`
	PushesApproved int    `json:"pushesApproved"`
	PushesDenied   int    `json:"pushesDenied"`
	PushesExpired  int    `json:"pushesExpired"`
	// IBKeyPromo says the IB Key promotion shows after the login form;
	// PromosShown and PromosSkipped count logins that met it and that
	// went past it by its skip link.
	IBKeyPromo    bool `json:"ibkeyPromo"`
	PromosShown   int  `json:"promosShown"`
	PromosSkipped int  `json:"promosSkipped"`
}

// ActiveFault is one lasting fault in /sim/state.
type ActiveFault struct {
	// Name is as in POST /sim/<name>: hang, error, flap-503,
	// refuse-brokerage, brokerage-late, validate-false.
	Name string `json:"name"`
	// Until is when it ends by itself (simulated time); absent: at
	// /sim/reset.
	Until *time.Time `json:"until,omitempty"`
	// Status is what error and flap-503 answer.
	Status int `json:"status,omitempty"`
	// Seconds is brokerage-late's delay.
	Seconds float64 `json:"seconds,omitempty"`
	// OnSeconds and OffSeconds are flap-503's spells; Failing says it is
	// answering 503 now.
	OnSeconds  float64 `json:"onSeconds,omitempty"`
	OffSeconds float64 `json:"offSeconds,omitempty"`
	Failing    bool    `json:"failing,omitempty"`
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
	s.expirePushes(now)
	st.Pushes = []Push{}
	for _, p := range s.pushes {
		st.Pushes = append(st.Pushes, p.Push)
	}
	st.PushesSent, st.PushesApproved, st.PushesDenied, st.PushesExpired = s.pushesSent, s.pushesApproved, s.pushesDenied, s.pushesExpired
	st.IBKeyPromo, st.PromosShown, st.PromosSkipped = s.promo, s.promosShown, s.promosSkipped
	st.FailStatus = s.outageStatus(now)
	st.RefusedLogins = s.refusedLogins
	st.Faults = s.activeFaults(now)
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

// activeFaults lists the lasting faults in force. Callers hold s.mu.
func (s *Server) activeFaults(now time.Time) []ActiveFault {
	fs := []ActiveFault{}
	if s.hangEnd != nil {
		until := s.hangUntil
		fs = append(fs, ActiveFault{Name: "hang", Until: &until})
	}
	if s.failStatus != 0 && s.failWin.active(now) {
		fs = append(fs, ActiveFault{Name: "error", Until: s.failWin.untilPtr(), Status: s.failStatus})
	}
	if f := s.flap; f.active(now) {
		fs = append(fs, ActiveFault{
			Name: "flap-503", Until: f.untilPtr(), Status: http.StatusServiceUnavailable,
			OnSeconds: f.on.Seconds(), OffSeconds: f.off.Seconds(), Failing: f.failing(now),
		})
	}
	if s.refusing.active(now) {
		fs = append(fs, ActiveFault{Name: "refuse-brokerage", Until: s.refusing.untilPtr()})
	}
	if s.lateBy > 0 {
		fs = append(fs, ActiveFault{Name: "brokerage-late", Seconds: s.lateBy.Seconds()})
	}
	if s.validateFalse.active(now) {
		fs = append(fs, ActiveFault{Name: "validate-false", Until: s.validateFalse.untilPtr()})
	}
	return fs
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

// Reset drops both sessions, as the nightly reset does, and ends every
// lasting fault (hang, error, flap-503, refuse-brokerage, brokerage-late,
// validate-false), so a test or a demo starts again from a clean gateway.
// Locked users stay locked: IBKR does not unlock them at night.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settle(s.clock.now())
	s.endSession("reset fault")
	s.endLastingFaultsLocked()
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
		d, ok := seconds(r, "seconds", false)
		if !ok {
			http.Error(w, "hang needs seconds=N, simulated seconds (0 ends a hang)", http.StatusBadRequest)
			return
		}
		s.Hang(d)
		s.writeState(w)
	})
	mux.HandleFunc("POST /sim/error", func(w http.ResponseWriter, r *http.Request) {
		status, err := strconv.Atoi(r.URL.Query().Get("status"))
		d, ok := seconds(r, "seconds", false)
		if err != nil || !ok || status < 100 || status > 599 {
			http.Error(w, "error needs status=NNN&seconds=N", http.StatusBadRequest)
			return
		}
		s.Fail(status, d)
		s.writeState(w)
	})
	mux.HandleFunc("POST /sim/flap-503", func(w http.ResponseWriter, r *http.Request) {
		on, ok1 := seconds(r, "on", false)
		off, ok2 := seconds(r, "off", false)
		d, ok3 := seconds(r, "seconds", true)
		if !ok1 || !ok2 || !ok3 || on <= 0 || off <= 0 {
			http.Error(w, "flap-503 needs on=N&off=N (seconds of 503s, then of normal answers), and optionally seconds=N (how long; default until /sim/reset)", http.StatusBadRequest)
			return
		}
		s.Flap503(on, off, d)
		s.writeState(w)
	})
	mux.HandleFunc("POST /sim/refuse-brokerage", func(w http.ResponseWriter, r *http.Request) {
		d, ok := seconds(r, "seconds", true)
		if !ok {
			http.Error(w, "refuse-brokerage takes seconds=N (how long; default until /sim/reset)", http.StatusBadRequest)
			return
		}
		s.RefuseBrokerage(d)
		s.writeState(w)
	})
	mux.HandleFunc("POST /sim/brokerage-late", func(w http.ResponseWriter, r *http.Request) {
		d, ok := seconds(r, "seconds", false)
		if !ok {
			http.Error(w, "brokerage-late needs seconds=N: the brokerage session opens N seconds after a login (0 ends it)", http.StatusBadRequest)
			return
		}
		s.BrokerageLate(d)
		s.writeState(w)
	})
	mux.HandleFunc("POST /sim/validate-false", func(w http.ResponseWriter, r *http.Request) {
		d, ok := seconds(r, "seconds", true)
		if !ok {
			http.Error(w, "validate-false takes seconds=N (how long; default until /sim/reset)", http.StatusBadRequest)
			return
		}
		s.ValidateFalse(d)
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
	s.ibkeyRoutes(mux)
	mux.HandleFunc("GET /sim/state", func(w http.ResponseWriter, r *http.Request) { s.writeState(w) })
	return mux
}

// seconds reads a query parameter of (simulated) seconds, not negative;
// a missing one is 0 when optional.
func seconds(r *http.Request, name string, optional bool) (time.Duration, bool) {
	v := r.URL.Query().Get(name)
	if v == "" && optional {
		return 0, true
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || !(f >= 0 && f <= 1e9) { // also NaN; 1e9 s (31 years) keeps clear of overflow
		return 0, false
	}
	return time.Duration(f * float64(time.Second)), true
}

func (s *Server) writeState(w http.ResponseWriter) {
	writeJSON(w, http.StatusOK, s.State())
}
