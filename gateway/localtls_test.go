//go:build unix

package gateway

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ibkr-tray/ibkr-tray/gateway/localca"
	"github.com/ibkr-tray/ibkr-tray/session"
)

// lockedBuffer collects log lines written from several goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// The whole path a bot author takes: tls setup against a gateway folder,
// the supervisor starts the gateway with the keystore, and a client that
// trusts only the CA file reaches it by every loopback name it listens on.
func TestLocalCAKeystoreIsServedAndVerifies(t *testing.T) {
	port := freePort(t)
	dir := writeSimDist(t, port, 0)
	confPath := filepath.Join(dir, "root", "conf.yaml")
	before, err := os.ReadFile(confPath)
	if err != nil {
		t.Fatal(err)
	}
	state := t.TempDir()
	res, err := localca.Setup(state, filepath.Join(dir, "root"), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	d, err := CheckDist(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := WriteOverlay(d, port, &Keystore{File: localca.KeystoreName, Password: res.Password}); err != nil {
		t.Fatal(err)
	}

	c := fastConfig(t, dir, childEnv+"=sim")
	var logs lockedBuffer
	c.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c.LocalTLS = true
	r := startSupervisor(t, c)
	waitFor(t, r.Supervisor, 20*time.Second, "Running", inState(Running))

	caPEM, err := os.ReadFile(res.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(caPEM) {
		t.Fatal("no certificate in the CA file")
	}
	client := &http.Client{
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
		Timeout: 10 * time.Second,
	}
	defer client.CloseIdleConnections()
	for _, host := range []string{"127.0.0.1", "localhost"} {
		resp, err := client.Get("https://" + host + ":" + strconv.Itoa(port) + "/")
		if err != nil {
			t.Fatalf("a client trusting only the local CA cannot reach %s: %v", host, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusFound {
			t.Errorf("GET / on %s answered %d, want the gateway's 302", host, resp.StatusCode)
		}
	}

	// The keeper's client (which accepts any loopback certificate) works too.
	kc, err := session.NewClient(session.ClientOptions{BaseURL: "https://localhost:" + strconv.Itoa(port)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := kc.Ping(ctx); err != nil {
		t.Errorf("the keeper's client cannot reach the gateway with the local CA's certificate: %v", err)
	}

	after, _ := os.ReadFile(confPath)
	if !bytes.Equal(before, after) {
		t.Error("the user's conf.yaml was changed")
	}
	overlay := filepath.Join(dir, "root", PortConf)
	st, err := os.Stat(overlay)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600 (it holds the keystore password)", overlay, st.Mode().Perm())
	}
	r.quit(t)
	gwLog, _ := os.ReadFile(c.LogFile)
	if strings.Contains(logs.String(), res.Password) || bytes.Contains(gwLog, []byte(res.Password)) {
		t.Error("the keystore password is in a log")
	}
}

func TestLocalCAWithoutTLSSetupSaysWhatToRun(t *testing.T) {
	port := freePort(t)
	dir := writeSimDist(t, port, 0)
	c := fastConfig(t, dir, childEnv+"=sim")
	c.LocalTLS = true
	r := startSupervisor(t, c)
	st := waitFor(t, r.Supervisor, 20*time.Second, "Failed", inState(Failed))
	if !strings.Contains(st.Reason, "run ibkr-tray tls setup") {
		t.Errorf("reason %q does not say to run ibkr-tray tls setup", st.Reason)
	}
}

func TestOverlaySetsTheKeystoreAndKeepsTheRest(t *testing.T) {
	dir := t.TempDir()
	conf := "ip2loc: \"US\"\nlistenPort: 5000\nsslCert: \"vertx.jks\"\nsslPwd: \"mywebapi\"\nserverOptions:\n    blockedThreadCheckInterval: 1000000\n"
	if err := os.MkdirAll(filepath.Join(dir, "root"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "root", "conf.yaml"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	d := Dist{Dir: dir, Conf: filepath.Join("root", "conf.yaml"), Port: 5000}
	if _, err := WriteOverlay(d, 5001, &Keystore{File: "ibkr-tray.jks", Password: "p\"w:#"}); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(filepath.Join(dir, "root", PortConf))
	want := "ip2loc: \"US\"\nlistenPort: 5001\nsslCert: \"ibkr-tray.jks\"\nsslPwd: \"p\\\"w:#\"\nserverOptions:\n    blockedThreadCheckInterval: 1000000\n"
	if string(got) != want {
		t.Errorf("overlay:\n%s\nwant:\n%s", got, want)
	}
	ks, err := ReadOverlayKeystore(d)
	if err != nil {
		t.Fatal(err)
	}
	if ks.File != "ibkr-tray.jks" || ks.Password != "p\"w:#" {
		t.Errorf("read back %+v", ks)
	}
}
