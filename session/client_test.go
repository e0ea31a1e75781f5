package session

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// The keeper codes against GatewayAPI; *Client must keep satisfying it.
var _ GatewayAPI = (*Client)(nil)

// newClient builds a client for a test server, failing the test on error.
func newClient(t *testing.T, o ClientOptions) *Client {
	t.Helper()
	c, err := NewClient(o)
	if err != nil {
		t.Fatalf("NewClient(%+v): %v", o, err)
	}
	return c
}

// freeAddr returns a loopback address nothing listens on: listen, then close.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// answerWith is a handler that writes status and body.
func answerWith(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

func TestClientClassifiesFailures(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc // nil: no server (connection refused)
		timeout time.Duration
		want    ErrorKind
	}{
		{"connection refused is gateway down", nil, 0, KindGatewayDown},
		{"handler that never answers is a timeout", func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }, 100 * time.Millisecond, KindTimeout},
		{"401 is no session", answerWith(401, ""), 0, KindNoSession},
		{"200 no session is no session", answerWith(200, `{"error":"no session"}`), 0, KindNoSession},
		{"200 not logged in", answerWith(200, `{"error":"not logged in"}`), 0, KindNotLoggedIn},
		{"429 is rate limited", answerWith(429, `Too Many Requests`), 0, KindRateLimited},
		{"500 is a server error", answerWith(500, `{"error":"internal"}`), 0, KindServerError},
		{"503 is a server error", answerWith(503, ``), 0, KindServerError},
		{"404 Access Denied", answerWith(404, `Access Denied`), 0, KindAccessDenied},
		{"404 without Access Denied is unexpected", answerWith(404, `Not Found`), 0, KindUnexpected},
		{"malformed JSON", answerWith(200, `{"session": "abc", `), 0, KindMalformed},
		{"html instead of JSON is malformed", answerWith(200, `<html><body>Login</body></html>`), 0, KindMalformed},
		{"other error text is unexpected", answerWith(200, `{"error":"something new"}`), 0, KindUnexpected},
		{"redirect is not followed", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/sso/Login?forwardTo=22", http.StatusFound)
		}, 0, KindUnexpected},
		{"answer over 1 MiB is malformed", answerWith(200, `{"session":"`+strings.Repeat("x", maxBody)+`"}`), 0, KindMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := "https://" + freeAddr(t)
			if tt.handler != nil {
				srv := httptest.NewTLSServer(tt.handler)
				defer srv.Close()
				base = srv.URL
			}
			c := newClient(t, ClientOptions{BaseURL: base, Timeout: tt.timeout})
			start := time.Now()
			_, err := c.Tickle(context.Background())
			if got := KindOf(err); got != tt.want {
				t.Fatalf("Tickle error %v: kind %v, want %v", err, got, tt.want)
			}
			if tt.want == KindTimeout && time.Since(start) > 5*time.Second {
				t.Errorf("timeout took %v with a 100ms budget", time.Since(start))
			}
			var e *Error
			if !errors.As(err, &e) || e.Op != "POST /tickle" {
				t.Errorf("error %v does not name the call", err)
			}
			if msg := err.Error(); len(msg) > 600 || strings.Contains(msg, strings.Repeat("x", 100)) {
				t.Errorf("error message too long or repeats the answer: %d bytes", len(msg))
			}
		})
	}
}

