package session

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

func TestSetBaseURLMovesCallsToTheNewPort(t *testing.T) {
	gateway := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", "/sso/Login?forwardTo=22&RL=1&ip2loc=US")
		w.WriteHeader(http.StatusFound)
	}
	old := httptest.NewTLSServer(http.HandlerFunc(gateway))
	defer old.Close()
	c := newClient(t, ClientOptions{BaseURL: old.URL})
	if err := c.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}

	// The gateway comes back on another port; the old one goes away.
	moved := httptest.NewTLSServer(http.HandlerFunc(gateway))
	defer moved.Close()
	old.Close()
	newURL := strings.Replace(moved.URL, "127.0.0.1", "localhost", 1)
	if err := c.SetBaseURL(newURL); err != nil {
		t.Fatalf("SetBaseURL(%s): %v", newURL, err)
	}
	if c.BaseURL() != newURL || c.LoginURL() != newURL+defaultLoginPath {
		t.Errorf("BaseURL %s, LoginURL %s; want %s", c.BaseURL(), c.LoginURL(), newURL)
	}
	if err := c.Ping(context.Background()); err != nil {
		t.Errorf("Ping after SetBaseURL: %v", err)
	}
}

func TestSetBaseURLKeepsTheAddressChecks(t *testing.T) {
	tests := []struct {
		name        string
		first, next string
		allowRemote bool
		wantText    string // "" = accepted
	}{
		{"another loopback port", "https://localhost:5000", "https://localhost:5001", false, ""},
		{"from localhost to 127.0.0.1", "https://localhost:5000", "https://127.0.0.1:5002", false, ""},
		{"http for --nossl on loopback", "https://localhost:5000", "http://localhost:5000", false, ""},
		{"remote without allow", "https://localhost:5000", "https://gw.example.net:5000", false, "allow a remote gateway"},
		{"from loopback to remote even when allowed", "https://localhost:5000", "https://gw.example.net:5000", true, "not its computer"},
		{"another port on the remote gateway", "https://gw.example.net:5000", "https://gw.example.net:5001", true, ""},
		{"from remote to another remote", "https://gw.example.net:5000", "https://gw2.example.net:5000", true, "not its computer"},
		{"plain http to a remote", "https://gw.example.net:5000", "http://gw.example.net:5000", true, "only allowed for a gateway on this computer"},
		{"not a URL", "https://localhost:5000", "ftp://localhost:5000", false, "https://"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, ClientOptions{BaseURL: tt.first, AllowRemote: tt.allowRemote})
			err := c.SetBaseURL(tt.next)
			if tt.wantText == "" {
				if err != nil {
					t.Fatalf("SetBaseURL(%s): %v", tt.next, err)
				}
				if c.BaseURL() != tt.next {
					t.Errorf("BaseURL %s, want %s", c.BaseURL(), tt.next)
				}
				return
			}
			if err == nil || KindOf(err) != KindRefused || !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("SetBaseURL(%s) = %v (kind %v), want refused saying %q", tt.next, err, KindOf(err), tt.wantText)
			}
			if c.BaseURL() != tt.first {
				t.Errorf("a refused address changed BaseURL to %s", c.BaseURL())
			}
		})
	}
}

func TestSetBaseURLIsSafeDuringCalls(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", "/sso/Login")
		w.WriteHeader(http.StatusFound)
	}))
	defer srv.Close()
	c := newClient(t, ClientOptions{BaseURL: srv.URL})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 20 {
				_ = c.Ping(context.Background())
				_ = c.LoginURL()
			}
		})
	}
	for i := range 50 {
		if err := c.SetBaseURL(srv.URL + strings.Repeat("/", i%2)); err != nil {
			t.Error(err)
		}
	}
	wg.Wait()
}
