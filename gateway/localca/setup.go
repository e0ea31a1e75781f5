package localca

import (
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/ibkr-tray/ibkr-tray/gateway/fsutil"
)

// KeystoreName is the gateway's keystore, in the distribution's root/
// folder next to the bundled vertx.jks; conf.ibkr-tray.yaml names it in
// sslCert (the gateway resolves it relative to root/).
const KeystoreName = "ibkr-tray.jks"

// KeystoreFor is a profile's keystore name: each profile has its own CA
// and keystore password, so two profiles sharing one gateway folder must
// not write the same file ("ibkr-tray-PROFILE.jks"; the default profile
// keeps KeystoreName).
func KeystoreFor(profile string) string {
	if profile == "" || profile == "default" {
		return KeystoreName
	}
	return "ibkr-tray-" + profile + ".jks"
}

// Files in the state folder's tls/ sub-folder.
const (
	dirName       = "tls"
	caFile        = "ca.pem"
	caKeyFile     = "ca-key.pem"
	serverFile    = "server.pem"
	serverKeyFile = "server-key.pem"
)

// CAPath is the CA certificate programs verify the gateway with.
func CAPath(stateDir string) string { return filepath.Join(stateDir, dirName, caFile) }

// Result is what Setup made.
type Result struct {
	CAFile   string    // the CA certificate (PEM), for curl --cacert and requests' verify
	Keystore string    // the gateway's keystore (absolute path)
	Password string    // the keystore's password: for conf.ibkr-tray.yaml only, never logged
	NotAfter time.Time // when the server certificate expires
	NewCA    bool      // the CA was made now (programs must be given the new file)
	Renewed  bool      // the server certificate was made now
}

// Setup makes the CA if there is none in stateDir/tls, a server
// certificate if there is none or it expires within RenewBefore (or was
// not signed by this CA), and writes the keystore into rootDir (the
// gateway distribution's root/ folder) under a new random password. Keys
// and the keystore are mode 0600.
func Setup(stateDir, rootDir string, now time.Time) (Result, error) {
	return SetupKeystore(stateDir, rootDir, KeystoreName, now)
}

// SetupKeystore is Setup writing the keystore as rootDir/keystore
// (KeystoreFor the profile).
func SetupKeystore(stateDir, rootDir, keystore string, now time.Time) (Result, error) {
	dir := filepath.Join(stateDir, dirName)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return Result{}, fmt.Errorf("cannot make the folder %s for the local certificate authority: %w", dir, err)
	}
	r := Result{CAFile: filepath.Join(dir, caFile), Keystore: filepath.Join(rootDir, keystore)}
	ca, err := loadPair(dir, caFile, caKeyFile)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if ca, err = newCA(now); err != nil {
			return Result{}, fmt.Errorf("cannot make the local certificate authority: %w", err)
		}
		if err := savePair(dir, caFile, caKeyFile, ca); err != nil {
			return Result{}, err
		}
		r.NewCA = true
	case err != nil:
		return Result{}, fmt.Errorf("the local certificate authority in %s cannot be read (%v); move the folder aside and run ibkr-tray tls setup again to make a new one (programs then need the new ca.pem)", dir, err)
	}
	server, err := loadPair(dir, serverFile, serverKeyFile)
	if err != nil || !usable(server, ca, now) {
		if server, err = newServer(ca, now); err != nil {
			return Result{}, fmt.Errorf("cannot make the gateway's certificate: %w", err)
		}
		if err := savePair(dir, serverFile, serverKeyFile, server); err != nil {
			return Result{}, err
		}
		r.Renewed = true
	}
	r.NotAfter = server.cert.NotAfter
	if r.Password, err = newPassword(); err != nil {
		return Result{}, fmt.Errorf("cannot make a keystore password: %w", err)
	}
	jks, err := encodeJKS(server, ca, []byte(r.Password), now)
	if err != nil {
		return Result{}, fmt.Errorf("cannot make the gateway's keystore: %w", err)
	}
	if err := fsutil.WriteFile(r.Keystore, jks, 0o600); err != nil {
		return Result{}, fmt.Errorf("cannot write the gateway's keystore %s: %w", r.Keystore, err)
	}
	return r, nil
}

// usable: signed by ca, and valid for more than RenewBefore from now.
func usable(server, ca pair, now time.Time) bool {
	if server.cert.CheckSignatureFrom(ca.cert) != nil {
		return false
	}
	return now.After(server.cert.NotBefore) && server.cert.NotAfter.Sub(now) > RenewBefore
}

// Verify checks, as a client with only the CA would, that the certificate
// serves every loopback name. Setup's tests and `tls setup` use it.
func Verify(caPEM []byte, leaf *x509.Certificate, now time.Time) error {
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(caPEM) {
		return errors.New("the CA file holds no certificate")
	}
	for _, name := range []string{"localhost", "127.0.0.1", "::1"} {
		if _, err := leaf.Verify(x509.VerifyOptions{DNSName: name, Roots: roots, CurrentTime: now}); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}

func loadPair(dir, certName, keyName string) (pair, error) {
	cb, err := os.ReadFile(filepath.Join(dir, certName))
	if err != nil {
		return pair{}, err
	}
	kb, err := os.ReadFile(filepath.Join(dir, keyName))
	if err != nil {
		return pair{}, err
	}
	p, err := parsePair(cb, kb)
	if err != nil {
		return pair{}, fmt.Errorf("%s and %s: %w", certName, keyName, err)
	}
	return p, nil
}

// savePair writes the key (0600) before the certificate (0644), so a
// certificate on disk always has its key.
func savePair(dir, certName, keyName string, p pair) error {
	kp, err := keyPEM(p.key)
	if err != nil {
		return err
	}
	if err := fsutil.WriteFile(filepath.Join(dir, keyName), kp, 0o600); err != nil {
		return fmt.Errorf("cannot write %s: %w", filepath.Join(dir, keyName), err)
	}
	if err := fsutil.WriteFile(filepath.Join(dir, certName), certPEM(p.cert), 0o644); err != nil {
		return fmt.Errorf("cannot write %s: %w", filepath.Join(dir, certName), err)
	}
	return nil
}
