package localca

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"time"
)

// RSA 2048: every Java the gateway runs on (8 and newer) and every client
// library accepts it; ECDSA keys in a JKS have tripped old Java 8 builds.
const keyBits = 2048

// CAValidity and ServerValidity are how long new certificates last.
// 397 days is the longest that browsers and Apple clients accept for a
// server certificate.
const (
	CAValidity     = 10 * 365 * 24 * time.Hour
	ServerValidity = 397 * 24 * time.Hour
	// RenewBefore: a server certificate with less left is replaced.
	RenewBefore = 30 * 24 * time.Hour
)

// Subjects of the certificates, so users can tell them apart in a browser's
// certificate viewer.
const (
	caName     = "ibkr-tray local CA"
	serverName = "ibkr-tray gateway (localhost)"
)

// pair is a certificate and its private key.
type pair struct {
	cert *x509.Certificate
	key  *rsa.PrivateKey
}

// newKey is a fresh key and serial number for a new certificate.
func newKey() (*rsa.PrivateKey, *big.Int, error) {
	key, err := rsa.GenerateKey(rand.Reader, keyBits)
	if err != nil {
		return nil, nil, err
	}
	// 126 random bits: positive, and within the 20 octets RFC 5280 allows.
	sn, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 126))
	return key, sn, err
}

func keyID(pub crypto.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(der)
	return sum[:20], nil
}

// newCA makes a self-signed CA that may only sign server certificates for
// this computer (name constraints: localhost and the loopback addresses),
// so a stolen CA key cannot vouch for any other site.
func newCA(now time.Time) (pair, error) {
	key, sn, err := newKey()
	if err != nil {
		return pair{}, err
	}
	ski, err := keyID(&key.PublicKey)
	if err != nil {
		return pair{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:                sn,
		Subject:                     pkix.Name{CommonName: caName, Organization: []string{"ibkr-tray"}},
		NotBefore:                   now.Add(-time.Hour),
		NotAfter:                    now.Add(CAValidity),
		KeyUsage:                    x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid:       true,
		IsCA:                        true,
		MaxPathLenZero:              true,
		SubjectKeyId:                ski,
		PermittedDNSDomainsCritical: true,
		PermittedDNSDomains:         []string{"localhost"},
		PermittedIPRanges: []*net.IPNet{
			{IP: net.IPv4(127, 0, 0, 0).To4(), Mask: net.CIDRMask(8, 32)},
			{IP: net.IPv6loopback, Mask: net.CIDRMask(128, 128)},
		},
	}
	return sign(tmpl, tmpl, key, key)
}

// newServer makes the gateway's certificate for localhost, 127.0.0.1 and
// ::1, signed by ca.
func newServer(ca pair, now time.Time) (pair, error) {
	key, sn, err := newKey()
	if err != nil {
		return pair{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          sn,
		Subject:               pkix.Name{CommonName: serverName, Organization: []string{"ibkr-tray"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(ServerValidity),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		AuthorityKeyId:        ca.cert.SubjectKeyId,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1).To4(), net.IPv6loopback},
	}
	return sign(tmpl, ca.cert, key, ca.key)
}

func sign(tmpl, parent *x509.Certificate, key, parentKey *rsa.PrivateKey) (pair, error) {
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		return pair{}, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return pair{}, err
	}
	return pair{cert: cert, key: key}, nil
}

func certPEM(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

func keyPEM(k *rsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// parsePair reads a certificate and its RSA key from PEM.
func parsePair(certPEMBytes, keyPEMBytes []byte) (pair, error) {
	cb, _ := pem.Decode(certPEMBytes)
	if cb == nil || cb.Type != "CERTIFICATE" {
		return pair{}, errors.New("no PEM certificate in it")
	}
	cert, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return pair{}, err
	}
	kb, _ := pem.Decode(keyPEMBytes)
	if kb == nil {
		return pair{}, errors.New("no PEM private key in it")
	}
	k, err := x509.ParsePKCS8PrivateKey(kb.Bytes)
	if err != nil {
		return pair{}, err
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return pair{}, fmt.Errorf("the key is a %T, not RSA", k)
	}
	if !rk.PublicKey.Equal(cert.PublicKey) {
		return pair{}, errors.New("the key does not belong to the certificate")
	}
	return pair{cert: cert, key: rk}, nil
}
