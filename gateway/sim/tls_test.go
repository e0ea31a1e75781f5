package sim

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/tls"
	"io"
	"net"
	"testing"
	"time"
)

func TestCertificateIsSelfSignedForLoopback(t *testing.T) {
	s := startSim(t, testOptions(newFakeClock()))
	conn, err := tls.Dial("tcp", s.URL()[len("https://"):], &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	cert := conn.ConnectionState().PeerCertificates[0]
	if cert.Subject.CommonName != "Client Portal Web API" {
		t.Errorf("CN = %q", cert.Subject.CommonName)
	}
	if k, ok := cert.PublicKey.(*ecdsa.PublicKey); !ok || k.Curve != elliptic.P256() {
		t.Errorf("key is %T, want ECDSA P-256", cert.PublicKey)
	}
	for _, h := range []string{"localhost", "127.0.0.1", "::1"} {
		if err := cert.VerifyHostname(h); err != nil {
			t.Errorf("not valid for %s: %v", h, err)
		}
	}
	if err := cert.CheckSignatureFrom(cert); err != nil {
		t.Errorf("not self-signed: %v", err)
	}
	if !cert.Equal(s.Certificate()) {
		t.Error("Certificate() is not the served certificate")
	}
}

func TestExpiredCertLikeTheRealGateway(t *testing.T) {
	o := testOptions(newFakeClock())
	o.ExpiredCert = true
	s := startSim(t, o)
	if s.Certificate().NotAfter.After(time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("NotAfter = %v, want expired before 2020", s.Certificate().NotAfter)
	}
}

// The real gateway closes a plain-HTTP connection to its TLS port without a
// word; Go's default would answer 400.
func TestPlainHTTPToTLSPortGetsEmptyReply(t *testing.T) {
	s := startSim(t, testOptions(newFakeClock()))
	conn, err := net.Dial("tcp", s.URL()[len("https://"):])
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(conn)
	if err != nil {
		t.Fatalf("reading the reply: %v (want a clean close, not a reset or timeout)", err)
	}
	if len(got) != 0 {
		t.Fatalf("reply %q, want none", got)
	}
	// The listener still serves TLS afterwards.
	if status, _ := newClient(t, s).do("GET", "/demo", nil); status != 200 {
		t.Errorf("HTTPS after a plain-HTTP probe: status %d", status)
	}
}

func TestPlainHTTPOption(t *testing.T) {
	o := testOptions(newFakeClock())
	o.PlainHTTP = true
	s := startSim(t, o)
	if s.URL()[:7] != "http://" {
		t.Fatalf("URL %q, want http://", s.URL())
	}
	if status, _ := newClient(t, s).do("GET", "/demo", nil); status != 200 {
		t.Errorf("GET /demo over plain HTTP: status %d", status)
	}
}
