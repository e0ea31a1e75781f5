package sim

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// The shapes and field names of section 4 of the gateway facts.
func TestEndpointShapesWhenAuthenticated(t *testing.T) {
	o := testOptions(newFakeClock())
	o.Authenticated = true
	s := startSim(t, o)
	c := newClient(t, s)
	authKeys := []string{"authenticated", "competing", "connected", "message", "MAC", "fail", "hardware_info", "serverInfo"}

	for _, base := range []string{"/v1/api", "/v1/portal"} {
		t.Run(strings.TrimPrefix(base, "/v1/"), func(t *testing.T) {
			for _, method := range []string{"GET", "POST"} {
				st := c.obj(method, base+"/iserver/auth/status", nil)
				requireKeys(t, method+" auth/status", st, authKeys...)
				if st["authenticated"] != true || st["connected"] != true || st["competing"] != false {
					t.Errorf("%s auth/status = %v, want authenticated, connected, not competing", method, st)
				}
				requireKeys(t, "serverInfo", st["serverInfo"].(map[string]any), "serverName", "serverVersion")
			}

			tk := c.obj("POST", base+"/tickle", nil)
			requireKeys(t, "tickle", tk, "session", "ssoExpires", "collission", "userId", "hmds", "iserver")
			if tk["ssoExpires"].(float64) <= 0 {
				t.Errorf("tickle ssoExpires = %v, want milliseconds left > 0", tk["ssoExpires"])
			}
			inner := tk["iserver"].(map[string]any)["authStatus"].(map[string]any)
			requireKeys(t, "tickle iserver.authStatus", inner, authKeys...)
			if tk["hmds"].(map[string]any)["error"] != "no bridge" {
				t.Errorf("tickle hmds = %v", tk["hmds"])
			}

			v := c.obj("GET", base+"/sso/validate", nil)
			requireKeys(t, "sso/validate", v, "USER_ID", "USER_NAME", "RESULT", "AUTH_TIME", "SF_ENABLED",
				"IS_FREE_TRIAL", "CREDENTIAL", "IP", "EXPIRES", "QUALIFIED_FOR_MOBILE_AUTH", "LANDING_APP",
				"IS_MASTER", "lastAccessed", "LOGIN_TYPE", "features", "region")
			if v["LOGIN_TYPE"] != 1.0 || v["USER_NAME"] != "demo" || v["RESULT"] != true {
				t.Errorf("sso/validate = %v, want LOGIN_TYPE 1 (live) for demo", v)
			}

			acc := c.obj("GET", base+"/iserver/accounts", nil)
			requireKeys(t, "iserver/accounts", acc, "accounts", "aliases", "selectedAccount", "isPaper")
			if acc["selectedAccount"] != "U1234567" || len(acc["accounts"].([]any)) != 2 {
				t.Errorf("iserver/accounts = %v", acc)
			}

			sel := c.obj("POST", base+"/iserver/account", map[string]string{"acctId": "U7654321"})
			if sel["set"] != true || sel["acctId"] != "U7654321" {
				t.Errorf("iserver/account = %v, want set", sel)
			}
			if got := c.obj("GET", base+"/iserver/accounts", nil)["selectedAccount"]; got != "U7654321" {
				t.Errorf("selectedAccount after switching = %v, want U7654321", got)
			}
			if status, _ := c.do("POST", base+"/iserver/account", map[string]string{"acctId": "U0000000"}); status != http.StatusBadRequest {
				t.Errorf("switching to someone else's account: status %d, want 400", status)
			}
			c.do("POST", base+"/iserver/account", map[string]string{"acctId": "U1234567"})

			status, b := c.do("GET", base+"/portfolio/accounts", nil)
			var list []map[string]any
			if status != http.StatusOK || json.Unmarshal(b, &list) != nil || len(list) != 2 {
				t.Fatalf("portfolio/accounts: status %d body %q, want an array of 2", status, b)
			}
			requireKeys(t, "portfolio/accounts[0]", list[0], "id", "accountId", "accountTitle", "displayName", "currency", "type", "tradingType")

			init := c.obj("POST", base+"/iserver/auth/ssodh/init", map[string]bool{"publish": true, "compete": false})
			requireKeys(t, "ssodh/init", init, authKeys...)

			if got := c.obj("POST", base+"/iserver/reauthenticate", nil); got["message"] != "triggered" {
				t.Errorf("reauthenticate = %v, want message triggered", got)
			}
		})
	}

	if got := c.obj("POST", "/v1/api/logout", nil); got["status"] != true {
		t.Errorf("logout = %v, want status true", got)
	}
	if a, _, _ := c.authStatus(); a {
		t.Error("still authenticated after logout")
	}
}

func TestNoSessionAnswers(t *testing.T) {
	for _, tc := range []struct {
		name           string
		noSessionAs200 bool
		method, path   string
		wantStatus     int
		wantBody       string // exact JSON, "" for any
	}{
		{"tickle 401 by default", false, "POST", "/v1/api/tickle", 401, ""},
		{"tickle 200 no session when chosen", true, "POST", "/v1/api/tickle", 200, `{"error":"no session"}`},
		{"sso/validate 401", false, "GET", "/v1/api/sso/validate", 401, ""},
		{"reauthenticate not logged in", false, "POST", "/v1/api/iserver/reauthenticate", 200, `{"error":"not logged in"}`},
		{"auth/status not authenticated shape", false, "POST", "/v1/api/iserver/auth/status", 200,
			`{"MAC":"02:00:5E:10:00:01","authenticated":false,"competing":false,"connected":false}`},
		{"iserver/accounts 401", false, "GET", "/v1/api/iserver/accounts", 401, ""},
		{"portfolio/accounts 401", false, "GET", "/v1/api/portfolio/accounts", 401, ""},
		{"ssodh/init 401", false, "POST", "/v1/api/iserver/auth/ssodh/init", 401, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := testOptions(newFakeClock())
			o.NoSessionAs200 = tc.noSessionAs200
			c := newClient(t, startSim(t, o))
			status, body := c.do(tc.method, tc.path, nil)
			if status != tc.wantStatus {
				t.Errorf("status %d, want %d (body %q)", status, tc.wantStatus, body)
			}
			if tc.wantBody != "" && string(body) != tc.wantBody {
				t.Errorf("body %s, want %s", body, tc.wantBody)
			}
		})
	}
}

func TestRootRedirectsToLoginAndDemoAnswers(t *testing.T) {
	o := testOptions(newFakeClock())
	o.IP2Loc = "EU"
	c := newClient(t, startSim(t, o))
	req, _ := http.NewRequest("GET", c.base+"/", nil)
	resp, err := c.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/sso/Login?forwardTo=22&RL=1&ip2loc=EU" {
		t.Errorf("GET / = %d Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	for _, p := range []string{"/demo", "/demo/"} {
		if status, body := c.do("GET", p, nil); status != 200 || !strings.Contains(string(body), "<html") {
			t.Errorf("GET %s = %d %q, want a 200 page", p, status, body)
		}
	}
}

func TestPaperLoginShowsLoginType2(t *testing.T) {
	s := startSim(t, testOptions(newFakeClock()))
	if err := s.LoginAs("demopaper"); err != nil {
		t.Fatal(err)
	}
	v := newClient(t, s).obj("GET", "/v1/api/sso/validate", nil)
	if v["LOGIN_TYPE"] != 2.0 || v["PAPER_USER_NAME"] != "demopaper" {
		t.Errorf("sso/validate for a paper user = %v, want LOGIN_TYPE 2 and PAPER_USER_NAME", v)
	}
}
