package session

import (
	"reflect"
	"testing"
	"time"
)

// Shapes captured from the real gateway (docs/gateway-facts.md section 4).
const (
	factsAuthStatus = `{"authenticated": true, "competing": false, "connected": true,
     "message": "", "MAC": "AA:BB:CC:DD:EE:FF", "fail": "",
     "hardware_info": "1c4558e8|AA:BB:CC:DD:EE:FF",
     "serverInfo": {"serverName": "JifZ12345", "serverVersion": "Build 10.25.0m, Nov 17, 2023 11:29:27 AM"}}`
	factsAuthStatusNot     = `{"authenticated": false, "competing": false, "connected": false, "MAC": "AA:BB:CC:DD:EE:FF"}`
	factsAuthStatusNotNull = `{"authenticated": false, "competing": false, "connected": false, "fail": "not authenticated", "message": null, "prompts": null}`
	factsTickle            = `{"session": "ce109cbe0d1e2f", "ssoExpires": 585695, "collission": false,
     "userId": 12345678, "hmds": {"error": "no bridge"},
     "iserver": {"authStatus": {"authenticated": true, "competing": false, "connected": true, "message": "", "MAC": "AA:BB:CC:DD:EE:FF",
       "serverInfo": {"serverName": "JifZ12345", "serverVersion": "Build 10.25.0m"}}}}`
	factsValidate = `{"USER_ID": 123456789, "USER_NAME": "user1234", "RESULT": true,
     "AUTH_TIME": 1700000000000, "SF_ENABLED": false, "IS_FREE_TRIAL": false,
     "CREDENTIAL": "user1234", "IP": "203.0.113.7", "EXPIRES": 415890,
     "QUALIFIED_FOR_MOBILE_AUTH": null, "LANDING_APP": "UNIVERSAL",
     "IS_MASTER": false, "lastAccessed": 1700000000000, "LOGIN_TYPE": 2,
     "PAPER_USER_NAME": "user1234", "features": {"env": "PROD", "wlms": true}, "region": "NJ"}`
	factsAccounts  = `{"accounts": ["U1234567", "U7654321"], "aliases": {"U1234567": "Main", "U7654321": null}, "selectedAccount": "U1234567", "isPaper": false, "allowFeatures": {"x": true}}`
	factsPortfolio = `[{"id": "U1234567", "accountId": "U1234567", "accountTitle": "Jane Doe", "displayName": "Jane Doe", "currency": "USD", "type": "INDIVIDUAL", "tradingType": "STKCASH", "covestor": false, "parent": {}}]`
)

