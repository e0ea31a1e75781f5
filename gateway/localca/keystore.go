package localca

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/pavlo-v-chernykh/keystore-go/v4"
)

// keyAlias is the keystore entry the gateway's certificate sits under. The
// gateway takes the first key entry; there is only one.
const keyAlias = "ibkr-tray"

// encodeJKS writes server (with the CA after it, as the chain a client is
// shown) as a Java KeyStore (JKS) protected by password. The key entry has
// the same password as the store: vert.x's JksOptions opens both with the
// one sslPwd.
//
// JKS rather than PKCS#12: the gateway's conf names its keystore
// "vertx.jks", and a real JKS file loads on every Java the gateway runs
// on, whatever keystore.type and keystore.type.compat say.
func encodeJKS(server, ca pair, password []byte, now time.Time) ([]byte, error) {
	pk, err := x509.MarshalPKCS8PrivateKey(server.key)
	if err != nil {
		return nil, err
	}
	ks := keystore.New()
	entry := keystore.PrivateKeyEntry{
		CreationTime: now,
		PrivateKey:   pk,
		CertificateChain: []keystore.Certificate{
			{Type: "X509", Content: server.cert.Raw},
			{Type: "X509", Content: ca.cert.Raw},
		},
	}
	if err := ks.SetPrivateKeyEntry(keyAlias, entry, password); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := ks.Store(&buf, password); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// LoadKeystore reads the first private key entry of a JKS file, as the
// gateway does with sslCert and sslPwd, and returns it ready to serve.
func LoadKeystore(path, password string) (tls.Certificate, error) {
	f, err := os.Open(path)
	if err != nil {
		return tls.Certificate{}, err
	}
	defer f.Close()
	ks := keystore.New()
	if err := ks.Load(f, []byte(password)); err != nil {
		return tls.Certificate{}, fmt.Errorf("%s is not a Java keystore that opens with sslPwd: %w", path, err)
	}
	for _, alias := range ks.Aliases() {
		if !ks.IsPrivateKeyEntry(alias) {
			continue
		}
		e, err := ks.GetPrivateKeyEntry(alias, []byte(password))
		if err != nil {
			return tls.Certificate{}, fmt.Errorf("the key %q in %s does not open with sslPwd: %w", alias, path, err)
		}
		key, err := x509.ParsePKCS8PrivateKey(e.PrivateKey)
		if err != nil {
			return tls.Certificate{}, fmt.Errorf("the key %q in %s cannot be read: %w", alias, path, err)
		}
		c := tls.Certificate{PrivateKey: key}
		for _, cc := range e.CertificateChain {
			c.Certificate = append(c.Certificate, cc.Content)
		}
		if len(c.Certificate) == 0 {
			return tls.Certificate{}, fmt.Errorf("the key %q in %s has no certificate", alias, path)
		}
		if c.Leaf, err = x509.ParseCertificate(c.Certificate[0]); err != nil {
			return tls.Certificate{}, fmt.Errorf("the certificate of %q in %s cannot be read: %w", alias, path, err)
		}
		return c, nil
	}
	return tls.Certificate{}, errors.New(path + " holds no private key entry")
}

// newPassword is a random keystore password: 24 bytes from crypto/rand,
// in characters that need no quoting in YAML.
func newPassword() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
