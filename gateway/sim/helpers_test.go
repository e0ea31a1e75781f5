package sim

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"sync"
	"testing"
	"time"
)

// fakeClock is an injected real clock that moves only when told.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// testOptions are defaults on a fake clock in UTC, without rate limits so
// tests may call freely (rate-limit tests turn them on).
func testOptions(clk *fakeClock) Options {
	o := DefaultOptions()
	o.Now = clk.Now
	o.Location = time.UTC
	o.RateLimits = false
	return o
}

// startSim serves o over real HTTPS on a random loopback port.
func startSim(t *testing.T, o Options) *Server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s, err := Start(ctx, "127.0.0.1:0", o)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		s.Close()
	})
	return s
}

// client talks HTTPS to the simulator, accepting its self-signed
// certificate as clients of the real gateway must, and keeps cookies.
type client struct {
	t    *testing.T
	base string
	http *http.Client
}

func newClient(t *testing.T, s *Server) *client {
	jar, _ := cookiejar.New(nil)
	tr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}
	t.Cleanup(tr.CloseIdleConnections)
	return &client{t: t, base: s.URL(), http: &http.Client{
		Transport:     tr,
		Jar:           jar,
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// do sends a request and returns the status and body.
func (c *client) do(method, path string, body any) (int, []byte) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// obj sends a request that must answer 200 with a JSON object.
func (c *client) obj(method, path string, body any) map[string]any {
	c.t.Helper()
	status, b := c.do(method, path, body)
	if status != http.StatusOK {
		c.t.Fatalf("%s %s: status %d, body %q", method, path, status, b)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		c.t.Fatalf("%s %s: not a JSON object: %v: %q", method, path, err, b)
	}
	return m
}

// authStatus is POST /v1/api/iserver/auth/status.
func (c *client) authStatus() (authenticated, connected, competing bool) {
	c.t.Helper()
	m := c.obj("POST", "/v1/api/iserver/auth/status", nil)
	return m["authenticated"] == true, m["connected"] == true, m["competing"] == true
}

func requireKeys(t *testing.T, what string, m map[string]any, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if _, ok := m[k]; !ok {
			t.Errorf("%s: missing key %q in %v", what, k, m)
		}
	}
}
