package sim

import (
	"encoding/json"
	"net/http"
	"time"
)

// Fixed identity of the simulated gateway host, as auth/status shows it.
const (
	simMAC           = "02:00:5E:10:00:01"
	simHardwareInfo  = "5f1d2c3b|" + simMAC
	simServerName    = "JifSim001"
	simServerVersion = "Build 10.25.0m, Nov 17, 2023 11:29:27 AM"
)

// apiRoutes are the Web API endpoints, mounted under /v1/api and /v1/portal.
func (s *Server) apiRoutes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("POST /tickle", s.api(s.tickle))
	mux.Handle("GET /iserver/auth/status", s.api(s.authStatusHandler))
	mux.Handle("POST /iserver/auth/status", s.api(s.authStatusHandler))
	mux.Handle("GET /sso/validate", s.api(s.ssoValidate))
	mux.Handle("POST /iserver/reauthenticate", s.api(s.reauthenticate))
	mux.Handle("POST /iserver/auth/ssodh/init", s.api(s.ssodhInit))
	mux.Handle("POST /logout", s.api(s.logout))
	mux.Handle("GET /iserver/accounts", s.api(s.iserverAccounts))
	mux.Handle("POST /iserver/account", s.api(s.selectAccount))
	mux.Handle("GET /portfolio/accounts", s.api(s.portfolioAccounts))
	return mux
}

// apiFunc answers one API request with the session model locked and settled
// at the simulated time now. It returns the status and the JSON body; a nil
// body writes none.
type apiFunc func(r *http.Request, now time.Time) (int, any)

// api applies the rate limits, settles the session model and counts the
// request against the brokerage idle timeout.
func (s *Server) api(f apiFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		now := s.clock.now()
		if s.o.RateLimits && !s.limiter.allow(r.URL.Path, now) {
			s.mu.Unlock()
			http.Error(w, "Too Many Requests", http.StatusTooManyRequests)
			return
		}
		s.settle(now)
		s.touch(now)
		status, body := f(r, now)
		s.mu.Unlock()
		writeJSON(w, status, body)
	})
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	if body == nil {
		w.WriteHeader(status)
		return
	}
	b, err := json.Marshal(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.WriteHeader(status)
	w.Write(b)
}

type obj = map[string]any

// authStatus is the shape of auth/status, ssodh/init and tickle's
// iserver.authStatus.
func (s *Server) authStatus() obj {
	if s.sess == nil {
		return obj{"authenticated": false, "competing": false, "connected": false, "MAC": simMAC}
	}
	authd, conn, comp := s.authFlags()
	st := obj{
		"authenticated": authd, "competing": comp, "connected": conn,
		"message": "", "MAC": simMAC, "fail": "",
		"hardware_info": simHardwareInfo,
		"serverInfo":    obj{"serverName": simServerName, "serverVersion": simServerVersion},
	}
	if s.sess.brokerage == BrokerageNone {
		st["fail"] = "not authenticated"
	}
	return st
}

func (s *Server) authStatusHandler(r *http.Request, now time.Time) (int, any) {
	return http.StatusOK, s.authStatus()
}

func (s *Server) tickle(r *http.Request, now time.Time) (int, any) {
	if s.sess == nil {
		if s.o.NoSessionAs200 {
			return http.StatusOK, obj{"error": "no session"}
		}
		return http.StatusUnauthorized, nil
	}
	_, _, comp := s.authFlags()
	return http.StatusOK, obj{
		"session":    s.sess.id,
		"ssoExpires": s.sess.expires.Sub(now).Milliseconds(),
		"collission": comp,
		"userId":     s.sess.user.userID,
		"hmds":       obj{"error": "no bridge"},
		"iserver":    obj{"authStatus": s.authStatus()},
	}
}

func (s *Server) ssoValidate(r *http.Request, now time.Time) (int, any) {
	ss := s.sess
	if ss == nil {
		return http.StatusUnauthorized, nil
	}
	loginType := 1
	if ss.paper {
		loginType = 2
	}
	v := obj{
		"USER_ID": ss.user.userID, "USER_NAME": ss.user.Username, "RESULT": !s.validateFalse.active(now),
		"AUTH_TIME": ss.started.UnixMilli(), "SF_ENABLED": ss.user.hasSecondFactor(),
		"IS_FREE_TRIAL": false, "CREDENTIAL": ss.user.Username, "IP": "127.0.0.1",
		"EXPIRES": ss.expires.Sub(now).Milliseconds(), "QUALIFIED_FOR_MOBILE_AUTH": nil,
		"LANDING_APP": "UNIVERSAL", "IS_MASTER": false, "lastAccessed": now.UnixMilli(),
		"LOGIN_TYPE": loginType, "region": "NJ",
		"features": obj{"env": "PROD", "wlms": true, "realtime": true, "bond": true, "optionChains": true, "calendar": true, "newMf": true},
	}
	if ss.paper {
		v["PAPER_USER_NAME"] = ss.user.Username
	}
	return http.StatusOK, v
}

