package sim

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ibkr-tray/ibkr-tray/gateway/localca"
)

// writeConf writes root/conf.yaml with the given sslCert/sslPwd lines.
func writeConf(t *testing.T, lines string) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "root")
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(root, "conf.yaml")
	if err := os.WriteFile(p, []byte("listenPort: 5000\nlistenSsl: true\n"+lines), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestTheSimulatorServesTheKeystoreItsConfNames(t *testing.T) {
	conf := writeConf(t, "")
	res, err := localca.Setup(t.TempDir(), filepath.Dir(conf), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(conf, []byte("listenPort: 5000\nsslCert: \""+localca.KeystoreName+"\"\nsslPwd: \""+res.Password+"\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	o, _, code, err := loadServeSettings([]string{"--conf", conf}, io.Discard)
	if err != nil || code != 0 || o.Certificate == nil {
		t.Fatalf("loadServeSettings: %d %v, certificate %v", code, err, o.Certificate)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, err := Start(ctx, "127.0.0.1:0", o)
	if err != nil {
		t.Fatal(err)
	}
	caPEM, _ := os.ReadFile(res.CAFile)
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(caPEM)
	c := &http.Client{
		Timeout:       10 * time.Second,
		Transport:     &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	defer c.CloseIdleConnections()
	resp, err := c.Get(s.URL() + "/")
	if err != nil {
		t.Fatalf("a client trusting only the local CA: %v", err)
	}
	resp.Body.Close()
	if !s.Certificate().Equal(o.Certificate.Leaf) {
		t.Error("Certificate() is not the keystore's")
	}
}

func TestTheSimulatorRefusesAKeystoreItCannotOpen(t *testing.T) {
	// The bundled name without the file: the self-signed stand-in.
	o, _, _, err := loadServeSettings([]string{"--conf", writeConf(t, "sslCert: \"vertx.jks\"\nsslPwd: \"mywebapi\"\n")}, io.Discard)
	if err != nil || o.Certificate != nil {
		t.Errorf("vertx.jks absent: %v, %v; want the self-signed stand-in", err, o.Certificate)
	}
	_, _, code, err := loadServeSettings([]string{"--conf", writeConf(t, "sslCert: \"mine.jks\"\n")}, io.Discard)
	if code != 1 || err == nil || !strings.Contains(err.Error(), "cannot load sslCert mine.jks") {
		t.Errorf("missing keystore: %d %v", code, err)
	}
	conf := writeConf(t, "")
	if _, err := localca.Setup(t.TempDir(), filepath.Dir(conf), time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(conf, []byte("listenPort: 5000\nsslCert: \""+localca.KeystoreName+"\"\nsslPwd: \"wrong\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, code, err := loadServeSettings([]string{"--conf", conf}, io.Discard); code != 1 || err == nil || !strings.Contains(err.Error(), "sslPwd") {
		t.Errorf("wrong password: %d %v", code, err)
	}
}
