package sim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// attemptLifetime is how long a login waits for its second factor, or its
// passed login for the Dispatcher post (simulated time).
const attemptLifetime = 5 * time.Minute

// attempt is a login that passed the password step.
type attempt struct {
	user    *user
	paper   bool
	expires time.Time
}

// The login page's JavaScript talks to /sso/Authenticator in JSON:
//
//	{"step":"password","username":..,"password":..,"paper":bool}
//	{"step":"code","attempt":..,"device":"4","code":"123456"}
//	{"step":"code","attempt":..,"device":"5.2a"}     IB Key: send the push
//	{"step":"poll","attempt":..}                      while the push is pending
//	{"step":"challenge","attempt":..,"code":..}       the IB Key challenge/response fallback
//
// and gets {"result":"error","error":TEXT}, {"result":"2fa","attempt":ID,
// "devices":[..]}, {"result":"push"} (the notification is sent: poll),
// {"result":"pending"} or {"result":"ok","token":TOKEN,"promo":bool}. It then
// posts the token (form field loginToken) to /sso/Dispatcher, which starts
// the SSO session; with promo it first shows the IB Key promotion, whose
// skip link posts it (with ibkeyPromo=skipped).
type authRequest struct {
	Step     string `json:"step"`
	Username string `json:"username"`
	Password string `json:"password"`
	Paper    bool   `json:"paper"`
	Attempt  string `json:"attempt"`
	Device   string `json:"device"`
	Code     string `json:"code"`
}

type authAnswer struct {
	Result  string   `json:"result"` // "error", "2fa", "ok"
	Error   string   `json:"error,omitempty"`
	Attempt string   `json:"attempt,omitempty"`
	Devices []string `json:"devices,omitempty"`
	Token   string   `json:"token,omitempty"`
	Restart bool     `json:"restart,omitempty"` // back to the password step
	Promo   bool     `json:"promo,omitempty"`   // show the IB Key promotion before the Dispatcher post
}

func (s *Server) handleAuthenticator(w http.ResponseWriter, r *http.Request) {
	var req authRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, authAnswer{Result: "error", Error: "failed"})
		return
	}
	s.mu.Lock()
	now := s.clock.now()
	var a authAnswer
	switch req.Step {
	case "password":
		a = s.passwordStep(req, now)
	case "code":
		a = s.codeStep(req, now)
	case "poll":
		a = s.pollStep(req, now)
	case "challenge":
		a = s.challengeStep(req, now)
	default:
		a = authAnswer{Result: "error", Error: "failed"}
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, a)
}

// passwordStep checks the username, password and login mode. Callers hold
// s.mu.
func (s *Server) passwordStep(req authRequest, now time.Time) authAnswer {
	u := s.users.find(req.Username)
	if u != nil && s.locked[u.Username] {
		return authAnswer{Result: "error", Error: TextLocked}
	}
	if u == nil || req.Password != u.Password {
		if u != nil {
			s.failLogin(u, "wrong password")
		}
		return authAnswer{Result: "error", Error: TextInvalidCredentials}
	}
	if u.Paper && !req.Paper {
		return authAnswer{Result: "error", Error: TextWrongModeLive}
	}
	if !u.Paper && req.Paper {
		return authAnswer{Result: "error", Error: TextWrongModePaper}
	}
	at := &attempt{user: u, paper: u.Paper, expires: now.Add(attemptLifetime)}
	if !u.hasSecondFactor() {
		return s.passLogin(at)
	}
	id := newSessionID()
	s.attempts[id] = at
	return authAnswer{Result: "2fa", Attempt: id, Devices: u.devices()}
}