// reauthenticate starts a brokerage session on the live SSO session. It does
// not compete: while another session holds the brokerage, only ssodh/init
// with compete:true takes it back.
func (s *Server) reauthenticate(r *http.Request, now time.Time) (int, any) {
	if s.sess == nil {
		return http.StatusOK, obj{"error": "not logged in"}
	}
	if s.sess.brokerage != BrokerageCompeting {
		s.startBrokerage(now)
	}
	return http.StatusOK, obj{"message": "triggered"}
}

// ssodhInit starts the brokerage session; with compete:true it takes it back
// from a competing session. Either way the session is authenticated
// ReauthDelay later (at once with ReauthDelay 0).
func (s *Server) ssodhInit(r *http.Request, now time.Time) (int, any) {
	if s.sess == nil {
		return http.StatusUnauthorized, nil
	}
	var body struct {
		Publish bool `json:"publish"`
		Compete bool `json:"compete"`
	}
	if r.Body != nil {
		json.NewDecoder(r.Body).Decode(&body)
	}
	if s.sess.brokerage == BrokerageCompeting {
		if !body.Compete {
			return http.StatusOK, s.authStatus()
		}
		s.sess.brokerage = BrokerageNone
		s.o.Logger.Info("brokerage session taken back from the competing session", "user", s.sess.user.Username)
	}
	s.startBrokerage(now)
	st := s.authStatus()
	st["established"] = true
	return http.StatusOK, st
}

// logout ends the SSO session (and the brokerage with it). It answers
// {"status":true} also without a session.
func (s *Server) logout(r *http.Request, now time.Time) (int, any) {
	s.endSession("logout")
	return http.StatusOK, obj{"status": true}
}

// iserverAccounts needs an authenticated brokerage session, like every
// /iserver endpoint but the auth ones.
func (s *Server) iserverAccounts(r *http.Request, now time.Time) (int, any) {
	if s.sess == nil || s.sess.brokerage != BrokerageAuthenticated {
		return http.StatusUnauthorized, nil
	}
	u := s.sess.user
	aliases, props := obj{}, obj{}
	for _, id := range u.AccountIDs {
		aliases[id] = id
		props[id] = obj{"hasChildAccounts": false, "supportsCashQty": true, "supportsFractions": true, "allowCustomerTime": false}
	}
	return http.StatusOK, obj{
		"accounts": u.AccountIDs, "acctProps": props, "aliases": aliases,
		"allowFeatures":   obj{"showGFIS": true, "allowCrypto": false, "allowFA": false},
		"chartPeriods":    obj{"STK": []string{"*"}},
		"groups":          []string{},
		"profiles":        []string{},
		"selectedAccount": s.sess.selected,
		"serverInfo":      obj{"serverName": simServerName, "serverVersion": simServerVersion},
		"sessionId":       s.sess.id,
		"isFT":            false,
		"isPaper":         s.sess.paper,
	}
}

func (s *Server) selectAccount(r *http.Request, now time.Time) (int, any) {
	if s.sess == nil || s.sess.brokerage != BrokerageAuthenticated {
		return http.StatusUnauthorized, nil
	}
	var body struct {
		AcctID string `json:"acctId"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || !s.sess.user.hasAccount(body.AcctID) {
		return http.StatusBadRequest, obj{"error": "Account " + body.AcctID + " is not one of this user's accounts"}
	}
	s.sess.selected = body.AcctID
	return http.StatusOK, obj{"set": true, "acctId": body.AcctID}
}

// portfolioAccounts needs the SSO session only.
func (s *Server) portfolioAccounts(r *http.Request, now time.Time) (int, any) {
	if s.sess == nil {
		return http.StatusUnauthorized, nil
	}
	u := s.sess.user
	list := []obj{}
	for _, id := range u.AccountIDs {
		list = append(list, obj{
			"id": id, "accountId": id, "accountVan": id, "accountTitle": u.Username,
			"displayName": id, "accountAlias": nil, "accountStatus": s.sess.started.UnixMilli(),
			"currency": "USD", "type": "INDIVIDUAL", "tradingType": "STKNOPT",
			"faclient": false, "clearingStatus": "O", "covestor": false,
			"parent": obj{"mmc": []string{}, "accountId": "", "isMParent": false, "isMChild": false, "isMultiplex": false},
			"desc":   id,
		})
	}
	return http.StatusOK, list
}
