package localca

import (
	"crypto/x509"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestSetupMakesACAAndAKeystoreThatVerifiesForEveryLoopbackName(t *testing.T) {
	state, root := t.TempDir(), t.TempDir()
	now := time.Now()
	r, err := Setup(state, root, now)
	if err != nil {
		t.Fatal(err)
	}
	if !r.NewCA || !r.Renewed {
		t.Errorf("a first setup should make both: %+v", r)
	}
	if len(r.Password) < 32 {
		t.Errorf("password of %d characters, want a long random one", len(r.Password))
	}
	for path, want := range map[string]os.FileMode{
		r.Keystore: 0o600, CAPath(state): 0o644,
		filepath.Join(state, "tls", "ca-key.pem"):     0o600,
		filepath.Join(state, "tls", "server-key.pem"): 0o600,
	} {
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != want {
			t.Errorf("%s has mode %v, want %v", path, st.Mode().Perm(), want)
		}
	}
	cert, err := LoadKeystore(r.Keystore, r.Password)
	if err != nil {
		t.Fatal(err)
	}
	if len(cert.Certificate) != 2 {
		t.Errorf("chain of %d certificates, want the server's and the CA's", len(cert.Certificate))
	}
	caPEM, _ := os.ReadFile(r.CAFile)
	if err := Verify(caPEM, cert.Leaf, now); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadKeystore(r.Keystore, "wrong"); err == nil {
		t.Error("the keystore opened with a wrong password")
	}
}

func TestSetupKeepsTheCertificateUntilThirtyDaysAreLeft(t *testing.T) {
	state, root := t.TempDir(), t.TempDir()
	now := time.Now()
	first, err := Setup(state, root, now)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Setup(state, root, now.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if again.NewCA || again.Renewed || !again.NotAfter.Equal(first.NotAfter) {
		t.Errorf("a second setup a day later remade something: %+v", again)
	}
	if again.Password == first.Password {
		t.Error("the keystore password was not changed")
	}
	late := first.NotAfter.Add(-29 * 24 * time.Hour)
	renewed, err := Setup(state, root, late)
	if err != nil {
		t.Fatal(err)
	}
	if renewed.NewCA || !renewed.Renewed || !renewed.NotAfter.After(first.NotAfter) {
		t.Errorf("29 days before expiry the certificate should be renewed under the same CA: %+v", renewed)
	}
	cert, err := LoadKeystore(renewed.Keystore, renewed.Password)
	if err != nil {
		t.Fatal(err)
	}
	caPEM, _ := os.ReadFile(renewed.CAFile)
	if err := Verify(caPEM, cert.Leaf, late); err != nil {
		t.Fatal(err)
	}
}

func TestSetupReissuesACertificateTheCADidNotSign(t *testing.T) {
	state, root := t.TempDir(), t.TempDir()
	now := time.Now()
	if _, err := Setup(state, root, now); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"ca.pem", "ca-key.pem"} {
		if err := os.Remove(filepath.Join(state, "tls", f)); err != nil {
			t.Fatal(err)
		}
	}
	r, err := Setup(state, root, now)
	if err != nil {
		t.Fatal(err)
	}
	if !r.NewCA || !r.Renewed {
		t.Fatalf("a new CA must come with a new server certificate: %+v", r)
	}
	cert, _ := LoadKeystore(r.Keystore, r.Password)
	caPEM, _ := os.ReadFile(r.CAFile)
	if err := Verify(caPEM, cert.Leaf, now); err != nil {
		t.Fatal(err)
	}
}

func TestTheCACannotVouchForOtherSites(t *testing.T) {
	now := time.Now()
	ca, err := newCA(now)
	if err != nil {
		t.Fatal(err)
	}
	other, err := newServer(ca, now)
	if err != nil {
		t.Fatal(err)
	}
	// Re-sign a certificate for another name with the CA's key.
	tmpl := *other.cert
	tmpl.DNSNames = []string{"api.ibkr.com"}
	tmpl.IPAddresses = nil
	bad, err := sign(&tmpl, ca.cert, other.key, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca.cert)
	_, err = bad.cert.Verify(x509.VerifyOptions{DNSName: "api.ibkr.com", Roots: roots, CurrentTime: now})
	if _, ok := err.(x509.CertificateInvalidError); !ok {
		t.Fatalf("a certificate for api.ibkr.com signed by the local CA: got %v, want a name constraint error", err)
	}
}
