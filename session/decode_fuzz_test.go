package session

import (
	"reflect"
	"testing"
)

// FuzzDecode feeds every decoder the same input: none may panic, and each
// must give the same result twice (no hidden state, no map-order effects on
// the outcome). Seeds are the captured shapes and the awkward cases.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		factsAuthStatus, factsAuthStatusNot, factsAuthStatusNotNull, factsTickle,
		factsValidate, factsAccounts, factsPortfolio,
		`{"error":"no session"}`, `{"error":"not logged in"}`, `{"message":"triggered"}`,
		`{"status":true}`, `{"confirmed":true}`, `{"set":true,"acctId":"U1"}`,
		`{"ssoExpires":"1e3","userId":1.7e12,"iserver":{"authStatus":null}}`,
		`{"LOGIN_TYPE":"2","loginType":null,"AUTH_TIME":-1}`,
		`[null,{"id":7}]`, `null`, ``, `Access Denied`, `{"a":`, `"\ud800"`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		decoders := []struct {
			name string
			fn   func([]byte) (any, error)
		}{
			{"authStatus", func(b []byte) (any, error) { return decodeAuthStatus(b) }},
			{"tickle", func(b []byte) (any, error) { return decodeTickle(b) }},
			{"validate", func(b []byte) (any, error) { return decodeValidate(b) }},
			{"accounts", func(b []byte) (any, error) { return decodeAccounts(b) }},
			{"portfolio", func(b []byte) (any, error) { return decodePortfolioAccounts(b) }},
			{"logout", func(b []byte) (any, error) { return decodeLogout(b) }},
			{"reauthenticate", func(b []byte) (any, error) { return decodeReauthenticate(b) }},
			{"selectAccount", func(b []byte) (any, error) { return decodeSelectAccount(b) }},
			{"apiError", func(b []byte) (any, error) {
				k, s, ok := apiError(b)
				return [3]any{k, s, ok}, nil
			}},
		}
		for _, d := range decoders {
			v1, err1 := d.fn(b)
			v2, err2 := d.fn(b)
			if (err1 == nil) != (err2 == nil) || !reflect.DeepEqual(v1, v2) {
				t.Fatalf("%s: two decodings of the same input differ: (%v, %v) vs (%v, %v)", d.name, v1, err1, v2, err2)
			}
		}
	})
}