func TestClientClassifiesTransportFailures(t *testing.T) {
	t.Run("connection closed without an answer is gateway down", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		go func() {
			for {
				conn, err := l.Accept()
				if err != nil {
					return
				}
				conn.Close()
			}
		}()
		c := newClient(t, ClientOptions{BaseURL: "http://" + l.Addr().String()})
		if _, err := c.Tickle(context.Background()); KindOf(err) != KindGatewayDown {
			t.Errorf("got %v (%v), want gateway-down", KindOf(err), err)
		}
	})
	t.Run("https to a plain HTTP server is refused with a hint", func(t *testing.T) {
		srv := httptest.NewServer(answerWith(200, `{}`))
		defer srv.Close()
		c := newClient(t, ClientOptions{BaseURL: strings.Replace(srv.URL, "http://", "https://", 1)})
		_, err := c.Tickle(context.Background())
		if KindOf(err) != KindRefused || !strings.Contains(err.Error(), "http://") {
			t.Errorf("got %v (%v), want refused mentioning http://", KindOf(err), err)
		}
	})
	t.Run("plain http given explicitly works", func(t *testing.T) {
		srv := httptest.NewServer(answerWith(200, `{"session":"s1"}`))
		defer srv.Close()
		c := newClient(t, ClientOptions{BaseURL: srv.URL})
		if tk, err := c.Tickle(context.Background()); err != nil || tk.Session != "s1" {
			t.Errorf("Tickle = %+v, %v", tk, err)
		}
	})
	t.Run("canceled context is canceled, not the gateway's fault", func(t *testing.T) {
		started := make(chan struct{})
		srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			close(started)
			<-r.Context().Done()
		}))
		defer srv.Close()
		c := newClient(t, ClientOptions{BaseURL: srv.URL})
		ctx, cancel := context.WithCancel(context.Background())
		go func() { <-started; cancel() }()
		_, err := c.Tickle(ctx)
		if KindOf(err) != KindCanceled || !errors.Is(err, context.Canceled) {
			t.Errorf("got %v (%v), want canceled wrapping context.Canceled", KindOf(err), err)
		}
	})
	t.Run("caller deadline is a timeout", func(t *testing.T) {
		srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
		defer srv.Close()
		c := newClient(t, ClientOptions{BaseURL: srv.URL, Timeout: time.Minute})
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		if _, err := c.AuthStatus(ctx); KindOf(err) != KindTimeout {
			t.Errorf("got %v (%v), want timeout", KindOf(err), err)
		}
	})
}

// request is what a recording handler saw.
type request struct {
	Method, Path, UserAgent, ContentType string
	Body                                 map[string]any
}

// recorder answers each path with a fixed body and records the requests.
type recorder struct {
	mu       sync.Mutex
	seen     []request
	answers  map[string]string
	statuses map[string]int
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	req := request{Method: r.Method, Path: r.URL.Path, UserAgent: r.UserAgent(), ContentType: r.Header.Get("Content-Type")}
	if len(b) > 0 {
		json.Unmarshal(b, &req.Body)
	}
	rec.mu.Lock()
	rec.seen = append(rec.seen, req)
	rec.mu.Unlock()
	status := rec.statuses[r.URL.Path]
	if status == 0 {
		status = 200
	}
	answerWith(status, rec.answers[r.URL.Path])(w, r)
}

func (rec *recorder) last() request {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.seen) == 0 {
		return request{}
	}
	return rec.seen[len(rec.seen)-1]
}

