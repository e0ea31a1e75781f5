package runner

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ibkr-tray/ibkr-tray/session"
	"github.com/ibkr-tray/ibkr-tray/ui/version"
)

// TestTheGatewayClientSaysTheAppVersion: the gateway (and IBKR's logs
// behind it) see which ibkr-tray calls, not "ibkr-tray/dev".
func TestTheGatewayClientSaysTheAppVersion(t *testing.T) {
	agents := make(chan string, 1)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case agents <- r.UserAgent():
		default:
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"session":"x","iserver":{"authStatus":{"authenticated":true,"connected":true}}}`))
	}))
	defer srv.Close()
	var client session.GatewayAPI
	simRunner(t, nil, func(o *Options) {
		o.Config.GatewayURL = srv.URL // the client calls this server instead of the simulator
		o.Keeper = func(k *session.KeeperOptions) { client = k.Client }
	})
	_, _ = client.Tickle(t.Context())
	select {
	case got := <-agents:
		if want := "ibkr-tray/" + version.Number; got != want {
			t.Errorf("User-Agent %q, want %q", got, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the client made no request")
	}
}
