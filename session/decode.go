package session

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// The decoders below read the gateway's answers tolerantly: IBKR's shapes
// drift between builds and sources disagree on spellings, so unknown fields
// are ignored, null reads as the zero value, numbers may arrive as strings,
// and a field may have more than one name. A field that cannot be read as
// its type at all is an error: better "could not be read" than a wrong
// "authenticated".

// object is one JSON object with its values left raw.
type object map[string]json.RawMessage

// parseObject reads b as a JSON object. null, arrays and scalars are errors.
func parseObject(b []byte) (object, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil, errors.New("empty answer")
	}
	if b[0] != '{' {
		return nil, fmt.Errorf("expected a JSON object, got %s", jsonKind(b))
	}
	var o object
	if err := json.Unmarshal(b, &o); err != nil {
		return nil, err
	}
	return o, nil
}

// jsonKind names the JSON type that starts b, for error messages that never
// repeat the answer itself.
func jsonKind(b []byte) string {
	switch {
	case len(b) == 0:
		return "nothing"
	case b[0] == '[':
		return "an array"
	case b[0] == '"':
		return "a string"
	case bytes.HasPrefix(b, []byte("null")):
		return "null"
	case bytes.HasPrefix(b, []byte("true")), bytes.HasPrefix(b, []byte("false")):
		return "a boolean"
	case b[0] == '-' || (b[0] >= '0' && b[0] <= '9'):
		return "a number"
	}
	return "something that is not JSON"
}

// raw returns the first of names present with a non-null value.
func (o object) raw(names ...string) (json.RawMessage, string, bool) {
	for _, n := range names {
		v, ok := o[n]
		if !ok {
			continue
		}
		v = bytes.TrimSpace(v)
		if len(v) == 0 || string(v) == "null" {
			continue
		}
		return v, n, true
	}
	return nil, "", false
}

// str reads a string field; numbers and booleans are kept as their text.
func (o object) str(names ...string) (string, error) {
	v, name, ok := o.raw(names...)
	if !ok {
		return "", nil
	}
	switch v[0] {
	case '"':
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return "", fieldErr(name, err)
		}
		return s, nil
	case '{', '[':
		return "", fieldErr(name, fmt.Errorf("expected text, got %s", jsonKind(v)))
	}
	return string(v), nil // a number or boolean literal, already valid JSON
}

// boolean reads a boolean; "true"/"false" strings and 0/1 are accepted.
func (o object) boolean(names ...string) (bool, error) {
	v, name, ok := o.raw(names...)
	if !ok {
		return false, nil
	}
	s := string(v)
	if v[0] == '"' {
		if err := json.Unmarshal(v, &s); err != nil {
			return false, fieldErr(name, err)
		}
		s = strings.TrimSpace(s)
	}
	switch strings.ToLower(s) {
	case "true", "1":
		return true, nil
	case "false", "0", "":
		return false, nil
	}
	return false, fieldErr(name, fmt.Errorf("expected true or false, got %s", jsonKind(v)))
}

