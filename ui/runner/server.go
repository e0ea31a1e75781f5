package runner

import (
	"encoding/json"
	"net"
	"net/http"
	"time"

	"github.com/ibkr-tray/ibkr-tray/session"
)

// handler is the status endpoint:
//
//	GET  /status   the Status as JSON
//	GET  /livez    200 while the runner supervises
//	GET  /readyz   200 when the session is authenticated (which needs the gateway up)
//	POST /restart  restart the gateway
//	POST /login, /logout, /retry, /login-browser, /cancel-login,
//	     /credentials-changed  commands for the keeper
func (r *Runner) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(r.Status())
	})
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
	command := func(f func()) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) {
			f()
			w.WriteHeader(http.StatusAccepted)
			_, _ = w.Write([]byte("accepted\n"))
		}
	}
	// The control routes, in one list (they move to an owner-only socket).
	for path, f := range map[string]func(){
		"/restart":             r.RestartGateway,
		"/login":               r.Login,
		"/logout":              r.Logout,
		"/retry":               r.RetryLogin,
		"/login-browser":       r.LoginInBrowser,
		"/cancel-login":        r.CancelLogin,
		"/credentials-changed": r.CredentialsChanged,
	} {
		mux.HandleFunc("POST "+path, command(f))
	}
	return loopbackOnly(mux)
}

// ready is /readyz: the gateway answers and the session is authenticated
// with a recent good check (Status.Ready: the same test as the CLI and
// hooks). The answer says why not, for a person reading a health check.
func (r *Runner) ready() (bool, string) {
	st := r.Status()
	if !st.Gateway.State.Up() {
		return false, "the gateway is " + st.Gateway.State.String() + "\n"
	}
	if st.Session.State != session.Authenticated {
		why := "the session is " + st.Session.State.String()
		if st.Session.Reason != "" {
			why += ": " + st.Session.Reason
		}
		return false, why + "\n"
	}
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
