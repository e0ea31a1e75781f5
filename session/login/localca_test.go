package login

import (
	"context"
	"testing"
	"time"

	"github.com/ibkr-tray/ibkr-tray/gateway/localca"
	"github.com/ibkr-tray/ibkr-tray/gateway/sim"
)

// With `ibkr-tray tls setup` the gateway serves a certificate signed by the
// local CA (a chain the browser does not know either). The login browser
// pins the key of whatever leaf the gateway serves, so it logs in as with
// the stock self-signed certificate.
func TestRunLogsInAgainstTheLocalCAsCertificate(t *testing.T) {
	t.Parallel()
	res, err := localca.Setup(t.TempDir(), t.TempDir(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	cert, err := localca.LoadKeystore(res.Keystore, res.Password)
	if err != nil {
		t.Fatal(err)
	}
	s := startSim(t, nil, func(o *sim.Options) { o.Certificate = &cert })
	got, err := gatewayKey(context.Background(), s.URL()+"/")
	if err != nil {
		t.Fatal(err)
	}
	if want := spkiHash(cert.Leaf); got != want {
		t.Fatalf("gatewayKey = %q, want the local CA leaf's %q", got, want)
	}
	a := attempt(t, s, nil)
	a.Username, a.Password, a.TOTPSecret, a.Paper = "paperuser", paperPassword, "", true
	if _, err := run(t, a); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if st := s.State(); st.Session == nil {
		t.Fatal("no session at the simulator")
	}
}