func TestClientCallsEachEndpoint(t *testing.T) {
	rec := &recorder{answers: map[string]string{
		"/v1/api/tickle":                  factsTickle,
		"/v1/api/iserver/auth/status":     factsAuthStatus,
		"/v1/api/iserver/auth/ssodh/init": `{"authenticated":true,"connected":true,"competing":false,"passed":true}`,
		"/v1/api/sso/validate":            factsValidate,
		"/v1/api/iserver/reauthenticate":  `{"message":"triggered"}`,
		"/v1/api/logout":                  `{"confirmed":true}`,
		"/v1/api/iserver/accounts":        factsAccounts,
		"/v1/api/iserver/account":         `{"set":true,"acctId":"U7654321"}`,
		"/v1/api/portfolio/accounts":      factsPortfolio,
	}}
	srv := httptest.NewTLSServer(rec)
	defer srv.Close()
	c := newClient(t, ClientOptions{BaseURL: srv.URL, Version: "1.2.3"})
	ctx := context.Background()

	tests := []struct {
		name     string
		call     func() error
		want     request
		wantBody map[string]any
	}{
		{"tickle posts and reads auth", func() error {
			tk, err := c.Tickle(ctx)
			if err == nil && (!tk.HasAuth || !tk.Auth.Authenticated || tk.SSOExpires != 585695*time.Millisecond) {
				return errors.New("tickle not decoded: " + tk.Session)
			}
			return err
		}, request{Method: "POST", Path: "/v1/api/tickle"}, nil},
		{"auth status posts", func() error {
			a, err := c.AuthStatus(ctx)
			if err == nil && a.ServerName != "JifZ12345" {
				return errors.New("serverName not read")
			}
			return err
		}, request{Method: "POST", Path: "/v1/api/iserver/auth/status"}, nil},
		{"init brokerage sends publish and compete", func() error {
			a, err := c.InitBrokerage(ctx, true)
			if err == nil && !a.Established {
				return errors.New("passed not read as established")
			}
			return err
		}, request{Method: "POST", Path: "/v1/api/iserver/auth/ssodh/init", ContentType: "application/json"},
			map[string]any{"publish": true, "compete": true}},
		{"init brokerage without compete", func() error { _, err := c.InitBrokerage(ctx, false); return err },
			request{Method: "POST", Path: "/v1/api/iserver/auth/ssodh/init", ContentType: "application/json"},
			map[string]any{"publish": true, "compete": false}},
		{"validate gets", func() error {
			v, err := c.Validate(ctx)
			if err == nil && (!v.Paper() || v.UserName != "user1234") {
				return errors.New("validate not decoded")
			}
			return err
		}, request{Method: "GET", Path: "/v1/api/sso/validate"}, nil},
		{"reauthenticate posts", func() error { return c.Reauthenticate(ctx) },
			request{Method: "POST", Path: "/v1/api/iserver/reauthenticate"}, nil},
		{"logout accepts confirmed", func() error { return c.Logout(ctx) },
			request{Method: "POST", Path: "/v1/api/logout"}, nil},
		{"accounts gets", func() error {
			a, err := c.Accounts(ctx)
			if err == nil && (len(a.Accounts) != 2 || a.Selected != "U1234567") {
				return errors.New("accounts not decoded")
			}
			return err
		}, request{Method: "GET", Path: "/v1/api/iserver/accounts"}, nil},
		{"select account posts acctId", func() error { return c.SelectAccount(ctx, "U7654321") },
			request{Method: "POST", Path: "/v1/api/iserver/account", ContentType: "application/json"},
			map[string]any{"acctId": "U7654321"}},
		{"portfolio accounts gets", func() error {
			p, err := c.PortfolioAccounts(ctx)
			if err == nil && (len(p) != 1 || p[0].Currency != "USD") {
				return errors.New("portfolio accounts not decoded")
			}
			return err
		}, request{Method: "GET", Path: "/v1/api/portfolio/accounts"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); err != nil {
				t.Fatal(err)
			}
			got := rec.last()
			tt.want.UserAgent = "ibkr-tray/1.2.3"
			tt.want.Body = tt.wantBody
			if got.Method != tt.want.Method || got.Path != tt.want.Path || got.UserAgent != tt.want.UserAgent ||
				got.ContentType != tt.want.ContentType || !jsonEqual(got.Body, tt.want.Body) {
				t.Errorf("request\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func jsonEqual(a, b map[string]any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb)
}

func TestClientEndpointAnswers(t *testing.T) {
	tests := []struct {
		name string
		path string
		body string
		call func(*Client) error
		want ErrorKind
	}{
		{"logout status true", "/v1/api/logout", `{"status":true}`, func(c *Client) error { return c.Logout(context.Background()) }, 0},
		{"logout status false is unexpected", "/v1/api/logout", `{"status":false}`, func(c *Client) error { return c.Logout(context.Background()) }, KindUnexpected},
		{"reauthenticate without SSO is not logged in", "/v1/api/iserver/reauthenticate", `{"error":"not logged in"}`,
			func(c *Client) error { return c.Reauthenticate(context.Background()) }, KindNotLoggedIn},
		{"select account refused by gateway", "/v1/api/iserver/account", `{"set":false}`,
			func(c *Client) error { return c.SelectAccount(context.Background(), "U1") }, KindUnexpected},
		{"portfolio accounts as an object is malformed", "/v1/api/portfolio/accounts", `{"id":"U1"}`,
			func(c *Client) error { _, err := c.PortfolioAccounts(context.Background()); return err }, KindMalformed},
		{"validate 401 is no session", "/v1/api/sso/validate", ``, func(c *Client) error { _, err := c.Validate(context.Background()); return err }, KindNoSession},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{answers: map[string]string{tt.path: tt.body}, statuses: map[string]int{"/v1/api/sso/validate": 401}}
			srv := httptest.NewTLSServer(rec)
			defer srv.Close()
			err := tt.call(newClient(t, ClientOptions{BaseURL: srv.URL}))
			if tt.want == 0 && err != nil {
				t.Fatalf("unexpected error %v", err)
			}
			if got := KindOf(err); got != tt.want {
				t.Errorf("kind %v (%v), want %v", got, err, tt.want)
			}
		})
	}
}

func TestPing(t *testing.T) {
	tests := []struct {
		name          string
		handler       http.HandlerFunc
		want          ErrorKind
		wantLoginPath string
	}{
		{"redirect to login page means alive", func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/" || r.Method != "GET" {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Location", "/sso/Login?forwardTo=22&RL=1&ip2loc=DE")
			w.WriteHeader(http.StatusFound)
		}, 0, "/sso/Login?forwardTo=22&RL=1&ip2loc=DE"},
		{"absolute redirect on another host name is kept on our address", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Location", "https://localhost:5000/sso/Login?forwardTo=22")
			w.WriteHeader(http.StatusFound)
		}, 0, "/sso/Login?forwardTo=22"},
		{"200 page is not the gateway", answerWith(200, "<html>hello</html>"), KindUnexpected, ""},
		{"redirect elsewhere is not the gateway", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/index.html", http.StatusFound)
		}, KindUnexpected, ""},
		{"access denied", answerWith(404, "Access Denied"), KindAccessDenied, ""},
		{"server error", answerWith(502, ""), KindServerError, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewTLSServer(tt.handler)
			defer srv.Close()
			c := newClient(t, ClientOptions{BaseURL: srv.URL})
			err := c.Ping(context.Background())
			if got := KindOf(err); got != tt.want || (tt.want == 0 && err != nil) {
				t.Fatalf("Ping = %v (kind %v), want kind %v", err, got, tt.want)
			}
			wantLogin := srv.URL + defaultLoginPath
			if tt.wantLoginPath != "" {
				wantLogin = srv.URL + tt.wantLoginPath
			}
			if got := c.LoginURL(); got != wantLogin {
				t.Errorf("LoginURL = %q, want %q", got, wantLogin)
			}
		})
	}
	t.Run("nothing listening is gateway down", func(t *testing.T) {
		c := newClient(t, ClientOptions{BaseURL: "https://" + freeAddr(t)})
		if err := c.Ping(context.Background()); KindOf(err) != KindGatewayDown {
			t.Errorf("Ping = %v, want gateway-down", err)
		}
	})
}