func TestDecodeAuthStatus(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want AuthStatus
	}{
		{"captured authenticated answer with serverInfo", factsAuthStatus, AuthStatus{
			Authenticated: true, Connected: true, MAC: "AA:BB:CC:DD:EE:FF",
			HardwareInfo: "1c4558e8|AA:BB:CC:DD:EE:FF", ServerName: "JifZ12345",
			ServerVersion: "Build 10.25.0m, Nov 17, 2023 11:29:27 AM",
		}},
		{"captured not authenticated answer", factsAuthStatusNot, AuthStatus{MAC: "AA:BB:CC:DD:EE:FF"}},
		{"null message and prompts read as empty", factsAuthStatusNotNull, AuthStatus{Fail: "not authenticated"}},
		{"ssodh/init established", `{"authenticated":true,"connected":true,"established":true}`, AuthStatus{Authenticated: true, Connected: true, Established: true}},
		{"ssodh/init passed counts as established", `{"authenticated":true,"passed":true}`, AuthStatus{Authenticated: true, Established: true}},
		{"booleans as strings and numbers", `{"authenticated":"true","connected":1,"competing":"false"}`, AuthStatus{Authenticated: true, Connected: true}},
		{"prompts list with a null element", `{"prompts":["Accept?",null]}`, AuthStatus{Prompts: []string{"Accept?"}}},
		{"serverInfo null", `{"authenticated":true,"serverInfo":null}`, AuthStatus{Authenticated: true}},
		{"number where text expected is kept as text", `{"message":42}`, AuthStatus{Message: "42"}},
		{"competing session", `{"authenticated":false,"connected":true,"competing":true}`, AuthStatus{Connected: true, Competing: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeAuthStatus([]byte(tt.in))
			if err != nil {
				t.Fatalf("decodeAuthStatus: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestDecodeTickle(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Tickle
	}{
		{"captured answer carries auth status", factsTickle, Tickle{
			Session: "ce109cbe0d1e2f", SSOExpires: 585695 * time.Millisecond, UserID: 12345678,
			HasAuth: true,
			Auth: AuthStatus{Authenticated: true, Connected: true, MAC: "AA:BB:CC:DD:EE:FF",
				ServerName: "JifZ12345", ServerVersion: "Build 10.25.0m"},
		}},
		{"missing iserver block has no auth", `{"session":"abc","ssoExpires":1000,"collission":true,"userId":7}`, Tickle{
			Session: "abc", SSOExpires: time.Second, Collision: true, UserID: 7,
		}},
		{"iserver without authStatus has no auth", `{"session":"abc","iserver":{}}`, Tickle{Session: "abc"}},
		{"iserver null has no auth", `{"session":"abc","iserver":null}`, Tickle{Session: "abc"}},
		{"numbers as strings", `{"ssoExpires":"2500","userId":"12345678"}`, Tickle{SSOExpires: 2500 * time.Millisecond, UserID: 12345678}},
		{"negative ssoExpires reads as expired", `{"ssoExpires":-5}`, Tickle{}},
		{"float milliseconds", `{"ssoExpires":1.5e3}`, Tickle{SSOExpires: 1500 * time.Millisecond}},
		{"null session", `{"session":null,"userId":null}`, Tickle{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeTickle([]byte(tt.in))
			if err != nil {
				t.Fatalf("decodeTickle: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestDecodeValidate(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want SSOValidate
	}{
		{"captured paper answer in capitals", factsValidate, SSOValidate{
			UserID: 123456789, UserName: "user1234", Credential: "user1234", Result: true,
			LoginType: 2, AuthTime: time.UnixMilli(1700000000000), Expires: 415890 * time.Millisecond,
			PaperUserName: "user1234", IP: "203.0.113.7", Region: "NJ",
		}},
		{"loginType in camelCase", `{"USER_NAME":"u","loginType":1,"RESULT":true}`, SSOValidate{UserName: "u", LoginType: 1, Result: true}},
		{"null strings read as empty", `{"USER_NAME":null,"PAPER_USER_NAME":null,"IP":null,"region":null,"LOGIN_TYPE":1}`, SSOValidate{LoginType: 1}},
		{"AUTH_TIME zero is the zero time", `{"AUTH_TIME":0}`, SSOValidate{}},
		{"numbers as strings", `{"USER_ID":"42","LOGIN_TYPE":"2","EXPIRES":"1000","AUTH_TIME":"1700000000000"}`, SSOValidate{
			UserID: 42, LoginType: 2, Expires: time.Second, AuthTime: time.UnixMilli(1700000000000),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeValidate([]byte(tt.in))
			if err != nil {
				t.Fatalf("decodeValidate: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
	if v, _ := decodeValidate([]byte(factsValidate)); !v.Paper() {
		t.Error("LOGIN_TYPE 2 should read as paper")
	}
}

func TestDecodeAccounts(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Accounts
	}{
		{"captured answer with aliases, null alias read as empty", factsAccounts, Accounts{
			Accounts: []string{"U1234567", "U7654321"},
			Aliases:  map[string]string{"U1234567": "Main", "U7654321": ""},
			Selected: "U1234567",
		}},
		{"paper with no aliases", `{"accounts":["DU111"],"selectedAccount":"DU111","isPaper":true}`, Accounts{
			Accounts: []string{"DU111"}, Selected: "DU111", IsPaper: true,
		}},
		{"accounts null", `{"accounts":null,"aliases":null}`, Accounts{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeAccounts([]byte(tt.in))
			if err != nil {
				t.Fatalf("decodeAccounts: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestDecodePortfolioAccounts(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []PortfolioAccount
	}{
		{"captured answer ignores unknown fields", factsPortfolio, []PortfolioAccount{{
			ID: "U1234567", AccountID: "U1234567", AccountTitle: "Jane Doe", DisplayName: "Jane Doe",
			Currency: "USD", Type: "INDIVIDUAL", TradingType: "STKCASH",
		}}},
		{"null is no accounts", `null`, nil},
		{"empty list", `[]`, []PortfolioAccount{}},
		{"null element skipped and null fields empty", `[null,{"id":"DU1","currency":null}]`, []PortfolioAccount{{ID: "DU1"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodePortfolioAccounts([]byte(tt.in))
			if err != nil {
				t.Fatalf("decodePortfolioAccounts: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestDecodeLogoutAcceptsStatusAndConfirmed(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{"gateway answer status true", `{"status":true}`, true},
		{"schema answer confirmed true", `{"confirmed":true}`, true},
		{"status false is not confirmed", `{"status":false}`, false},
		{"empty object is not confirmed", `{}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeLogout([]byte(tt.in))
			if err != nil {
				t.Fatalf("decodeLogout: %v", err)
			}
			if got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDecodeSelectAccount(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{"set true", `{"set":true,"acctId":"U7654321"}`, true},
		{"set false", `{"set":false}`, false},
		{"no set field counts as done", `{"acctId":"U7654321"}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeSelectAccount([]byte(tt.in))
			if err != nil {
				t.Fatalf("decodeSelectAccount: %v", err)
			}
			if got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// Answers that cannot be read are errors, not zero values that look like
// "not authenticated".
func TestDecodeRejectsUnreadableAnswers(t *testing.T) {
	decoders := map[string]func([]byte) error{
		"auth status": func(b []byte) error { _, err := decodeAuthStatus(b); return err },
		"tickle":      func(b []byte) error { _, err := decodeTickle(b); return err },
		"validate":    func(b []byte) error { _, err := decodeValidate(b); return err },
		"accounts":    func(b []byte) error { _, err := decodeAccounts(b); return err },
		"logout":      func(b []byte) error { _, err := decodeLogout(b); return err },
	}
	bad := []struct {
		name string
		in   string
	}{
		{"empty body", ``},
		{"html page", `<html>Login</html>`},
		{"top-level null", `null`},
		{"array", `[1,2]`},
		{"truncated object", `{"authenticated": tr`},
	}
	for dname, decode := range decoders {
		for _, b := range bad {
			t.Run(dname+"/"+b.name, func(t *testing.T) {
				if err := decode([]byte(b.in)); err == nil {
					t.Errorf("no error for %q", b.in)
				}
			})
		}
	}
	fieldCases := []struct {
		name   string
		decode func([]byte) error
		in     string
	}{
		{"authenticated as text that is not a boolean", decoders["auth status"], `{"authenticated":"maybe"}`},
		{"authenticated as an object", decoders["auth status"], `{"authenticated":{}}`},
		{"serverInfo as a list", decoders["auth status"], `{"serverInfo":[1]}`},
		{"ssoExpires as a fraction", decoders["tickle"], `{"ssoExpires":1.5}`},
		{"ssoExpires out of range", decoders["tickle"], `{"ssoExpires":9223372036854775807}`},
		{"tickle authStatus with a bad field", decoders["tickle"], `{"iserver":{"authStatus":{"connected":[]}}}`},
		{"LOGIN_TYPE as a word", decoders["validate"], `{"LOGIN_TYPE":"paper"}`},
		{"accounts as an object", decoders["accounts"], `{"accounts":{"a":1}}`},
		{"alias as a list", decoders["accounts"], `{"aliases":{"U1":[1]}}`},
	}
	for _, tt := range fieldCases {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.decode([]byte(tt.in)); err == nil {
				t.Errorf("no error for %s", tt.in)
			}
		})
	}
	if _, err := decodePortfolioAccounts([]byte(`{"id":"U1"}`)); err == nil {
		t.Error("portfolio accounts: an object instead of a list was accepted")
	}
}

func TestAPIError(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		wantKind ErrorKind
		wantOK   bool
	}{
		{"no session", `{"error":"no session"}`, KindNoSession, true},
		{"not logged in", `{"error":"not logged in"}`, KindNotLoggedIn, true},
		{"other error text is unexpected", `{"error":"Bad Request: acctId invalid"}`, KindUnexpected, true},
		{"error as an object is unexpected", `{"error":{"code":1}}`, KindUnexpected, true},
		{"nested hmds error in a healthy tickle is not an error", factsTickle, 0, false},
		{"null error is not an error", `{"error":null,"authenticated":true}`, 0, false},
		{"not an object", `Access Denied`, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kind, _, ok := apiError([]byte(tt.in))
			if kind != tt.wantKind || ok != tt.wantOK {
				t.Errorf("got (%v, %v), want (%v, %v)", kind, ok, tt.wantKind, tt.wantOK)
			}
		})
	}
}
