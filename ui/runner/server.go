package runner

import (
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/ibkr-tray/ibkr-tray/gateway"
	"github.com/ibkr-tray/ibkr-tray/session"
)

// The endpoint has two doors.
//
// The loopback TCP address (statusAddr, 127.0.0.1:5480) is open to every
// local user and program, so it tells them only what a health check needs:
//
//	GET /livez    200 while the runner supervises
//	GET /readyz   200 when the session is usable; else 503 with state and cause
//	GET /status   PublicStatus: states, cause, ready; no user, accounts or machine facts
//	GET /metrics  Prometheus text (metrics.go): states, causes, counters; no user or accounts
//
// The control socket (control.go) is the user's alone. It serves the same
// three, GET /status with the whole Status, and the commands (controls).

// control is one command of the control socket.
type control struct {
	route string                        // "POST /name"
	do    func(req *http.Request) error // an error is the client's mistake (400)
}

// cmd adapts a command that takes nothing.
func cmd(f func()) func(*http.Request) error {
	return func(*http.Request) error { f(); return nil }
}

// controls are the commands, all POST, all answered 202 at once (the work
// happens in the keeper or the supervisor). Keep them in this one list.
func (r *Runner) controls() []control {
	return []control{
		{"POST /login", cmd(r.Login)},
		{"POST /logout", cmd(r.Logout)},
		{"POST /restart", cmd(r.RestartGateway)},
		{"POST /retry", cmd(r.RetryLogin)},
		{"POST /login-browser", cmd(r.LoginInBrowser)},
		{"POST /cancel-login", cmd(r.CancelLogin)},
		{"POST /credentials-changed", cmd(r.CredentialsChanged)},
		{"POST /select-account", func(req *http.Request) error {
			id := req.FormValue("account")
			if id == "" {
				return errors.New("name the account: POST /select-account?account=U1234567")
			}
			r.SelectAccount(id)
			return nil
		}},
	}
}

// PublicStatus is GET /status on the TCP address: the same shape as
// Status (so `.gateway.state` and `.session.state` read the same), with
// only the states, the cause and readiness. Reasons are left out: they can
// name the user.
type PublicStatus struct {
	Gateway struct {
		State gateway.State `json:"state"`
	} `json:"gateway"`
	Session struct {
		State session.State `json:"state"`
		Cause session.Cause `json:"cause,omitempty"`
	} `json:"session"`
	Ready bool `json:"ready"`
	Demo  bool `json:"demo,omitempty"`
}

// publicStatus is what anyone on the machine may know.
func (r *Runner) publicStatus() PublicStatus {
	st := r.Status()
	var p PublicStatus
	p.Gateway.State = st.Gateway.State
	p.Session.State, p.Session.Cause = st.Session.State, st.Session.Cause
	p.Ready, _ = r.ready()
	p.Demo = st.Demo
	return p
}

// publicHandler serves the loopback TCP address.
func (r *Runner) publicHandler() http.Handler {
	mux := http.NewServeMux()
	r.health(mux)
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, r.publicStatus())
	})
	mux.Handle("GET /metrics", r.metrics.handler()) // metrics.go
	return loopbackOnly(mux)
}

// controlHandler serves the control socket.
func (r *Runner) controlHandler() http.Handler {
	mux := http.NewServeMux()
	r.health(mux)
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, r.Status())
	})
	for _, c := range r.controls() {
		mux.HandleFunc(c.route, func(w http.ResponseWriter, req *http.Request) {
			if err := c.do(req); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			w.WriteHeader(http.StatusAccepted)
			_, _ = w.Write([]byte("accepted\n"))
		})
	}
	return loopbackOnly(mux)
}

// health adds /livez and /readyz, which reveal nothing about the user.
func (r *Runner) health(mux *http.ServeMux) {
	mux.HandleFunc("GET /livez", func(w http.ResponseWriter, _ *http.Request) {
		if !r.supervising.Load() {
			http.Error(w, "the gateway supervisor is not running", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if ok, why := r.ready(); !ok {
			http.Error(w, why, http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// ready is /readyz: the gateway answers and the session is authenticated.
// The answer says why not in states and the cause only (the reason in
// words can name the user; /readyz answers anyone).
func (r *Runner) ready() (bool, string) {
	st := r.Status()
	if !st.Gateway.State.Up() {
		return false, "the gateway is " + st.Gateway.State.String() + "\n"
	}
	if st.Session.State != session.Authenticated {
		why := "the session is " + st.Session.State.String()
		if st.Session.Cause != session.CauseNone {
			why += " (" + string(st.Session.Cause) + ")"
		}
		return false, why + "\n"
	}
	// Authenticated is not enough: IBKR must have confirmed it recently
	// (Status.Ready, the one test the CLI and hooks use too).
	if !st.Session.Ready(time.Now()) {
		return false, "the session has not been confirmed by IBKR since " + st.Session.LastGoodCheck.Format(time.TimeOnly) + " (IBKR answers with errors, or does not answer)\n"
	}
	return true, ""
}

// loopbackOnly refuses requests that a web page could have sent: a Host
// that is not loopback (DNS rebinding) or an Origin header (a page's
// cross-site POST). The CLI sends neither.
func loopbackOnly(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		host, _, err := net.SplitHostPort(req.Host)
		if err != nil {
			host = req.Host
		}
		ip := net.ParseIP(host)
		if host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			http.Error(w, "only loopback host names are served", http.StatusForbidden)
			return
		}
		if req.Header.Get("Origin") != "" {
			http.Error(w, "requests from web pages are refused", http.StatusForbidden)
			return
		}
		h.ServeHTTP(w, req)
	})
}