func TestLocalhostDialsLoopback(t *testing.T) {
	srv := httptest.NewTLSServer(answerWith(200, `{"session":"viaLocalhost"}`))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	c := newClient(t, ClientOptions{BaseURL: "https://localhost:" + port})
	if tk, err := c.Tickle(context.Background()); err != nil || tk.Session != "viaLocalhost" {
		t.Fatalf("Tickle via localhost = %+v, %v", tk, err)
	}
	if c.BaseURL() != "https://localhost:"+port {
		t.Errorf("BaseURL = %q", c.BaseURL())
	}
}

// writeCertPEM writes the test server's certificate as a PEM CA file.
func writeCertPEM(t *testing.T, srv *httptest.Server) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ca.pem")
	b := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// A "remote" gateway is reached by name (example.com, which httptest's
// certificate covers) through a test dialer that goes to the loopback
// server: no DNS, no network.
func TestRemoteGatewayVerifiesCertificate(t *testing.T) {
	srv := httptest.NewUnstartedServer(answerWith(200, `{"session":"remote"}`))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes are expected
	srv.StartTLS()
	defer srv.Close()
	toServer := func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, srv.Listener.Addr().String())
	}
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	base := "https://example.com:" + port

	t.Run("trusted through the CA file", func(t *testing.T) {
		c := newClient(t, ClientOptions{BaseURL: base, AllowRemote: true, CAFile: writeCertPEM(t, srv), dial: toServer})
		if tk, err := c.Tickle(context.Background()); err != nil || tk.Session != "remote" {
			t.Fatalf("Tickle = %+v, %v", tk, err)
		}
	})
	t.Run("refused without the CA file", func(t *testing.T) {
		c := newClient(t, ClientOptions{BaseURL: base, AllowRemote: true, dial: toServer})
		_, err := c.Tickle(context.Background())
		if KindOf(err) != KindRefused || !strings.Contains(err.Error(), "CA file") {
			t.Fatalf("Tickle = %v (kind %v), want refused naming the CA file", err, KindOf(err))
		}
	})
	t.Run("refused when the name does not match the certificate", func(t *testing.T) {
		c := newClient(t, ClientOptions{BaseURL: "https://gateway.internal:" + port, AllowRemote: true, CAFile: writeCertPEM(t, srv), dial: toServer})
		if _, err := c.Tickle(context.Background()); KindOf(err) != KindRefused {
			t.Fatalf("Tickle = %v (kind %v), want refused", err, KindOf(err))
		}
	})
}

