package login

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/url"
	"time"
)

// The gateway on this computer serves a self-signed certificate (the stock
// one expired in 2019), so the login browser cannot check it the usual way.
// Rather than ignore certificate errors for every site, the browser trusts
// exactly the key the gateway presents now: Chromium's
// --ignore-certificate-errors-spki-list takes base64 SHA-256 hashes of
// SubjectPublicKeyInfo (RFC 7469's pin format) and ignores errors only for
// chains holding one of those keys. Chromium documents that it needs
// --user-data-dir, which the login browser always has (a fresh profile).

// certFetchTimeout bounds the TLS handshake that reads the certificate.
const certFetchTimeout = 10 * time.Second

// spkiHash is the base64 SHA-256 of the certificate's SubjectPublicKeyInfo.
func spkiHash(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// gatewayKey reads the certificate the gateway at pageURL presents and
// returns its SPKI hash; "" for plain http, where there is nothing to trust.
// A gateway on this computer only: the key is taken on trust from whoever
// listens on the port, as the browser would, so any other host is refused.
func gatewayKey(ctx context.Context, pageURL string) (string, error) {
	u, err := url.Parse(pageURL)
	if err != nil {
		return "", err
	}
	if u.Scheme != "https" {
		return "", nil
	}
	if !isLoopback(u.Hostname()) {
		return "", &Error{Kind: Unknown, Msg: fmt.Sprintf(
			"The gateway address %s is not on this computer, so its certificate is not taken on trust; give the login browser a certificate it can verify.", u.Host)}
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), "443")
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, certFetchTimeout)
	defer cancel()
	d := tls.Dialer{Config: &tls.Config{
		// Not a check: the point is to read the self-signed leaf, whose
		// key alone the browser will then accept.
		InsecureSkipVerify: true, //nolint:gosec
		ServerName:         u.Hostname(),
	}}
	conn, err := d.DialContext(ctx, "tcp", host)
	if err != nil && errors.Is(parent.Err(), context.DeadlineExceeded) {
		return "", &Error{Kind: Timeout, Msg: "The login did not finish in time: the gateway's certificate could not be read. The gateway may be slow; it will be tried again.", Err: err}
	}
	if err != nil {
		return "", &Error{Kind: Unknown, Msg: fmt.Sprintf(
			"The gateway at %s did not answer over HTTPS, so the login browser cannot learn its certificate; check that the gateway is running (or that its address uses http:// if it runs without SSL).",
			u.Host), Err: err}
	}
	defer conn.Close()
	certs := conn.(*tls.Conn).ConnectionState().PeerCertificates
	if len(certs) == 0 {
		return "", &Error{Kind: Unknown, Msg: fmt.Sprintf("The gateway at %s presented no certificate; check its SSL settings in conf.yaml.", u.Host)}
	}
	return spkiHash(certs[0]), nil
}