// integer reads a whole number, also from a string or a float with no
// fraction (1.7e12 is how some encoders write epoch milliseconds).
func (o object) integer(names ...string) (int64, error) {
	v, name, ok := o.raw(names...)
	if !ok {
		return 0, nil
	}
	s := string(v)
	if v[0] == '"' {
		if err := json.Unmarshal(v, &s); err != nil {
			return 0, fieldErr(name, err)
		}
		s = strings.TrimSpace(s)
		if s == "" {
			return 0, nil
		}
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f != math.Trunc(f) ||
		f < math.MinInt64 || f >= math.MaxInt64 {
		return 0, fieldErr(name, fmt.Errorf("expected a whole number, got %s", jsonKind(v)))
	}
	return int64(f), nil
}

// millis reads a count of milliseconds as a duration. A negative count
// (already expired) reads as zero; an absurdly large one is an error.
func (o object) millis(names ...string) (time.Duration, error) {
	n, err := o.integer(names...)
	if err != nil {
		return 0, err
	}
	if n <= 0 {
		return 0, nil
	}
	if n > int64(math.MaxInt64/time.Millisecond) {
		return 0, fieldErr(names[0], errors.New("duration out of range"))
	}
	return time.Duration(n) * time.Millisecond, nil
}

// epochMillis reads milliseconds since 1970 as a time; 0 or absent is the
// zero time, not 1970.
func (o object) epochMillis(names ...string) (time.Time, error) {
	n, err := o.integer(names...)
	if err != nil || n == 0 {
		return time.Time{}, err
	}
	return time.UnixMilli(n), nil
}

// list reads an array of strings; null elements are dropped.
func (o object) list(names ...string) ([]string, error) {
	v, name, ok := o.raw(names...)
	if !ok {
		return nil, nil
	}
	if v[0] == '"' { // a lone string where a list was expected
		s, err := o.str(name)
		if err != nil || s == "" {
			return nil, err
		}
		return []string{s}, nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(v, &items); err != nil {
		return nil, fieldErr(name, fmt.Errorf("expected a list, got %s", jsonKind(v)))
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		s, err := object{name: it}.str(name)
		if err != nil {
			return nil, err
		}
		if s != "" {
			out = append(out, s)
		}
	}
	return out, nil
}

// sub reads a nested object; absent or null gives (nil, false, nil).
func (o object) sub(names ...string) (object, bool, error) {
	v, name, ok := o.raw(names...)
	if !ok {
		return nil, false, nil
	}
	m, err := parseObject(v)
	if err != nil {
		return nil, false, fieldErr(name, err)
	}
	return m, true, nil
}

func fieldErr(name string, err error) error {
	return fmt.Errorf("field %q: %w", name, err)
}

// reader collects the first error of a run of field reads, so decoders read
// as a plain list of fields.
type reader struct {
	o   object
	err error
}

func (r *reader) keep(err error) {
	if r.err == nil {
		r.err = err
	}
}

func (r *reader) str(names ...string) string {
	s, err := r.o.str(names...)
	r.keep(err)
	return s
}

func (r *reader) boolean(names ...string) bool {
	b, err := r.o.boolean(names...)
	r.keep(err)
	return b
}

func (r *reader) integer(names ...string) int64 {
	n, err := r.o.integer(names...)
	r.keep(err)
	return n
}

func (r *reader) millis(names ...string) time.Duration {
	d, err := r.o.millis(names...)
	r.keep(err)
	return d
}

func (r *reader) epochMillis(names ...string) time.Time {
	t, err := r.o.epochMillis(names...)
	r.keep(err)
	return t
}

func (r *reader) list(names ...string) []string {
	s, err := r.o.list(names...)
	r.keep(err)
	return s
}

// apiError reports the gateway's {"error": "..."} answer: the kind it
// stands for and its text. ok is false when b is not such an answer.
// Only a top-level "error" counts: tickle carries {"hmds":{"error":...}}
// in healthy answers.
func apiError(b []byte) (kind ErrorKind, text string, ok bool) {
	o, err := parseObject(b)
	if err != nil {
		return 0, "", false
	}
	v, _, present := o.raw("error")
	if !present {
		return 0, "", false
	}
	text, err = o.str("error")
	if err != nil {
		// An error that is an object, e.g. {"error":{"code":..}}: still an error.
		text = "error of " + jsonKind(v)
	}
	switch strings.ToLower(strings.TrimSpace(text)) {
	case "no session":
		return KindNoSession, text, true
	case "not logged in":
		return KindNotLoggedIn, text, true
	case "":
		return 0, "", false
	}
	return KindUnexpected, text, true
}

// decodeAuthStatus reads the answer of /iserver/auth/status and
// /iserver/auth/ssodh/init.
func decodeAuthStatus(b []byte) (AuthStatus, error) {
	o, err := parseObject(b)
	if err != nil {
		return AuthStatus{}, err
	}
	return authStatusFrom(o)
}

func authStatusFrom(o object) (AuthStatus, error) {
	r := reader{o: o}
	a := AuthStatus{
		Authenticated: r.boolean("authenticated"),
		Connected:     r.boolean("connected"),
		Competing:     r.boolean("competing"),
		Established:   r.boolean("established") || r.boolean("passed"),
		Message:       r.str("message"),
		Fail:          r.str("fail"),
		MAC:           r.str("MAC", "mac"),
		HardwareInfo:  r.str("hardware_info", "hardwareInfo"),
		Prompts:       r.list("prompts"),
		ServerName:    r.str("serverName"),
		ServerVersion: r.str("serverVersion"),
	}
	if r.err != nil {
		return AuthStatus{}, r.err
	}
	si, ok, err := o.sub("serverInfo")
	if err != nil {
		return AuthStatus{}, err
	}
	if ok {
		sr := reader{o: si}
		if n := sr.str("serverName"); n != "" {
			a.ServerName = n
		}
		if v := sr.str("serverVersion"); v != "" {
			a.ServerVersion = v
		}
		if sr.err != nil {
			return AuthStatus{}, sr.err
		}
	}
	return a, nil
}

// decodeTickle reads the answer of POST /tickle.
func decodeTickle(b []byte) (Tickle, error) {
	o, err := parseObject(b)
	if err != nil {
		return Tickle{}, err
	}
	r := reader{o: o}
	t := Tickle{
		Session:    r.str("session"),
		SSOExpires: r.millis("ssoExpires", "SSOExpires", "sso_expires"),
		Collision:  r.boolean("collission", "collision"),
		UserID:     r.integer("userId", "USER_ID"),
	}
	if r.err != nil {
		return Tickle{}, r.err
	}
	iserver, ok, err := o.sub("iserver")
	if err != nil || !ok {
		return t, err
	}
	auth, ok, err := iserver.sub("authStatus")
	if err != nil || !ok {
		return t, err
	}
	t.Auth, err = authStatusFrom(auth)
	if err != nil {
		return Tickle{}, err
	}
	t.HasAuth = true
	return t, nil
}

// decodeValidate reads the answer of GET /sso/validate. IBKR writes most
// names in capitals; some builds and sources use camelCase.
func decodeValidate(b []byte) (SSOValidate, error) {
	o, err := parseObject(b)
	if err != nil {
		return SSOValidate{}, err
	}
	r := reader{o: o}
	v := SSOValidate{
		UserID:        r.integer("USER_ID", "userId", "userID"),
		UserName:      r.str("USER_NAME", "userName", "username"),
		Credential:    r.str("CREDENTIAL", "credential"),
		Result:        r.boolean("RESULT", "result"),
		LoginType:     int(r.integer("LOGIN_TYPE", "loginType", "login_type")),
		AuthTime:      r.epochMillis("AUTH_TIME", "authTime"),
		Expires:       r.millis("EXPIRES", "expires"),
		PaperUserName: r.str("PAPER_USER_NAME", "paperUserName"),
		IP:            r.str("IP", "ip"),
		Region:        r.str("region", "REGION"),
	}
	if r.err != nil {
		return SSOValidate{}, r.err
	}
	return v, nil
}

// decodeAccounts reads the answer of GET /iserver/accounts.
func decodeAccounts(b []byte) (Accounts, error) {
	o, err := parseObject(b)
	if err != nil {
		return Accounts{}, err
	}
	r := reader{o: o}
	a := Accounts{
		Accounts: r.list("accounts"),
		Selected: r.str("selectedAccount"),
		IsPaper:  r.boolean("isPaper"),
	}
	if r.err != nil {
		return Accounts{}, r.err
	}
	aliases, ok, err := o.sub("aliases")
	if err != nil {
		return Accounts{}, err
	}
	if ok {
		a.Aliases = make(map[string]string, len(aliases))
		for id := range aliases {
			name, err := aliases.str(id)
			if err != nil {
				return Accounts{}, err
			}
			a.Aliases[id] = name
		}
	}
	return a, nil
}

// decodePortfolioAccounts reads the answer of GET /portfolio/accounts: an
// array of objects. null reads as no accounts.
func decodePortfolioAccounts(b []byte) ([]PortfolioAccount, error) {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		return nil, nil
	}
	if len(b) == 0 || b[0] != '[' {
		return nil, fmt.Errorf("expected a JSON array, got %s", jsonKind(b))
	}
	var items []json.RawMessage
	if err := json.Unmarshal(b, &items); err != nil {
		return nil, err
	}
	out := make([]PortfolioAccount, 0, len(items))
	for i, it := range items {
		if string(bytes.TrimSpace(it)) == "null" {
			continue
		}
		o, err := parseObject(it)
		if err != nil {
			return nil, fmt.Errorf("account %d: %w", i, err)
		}
		r := reader{o: o}
		p := PortfolioAccount{
			ID:           r.str("id"),
			AccountID:    r.str("accountId"),
			AccountTitle: r.str("accountTitle"),
			DisplayName:  r.str("displayName"),
			Currency:     r.str("currency"),
			Type:         r.str("type"),
			TradingType:  r.str("tradingType"),
		}
		if r.err != nil {
			return nil, fmt.Errorf("account %d: %w", i, r.err)
		}
		out = append(out, p)
	}
	return out, nil
}

// decodeLogout reads the answer of POST /logout: {"status": true} (what
// the gateway answers) or {"confirmed": true} (what the schema says).
func decodeLogout(b []byte) (confirmed bool, err error) {
	o, err := parseObject(b)
	if err != nil {
		return false, err
	}
	r := reader{o: o}
	status, confirmedField := r.boolean("status"), r.boolean("confirmed")
	return status || confirmedField, r.err
}

// decodeReauthenticate reads the answer of POST /iserver/reauthenticate:
// {"message":"triggered"}, sometimes with auth-status fields. Only its
// shape is checked; the brokerage session comes back seconds later.
func decodeReauthenticate(b []byte) (message string, err error) {
	o, err := parseObject(b)
	if err != nil {
		return "", err
	}
	return o.str("message")
}

// decodeSelectAccount reads the answer of POST /iserver/account, e.g.
// {"set":true,"acctId":"U7654321"}. A missing "set" counts as done; an
// explicit false does not.
func decodeSelectAccount(b []byte) (set bool, err error) {
	o, err := parseObject(b)
	if err != nil {
		return false, err
	}
	if _, _, present := o.raw("set"); !present {
		return true, nil
	}
	return o.boolean("set")
}
