package runner

import (
	"net/http"
	"regexp"
	"strings"
	"time"
)

// timedTransport times each call of the session client to the gateway for
// ibkr_tray_request_duration_seconds, and notes a successful ssodh/init
// (the recovery step the keeper's status does not name).
type timedTransport struct {
	next http.RoundTripper
	m    *metrics
}

// wrapTransport is session.ClientOptions.WrapTransport.
func (m *metrics) wrapTransport(next http.RoundTripper) http.RoundTripper {
	return &timedTransport{next: next, m: m}
}

func (t *timedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := t.next.RoundTrip(req)
	endpoint := endpointOf(req.URL.Path)
	// Up to the answer's headers: the body is read by the client after.
	t.m.requests.WithLabelValues(endpoint).Observe(time.Since(start).Seconds())
	if err == nil && resp.StatusCode == http.StatusOK && endpoint == ssodhPath {
		t.m.sawSSODH()
	}
	return resp, err
}

const ssodhPath = "/v1/api/iserver/auth/ssodh/init"

// endpointTemplates are the paths the client calls, as templates. A
// segment "{accountId}" stands for an account ID (U1234567, DU1234567,
// F..., I...), which must never become a label value.
var endpointTemplates = []string{
	"/",
	"/v1/api/tickle",
	"/v1/api/iserver/auth/status",
	ssodhPath,
	"/v1/api/iserver/reauthenticate",
	"/v1/api/sso/validate",
	"/v1/api/logout",
	"/v1/api/iserver/accounts",
	"/v1/api/iserver/account",
	"/v1/api/iserver/account/{accountId}",
	"/v1/api/portfolio/accounts",
	"/v1/api/portfolio/{accountId}/summary",
	"/v1/api/portfolio/{accountId}/ledger",
	"/v1/api/portfolio/{accountId}/meta",
}

// accountID matches what an account ID segment looks like.
var accountID = regexp.MustCompile(`^[A-Za-z]{0,3}\d+[A-Za-z]?$`)

// endpointOf is the template of path, or "other" for a path that is not
// one of endpointTemplates: an unknown path is never a label, since it
// could carry anything.
func endpointOf(path string) string {
	got := strings.Split(strings.TrimSuffix(path, "/"), "/")
	if path == "/" || path == "" {
		return "/"
	}
next:
	for _, tmpl := range endpointTemplates {
		want := strings.Split(tmpl, "/")
		if len(want) != len(got) {
			continue
		}
		for i := range want {
			if want[i] == "{accountId}" {
				if !accountID.MatchString(got[i]) {
					continue next
				}
			} else if want[i] != got[i] {
				continue next
			}
		}
		return tmpl
	}
	return "other"
}