// codeStep checks the second factor. Callers hold s.mu.
func (s *Server) codeStep(req authRequest, now time.Time) authAnswer {
	at := s.attempts[req.Attempt]
	if at == nil || now.After(at.expires) {
		delete(s.attempts, req.Attempt)
		return authAnswer{Result: "error", Error: TextLoginExpired, Restart: true}
	}
	u := at.user
	if s.locked[u.Username] {
		delete(s.attempts, req.Attempt)
		return authAnswer{Result: "error", Error: TextLocked, Restart: true}
	}
	if req.Device == DeviceIBKey {
		if !u.hasDevice(DeviceIBKey) {
			return authAnswer{Result: "error", Error: "failed"}
		}
		return s.sendPush(req.Attempt, at, now)
	}
	if !u.hasDevice(DeviceAuthenticatorApp) {
		return authAnswer{Result: "error", Error: "failed"}
	}
	step, ok := checkCode(u.TOTPSecret, req.Code, s.o.Now().Add(s.o.TOTPSkew), s.lastStep[u.Username])
	if !ok {
		s.failLogin(u, "incorrect security code")
		if s.locked[u.Username] {
			delete(s.attempts, req.Attempt)
		}
		return authAnswer{Result: "error", Error: TextIncorrectCode}
	}
	s.lastStep[u.Username] = step
	delete(s.attempts, req.Attempt)
	s.withdrawPush(req.Attempt, now)
	return s.passLogin(at)
}

// challengeStep answers the IB Key challenge/response fallback ("Didn't
// receive the notification?"): the simulator shows it but has no phone to
// make responses, so it refuses them without counting a failed login; the
// push stays pending. Callers hold s.mu.
func (s *Server) challengeStep(req authRequest, now time.Time) authAnswer {
	if at := s.attempts[req.Attempt]; at == nil || now.After(at.expires) {
		delete(s.attempts, req.Attempt)
		return authAnswer{Result: "error", Error: TextLoginExpired, Restart: true}
	}
	return authAnswer{Result: "error", Error: TextChallengeUnavailable}
}

// passLogin hands out the token the page posts to /sso/Dispatcher.
func (s *Server) passLogin(at *attempt) authAnswer {
	s.failed[at.user.Username] = 0
	tok := newSessionID()
	s.tokens[tok] = at
	if s.promo {
		s.promosShown++
	}
	return authAnswer{Result: "ok", Token: tok, Promo: s.promo}
}

// failLogin counts a failed login; MaxFailedLogins in a row lock the user.
func (s *Server) failLogin(u *user, why string) {
	s.failed[u.Username]++
	s.o.Logger.Info("login failed", "user", u.Username, "why", why, "inRow", s.failed[u.Username])
	if s.o.MaxFailedLogins > 0 && s.failed[u.Username] >= s.o.MaxFailedLogins {
		s.locked[u.Username] = true
		s.o.Logger.Info("user locked after too many failed logins", "user", u.Username)
	}
}

// handleDispatcher is where the page's final form posts: a valid token starts
// the SSO session, whose brokerage session is authenticated AuthDelay later,
// and the answer is the plain text "Client login succeeds".
func (s *Server) handleDispatcher(w http.ResponseWriter, r *http.Request) {
	tok := r.PostFormValue("loginToken")
	s.mu.Lock()
	now := s.clock.now()
	at := s.tokens[tok]
	delete(s.tokens, tok)
	ok := at != nil && !now.After(at.expires)
	if ok && r.PostFormValue("ibkeyPromo") == "skipped" {
		s.promosSkipped++
	}
	if ok {
		s.startSession(at.user, at.paper, now, s.o.AuthDelay)
	}
	s.mu.Unlock()
	if !ok {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, resultPage("Login failed", "Login failed. Please <a href=\"/sso/Login?forwardTo=22&RL=1\">log in again</a>."))
		return
	}
	if s.o.SuccessHTML {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, resultPage(TextLoginSucceeded, TextLoginSucceeded))
		return
	}
	// What the real gateway answers: the bare sentence, which a browser
	// shows inside <pre>.
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprint(w, TextLoginSucceeded)
}

// LoginAs starts an SSO session for username as if the browser login had
// succeeded; the brokerage session follows AuthDelay later.
func (s *Server) LoginAs(username string) error {
	u := s.users.find(username)
	if u == nil {
		return fmt.Errorf("the simulator has no user %q", username)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.locked[u.Username] {
		return fmt.Errorf("the user %q is locked", u.Username)
	}
	s.startSession(u, u.Paper, s.clock.now(), s.o.AuthDelay)
	return nil
}