func TestNewClientChecksOptions(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "not.pem")
	if err := os.WriteFile(notPEM, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		opts     ClientOptions
		wantBase string // "" means an error is wanted
		wantText string // part of the error sentence
	}{
		{"localhost https", ClientOptions{BaseURL: "https://localhost:5000"}, "https://localhost:5000", ""},
		{"trailing slash dropped", ClientOptions{BaseURL: "https://localhost:5000/"}, "https://localhost:5000", ""},
		{"api prefix dropped", ClientOptions{BaseURL: "https://localhost:5000/v1/api/"}, "https://localhost:5000", ""},
		{"no scheme means https", ClientOptions{BaseURL: "localhost:5001"}, "https://localhost:5001", ""},
		{"explicit http for --nossl", ClientOptions{BaseURL: "http://127.0.0.1:5000"}, "http://127.0.0.1:5000", ""},
		{"ipv6 loopback", ClientOptions{BaseURL: "https://[::1]:5000"}, "https://[::1]:5000", ""},
		{"remote allowed", ClientOptions{BaseURL: "https://gw.example.net:5000", AllowRemote: true}, "https://gw.example.net:5000", ""},
		{"empty address", ClientOptions{}, "", "no gateway address"},
		{"other scheme", ClientOptions{BaseURL: "ftp://localhost:5000"}, "", "https://"},
		{"bad port", ClientOptions{BaseURL: "https://localhost:99999"}, "", "port"},
		{"other path", ClientOptions{BaseURL: "https://localhost:5000/demo"}, "", "path"},
		{"user info", ClientOptions{BaseURL: "https://u:p@localhost:5000"}, "", "extra parts"},
		{"remote without allow says how to allow", ClientOptions{BaseURL: "https://gw.example.net:5000"}, "", "allow a remote gateway"},
		{"remote by address without allow", ClientOptions{BaseURL: "https://192.168.1.20:5000"}, "", "not on this computer"},
		{"name that only resembles localhost is remote", ClientOptions{BaseURL: "https://localhost.example.net:5000"}, "", "not on this computer"},
		{"remote plain http refused even when allowed", ClientOptions{BaseURL: "http://gw.example.net:5000", AllowRemote: true}, "", "only allowed for a gateway on this computer"},
		{"missing CA file", ClientOptions{BaseURL: "https://localhost:5000", CAFile: filepath.Join(dir, "missing.pem")}, "", "cannot be read"},
		{"CA file without certificates", ClientOptions{BaseURL: "https://localhost:5000", CAFile: notPEM}, "", "no PEM certificates"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewClient(tt.opts)
			if tt.wantBase != "" {
				if err != nil {
					t.Fatalf("NewClient: %v", err)
				}
				if c.BaseURL() != tt.wantBase {
					t.Errorf("BaseURL = %q, want %q", c.BaseURL(), tt.wantBase)
				}
				if c.LoginURL() != tt.wantBase+defaultLoginPath {
					t.Errorf("LoginURL = %q", c.LoginURL())
				}
				return
			}
			if err == nil {
				t.Fatalf("NewClient accepted %+v", tt.opts)
			}
			if KindOf(err) != KindRefused || !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("error %q (kind %v), want refused containing %q", err, KindOf(err), tt.wantText)
			}
		})
	}
}

// logLines is a slog handler that keeps records as text.
type logLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *logLines) Enabled(context.Context, slog.Level) bool { return true }
func (l *logLines) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *logLines) WithGroup(string) slog.Handler            { return l }
func (l *logLines) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Level.String() + " " + r.Message)
	r.Attrs(func(a slog.Attr) bool {
		b.WriteString(" " + a.Key + "=" + a.Value.String())
		return true
	})
	l.mu.Lock()
	l.lines = append(l.lines, b.String())
	l.mu.Unlock()
	return nil
}

func TestClientLogsCallsAtDebugWithoutBodies(t *testing.T) {
	srv := httptest.NewTLSServer(&recorder{answers: map[string]string{"/v1/api/sso/validate": factsValidate}})
	defer srv.Close()
	logs := &logLines{}
	c := newClient(t, ClientOptions{BaseURL: srv.URL, Logger: slog.New(logs)})
	if _, err := c.Validate(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(logs.lines) != 1 {
		t.Fatalf("want one log line per call, got %q", logs.lines)
	}
	line := logs.lines[0]
	for _, want := range []string{"DEBUG", "method=GET", "path=/v1/api/sso/validate", "status=200", "duration="} {
		if !strings.Contains(line, want) {
			t.Errorf("log line %q lacks %q", line, want)
		}
	}
	if strings.Contains(line, "user1234") {
		t.Errorf("log line carries the answer's user name: %q", line)
	}
}
