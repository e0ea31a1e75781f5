package cli

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ibkr-tray/ibkr-tray/gateway"
	"github.com/ibkr-tray/ibkr-tray/gateway/localca"
	"github.com/ibkr-tray/ibkr-tray/session"
	"github.com/ibkr-tray/ibkr-tray/ui/config"
)

// A bot author's path: a gateway folder, `tls setup`, localCA on, and the
// headless app runs the gateway with the keystore; a client that trusts
// only the printed CA file reaches it by 127.0.0.1 and localhost.
func TestTLSSetupThenHeadlessServesAVerifiableCertificate(t *testing.T) {
	headlessEnv(t)
	dir, port := simDist(t)
	paths, err := config.PathsFor(config.DefaultProfile)
	if err != nil {
		t.Fatal(err)
	}
	c := config.Default()
	c.GatewayDir, c.LocalCA = dir, true
	if err := os.MkdirAll(filepath.Dir(paths.ConfigFile), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := c.Save(paths.ConfigFile); err != nil {
		t.Fatal(err)
	}
	confPath := filepath.Join(dir, "root", "conf.yaml")
	before, _ := os.ReadFile(confPath)

	var out, errs bytes.Buffer
	if code := runTLS([]string{"setup"}, &out, &errs, time.Now); code != 0 {
		t.Fatalf("tls setup exit %d: %s", code, errs.String())
	}
	caFile := filepath.Join(paths.StateDir, "tls", "ca.pem")
	base := "https://localhost:" + strconv.Itoa(port)
	for _, want := range []string{
		"The CA file: " + caFile,
		"curl --cacert " + caFile + " " + base + "/v1/api/tickle",
		`requests.post("` + base + `/v1/api/tickle", verify="` + caFile + `")`,
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("tls setup did not say %q:\n%s", want, out.String())
		}
	}
	ks, err := gateway.ReadOverlayKeystore(gateway.Dist{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String()+errs.String(), ks.Password) {
		t.Error("tls setup printed the keystore password")
	}
	if after, _ := os.ReadFile(confPath); !bytes.Equal(before, after) {
		t.Error("tls setup changed the user's conf.yaml")
	}

	h := startHeadless(t, "--status-addr", "127.0.0.1:0")
	poll(t, 20*time.Second, "the gateway Running", func() bool {
		return h.r.Status().Gateway.State == gateway.Running
	})
	caPEM, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(caPEM)
	client := &http.Client{
		Timeout:       10 * time.Second,
		Transport:     &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	defer client.CloseIdleConnections()
	for _, host := range []string{"127.0.0.1", "localhost"} {
		resp, err := client.Get("https://" + host + ":" + strconv.Itoa(port) + "/")
		if err != nil {
			t.Fatalf("a client trusting only %s cannot reach %s: %v", caFile, host, err)
		}
		resp.Body.Close()
	}
	// The keeper reaches the gateway through the new certificate too.
	poll(t, 20*time.Second, "the keeper's verdict", func() bool {
		return h.r.Status().Session.State == session.NeedsManualLogin
	})
	h.stop()
	if strings.Contains(h.log.String(), ks.Password) {
		t.Error("the keystore password is in the app's log")
	}
}

func TestTLSSetupTwiceKeepsTheCertificate(t *testing.T) {
	headlessEnv(t)
	dir, _ := simDist(t)
	var out, errs bytes.Buffer
	if code := runTLS([]string{"setup", "--gateway-dir", dir}, &out, &errs, time.Now); code != 0 {
		t.Fatalf("exit %d: %s", code, errs.String())
	}
	if !strings.Contains(out.String(), "Made a local certificate authority") || !strings.Contains(out.String(), `set "localCA": true`) {
		t.Errorf("first run said:\n%s", out.String())
	}
	out.Reset()
	if code := runTLS([]string{"setup", "--gateway-dir", dir}, &out, &errs, time.Now); code != 0 {
		t.Fatalf("exit %d: %s", code, errs.String())
	}
	if !strings.Contains(out.String(), "renewed by this command when less than 30 days are left") {
		t.Errorf("second run said:\n%s", out.String())
	}
	out.Reset()
	if code := runTLS([]string{"setup", "--gateway-dir", dir}, &out, &errs, func() time.Time { return time.Now().AddDate(1, 0, 15) }); code != 0 {
		t.Fatalf("exit %d: %s", code, errs.String())
	}
	if !strings.Contains(out.String(), "Renewed the gateway's certificate") {
		t.Errorf("a year later it said:\n%s", out.String())
	}
}

func TestTLSWithoutSetupOrGatewaySaysWhatToDo(t *testing.T) {
	headlessEnv(t)
	var out, errs bytes.Buffer
	if code := runTLS(nil, &out, &errs, time.Now); code != 2 || !strings.Contains(errs.String(), "ibkr-tray tls setup") {
		t.Errorf("no verb: exit %d, %q", code, errs.String())
	}
	errs.Reset()
	if code := runTLS([]string{"setup"}, &out, &errs, time.Now); code != 1 || !strings.Contains(errs.String(), "no gateway folder is configured; pass --gateway-dir") {
		t.Errorf("no gateway folder: exit %d, %q", code, errs.String())
	}
}

// Two profiles sharing one gateway folder each run `tls setup`: each has
// its own CA, so each gets its own keystore and conf copy, and the second
// setup leaves the first's keystore (and password) working.
func TestTLSSetupOfTwoProfilesSharingAFolderKeepsBoth(t *testing.T) {
	headlessEnv(t)
	dir, _ := simDist(t)
	var out, errs bytes.Buffer
	for _, p := range []string{"default", "paper"} {
		if code := runTLS([]string{"setup", "--profile", p, "--gateway-dir", dir}, &out, &errs, time.Now); code != 0 {
			t.Fatalf("%s: exit %d: %s", p, code, errs.String())
		}
	}
	d, err := gateway.CheckDist(dir)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]bool{}
	for _, p := range []string{"default", "paper"} {
		ks, err := gateway.ReadProfileOverlayKeystore(d, p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		files[ks.File] = true
		if _, err := localca.LoadKeystore(filepath.Join(dir, "root", ks.File), ks.Password); err != nil {
			t.Errorf("%s: its keystore %s does not open with its password: %v", p, ks.File, err)
		}
	}
	if !files[localca.KeystoreName] || !files["ibkr-tray-paper.jks"] {
		t.Errorf("the profiles' keystores are %v; want %s and ibkr-tray-paper.jks", files, localca.KeystoreName)
	}
}
