package login

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ibkr-tray/ibkr-tray/gateway/sim"
	"github.com/ibkr-tray/ibkr-tray/ui/desktoptest"
)

func TestGatewayKeyIsTheSPKIHashOfItsCertificate(t *testing.T) {
	t.Parallel()
	s := startSim(t, nil, nil)
	got, err := gatewayKey(context.Background(), s.URL()+"/")
	if err != nil {
		t.Fatal(err)
	}
	if want := spkiHash(s.Certificate()); got != want || len(got) != 44 {
		t.Errorf("gatewayKey = %q, want %q (44 base64 characters of SHA-256)", got, want)
	}
	if key, err := gatewayKey(context.Background(), "http://127.0.0.1:1/"); key != "" || err != nil {
		t.Errorf("plain http: %q, %v; want nothing to trust and no error", key, err)
	}
	free, _ := sim.FreePort()
	_, err = gatewayKey(context.Background(), fmt.Sprintf("https://127.0.0.1:%d/", free))
	if KindOf(err) != Unknown || !strings.Contains(err.Error(), "check that the gateway is running") {
		t.Errorf("nothing listening: err = %v, want a sentence saying to check the gateway", err)
	}
	// Another host's key is never taken on trust (nothing is dialled).
	if key, err := gatewayKey(context.Background(), "https://192.0.2.1:5000/"); key != "" || err == nil || !strings.Contains(err.Error(), "not on this computer") {
		t.Errorf("a remote gateway: %q, %v; want a refusal", key, err)
	}
}

// The login browser accepts the gateway's self-signed certificate, and no
// other: a page on another local HTTPS server with its own self-signed
// certificate is refused by a browser started with the same options.
func TestLoginBrowserTrustsOnlyTheGatewaysKey(t *testing.T) {
	t.Parallel()
	desktoptest.RequireTools(t, "chromium")
	gw := startSim(t, nil, func(o *sim.Options) { o.ExpiredCert = true }) // like the stock gateway's
	other := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "another local server")
	}))
	t.Cleanup(other.Close)

	open := func(trustKey string) *browser {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		b, err := startBrowser(ctx, "/usr/bin/chromium", trustKey, false, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(b.close)
		return b
	}
	visit := func(b *browser, url string) (string, error) {
		ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
		defer cancel()
		if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
			return "", err
		}
		return chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
	}

	key, err := gatewayKey(context.Background(), gw.URL())
	if err != nil {
		t.Fatal(err)
	}
	b := open(key)
	if text, err := visit(b, gw.URL()+"/demo"); err != nil || text == "" {
		t.Fatalf("the gateway's page in the login browser: %q, %v; want it shown", text, err)
	}
	text, err := visit(b, other.URL)
	if err == nil || !strings.Contains(err.Error(), "ERR_CERT") {
		t.Fatalf("another server's self-signed page: %q, err %v; want a certificate error", text, err)
	}
	t.Logf("another server's page was refused: %v", err)

	// The refusal is about the key: trusting the other server's key opens
	// it in the same way.
	otherKey := spkiHash(other.Certificate())
	if text, err := visit(open(otherKey), other.URL); err != nil || text != "another local server" {
		t.Errorf("the other server with its key trusted: %q, %v", text, err)
	}
}

func TestRunLogsInAgainstAnExpiredCertificate(t *testing.T) {
	t.Parallel()
	s := startSim(t, nil, func(o *sim.Options) { o.ExpiredCert = true })
	a := attempt(t, s, nil)
	a.Username, a.Password, a.TOTPSecret, a.Paper = "paperuser", paperPassword, "", true
	if _, err := run(t, a); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if st := s.State(); st.Session == nil {
		t.Fatal("no session at the simulator")
	}
}
