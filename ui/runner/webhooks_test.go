//go:build unix

package runner

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ibkr-tray/ibkr-tray/gateway"
	"github.com/ibkr-tray/ibkr-tray/session"
	"github.com/ibkr-tray/ibkr-tray/ui/config"
	"github.com/ibkr-tray/ibkr-tray/ui/desktoptest"
)

// webhookServer is a loopback server that answers the first fails posts
// with status and records every body.
type webhookServer struct {
	*httptest.Server
	mu     sync.Mutex
	bodies []string
	got    chan struct{}
}

func newWebhookServer(t *testing.T, fails, status int) *webhookServer {
	t.Helper()
	s := &webhookServer{got: make(chan struct{}, 100)}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.bodies = append(s.bodies, r.Method+" "+r.Header.Get("Content-Type")+" "+string(b))
		n := len(s.bodies)
		s.mu.Unlock()
		s.got <- struct{}{}
		if n <= fails {
			w.WriteHeader(status)
		}
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *webhookServer) posts() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.bodies...)
}

func TestWebhookRetriesWithBackoffAndGivesUp(t *testing.T) {
	tests := []struct {
		name         string
		fails, code  int
		posts        int
		givenUp      bool
		wantInTheLog string
	}{
		{"503 twice, then taken", 2, http.StatusServiceUnavailable, 3, false, "webhook sent"},
		{"429 three times: given up after 3 tries", 5, http.StatusTooManyRequests, 3, true, "tries=3"},
		{"404 is not retried", 5, http.StatusNotFound, 1, true, "check the webhook's URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newWebhookServer(t, tt.fails, tt.code)
			var logs desktoptest.Buffer
			w, err := newWebhook(srv.URL+"/hook/secret-token-123", false, 5*time.Second, slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
			if err != nil {
				t.Fatal(err)
			}
			w.backoff = 10 * time.Millisecond
			start := time.Now()
			w.deliver(context.Background(), Event{State: "LoginLocked", Previous: "LoggingIn", Cause: "cap-in-row", NeedsYou: true, Profile: "p"})
			if took := time.Since(start); took < 30*time.Millisecond && tt.posts == 3 {
				t.Errorf("3 tries took %s; want the 10ms and 20ms back-off between them", took)
			}
			posts := srv.posts()
			if len(posts) != tt.posts {
				t.Fatalf("%d posts, want %d: %q", len(posts), tt.posts, posts)
			}
			var e Event
			if _, body, _ := strings.Cut(strings.TrimPrefix(posts[0], "POST application/json"), " "); json.Unmarshal([]byte(body), &e) != nil || e.State != "LoginLocked" || !e.NeedsYou || e.Cause != "cap-in-row" {
				t.Errorf("the post %q is not the event as JSON", posts[0])
			}
			gaveUp := strings.Contains(logs.String(), "this event is given up")
			if gaveUp != tt.givenUp || !strings.Contains(logs.String(), tt.wantInTheLog) {
				t.Errorf("given up %v (want %v); log:\n%s", gaveUp, tt.givenUp, logs.String())
			}
			if strings.Contains(logs.String(), "secret-token-123") {
				t.Errorf("the log holds the webhook's URL:\n%s", logs.String())
			}
		})
	}
}

func TestWebhookOffThisComputerNeedsTheAllowSetting(t *testing.T) {
	tests := []struct {
		url    string
		remote bool
		err    string
	}{
		{"http://127.0.0.1:8080/x", false, ""},
		{"http://[::1]:8080/x", false, ""},
		{"http://localhost:8080/x", false, ""},
		{"https://ntfy.sh/my-topic", false, "set webhooksAllowRemote to true"},
		{"https://192.168.1.9/x", false, "set webhooksAllowRemote to true"},
		{"https://ntfy.sh/my-topic", true, ""},
		{"https://ntfy.sh/my-topic?tpl=1&t=IBKR+{{.state}}&m={{.text}}", true, ""}, // docs/headless.md's sample
		{"ftp://127.0.0.1/x", false, "not an http:// or https:// URL"},
		{"https://user:pw@ntfy.sh/x", true, "user name or password in its URL"},
	}
	for _, tt := range tests {
		_, err := newWebhook(tt.url, tt.remote, time.Second, slog.New(slog.DiscardHandler))
		if (tt.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("newWebhook(%q, remote %v) = %v, want %q", tt.url, tt.remote, err, tt.err)
		}
		if err != nil && strings.Contains(err.Error(), "my-topic") {
			t.Errorf("the error repeats the URL's path: %v", err)
		}
		c := config.Default()
		c.Webhooks, c.WebhooksAllowRemote = []string{tt.url}, tt.remote
		if verr := c.Validate(); (verr == nil) != (err == nil) {
			t.Errorf("Validate with webhook %q: %v; newWebhook: %v", tt.url, verr, err)
		}
	}
	// A runner refuses to start with one.
	c := config.Default()
	c.Webhooks = []string{"https://ntfy.sh/my-topic"}
	if _, err := newNotifier(c, slog.New(slog.DiscardHandler)); err == nil {
		t.Error("newNotifier took a remote webhook without webhooksAllowRemote")
	}
}

// TestWebhookGetsEachChangeFromTheRunner: the runner posts each change in
// order, with the facts a phone notification needs.
func TestWebhookGetsEachChangeFromTheRunner(t *testing.T) {
	srv := newWebhookServer(t, 0, 0)
	k := &statusKeeper{fakeKeeper: fakeKeeper{ch: make(chan struct{}, 1)}, st: session.Status{State: session.NotAuthenticated}}
	r := simRunner(t, k, func(o *Options) { o.Config.Webhooks = []string{srv.URL + "/ibkr"} })
	run(t, r)
	waitStatus(t, r, "gateway Running", func(st Status) bool { return st.Gateway.State == gateway.Running })
	k.change(func(s *session.Status) {
		s.State, s.NeedsYou, s.Cause, s.Reason = session.NeedsManualLogin, true, session.CauseNoCredentials, "no credentials are stored"
	})
	deadline := time.After(20 * time.Second)
	for {
		posts := srv.posts()
		if n := len(posts); n > 0 && strings.Contains(posts[n-1], `"needsYou":true`) {
			var e Event
			_, body, _ := strings.Cut(strings.TrimPrefix(posts[n-1], "POST application/json"), " ")
			if err := json.Unmarshal([]byte(body), &e); err != nil {
				t.Fatal(err)
			}
			if e.State != "NeedsManualLogin" || e.Previous != "NotAuthenticated" || e.GatewayState != "Running" || e.Profile != "test" || e.Cause != "no-credentials" ||
				!strings.Contains(e.Text, "you must act") || e.Time.IsZero() {
				t.Errorf("the webhook got %+v", e)
			}
			break
		}
		select {
		case <-srv.got:
		case <-deadline:
			t.Fatalf("no needs-you post within 20s: %q", srv.posts())
		}
	}
}
