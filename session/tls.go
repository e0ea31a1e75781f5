package session

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
)

// trust is how the client checks the gateway's certificate.
type trust int

const (
	// trustLoopback accepts any certificate: see loopbackTLS.
	trustLoopback trust = 1
	// trustRoots verifies the certificate against the system roots plus the
	// user's CA file, and the host name against it.
	trustRoots trust = 2
)

func (t trust) String() string {
	switch t {
	case trustLoopback:
		return "loopback"
	case trustRoots:
		return "roots"
	}
	return "unknown"
}

// verifyMode is the TLS policy for a gateway host (a name or an IP
// literal, without port or brackets).
func verifyMode(host string) trust {
	if isLoopback(host) {
		return trustLoopback
	}
	return trustRoots
}

// isLoopback reports whether host is this computer: the name "localhost"
// or a loopback address (127.0.0.0/8, ::1, and IPv4-mapped 127.x). Any
// other name counts as remote; names are never looked up, so a DNS answer
// cannot make a remote host look local.
func isLoopback(host string) bool {
	host = strings.TrimSuffix(host, ".")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	return addr.Unmap().IsLoopback()
}

// tlsConfig builds the client TLS settings for host.
func tlsConfig(host string, roots *x509.CertPool) *tls.Config {
	if verifyMode(host) == trustLoopback {
		return loopbackTLS()
	}
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		RootCAs:    roots,
		ServerName: host,
	}
}

// loopbackTLS accepts the gateway's certificate without checking it. The
// gateway ships a self-signed certificate (root/vertx.jks, CN "Client
// Portal Web API") that expired in 2019, and users rarely replace it, so a
// verifying client could never talk to a stock gateway. The connection
// never leaves this computer (the dialer only dials loopback for these
// hosts), so the check would protect against nothing but other programs on
// the same machine. This is the only place the API client skips
// verification (the supervisor's probe and the demo's fault injector, which
// also only dial 127.0.0.1, do the same for the same reason).
func loopbackTLS() *tls.Config {
	return &tls.Config{
		MinVersion:         tls.VersionTLS12,
		InsecureSkipVerify: true, //nolint:gosec // loopback only: see the doc comment
	}
}

// loadRoots returns the system roots plus the certificates in caFile (when
// given); its errors are *Error of KindRefused. The file is read even for loopback gateways so that a typo in the
// settings is reported at once rather than when the address changes.
func loadRoots(caFile string) (*x509.CertPool, error) {
	roots, err := x509.SystemCertPool()
	if err != nil || roots == nil {
		roots = x509.NewCertPool()
	}
	if caFile == "" {
		return roots, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, &Error{Kind: KindRefused, Op: "connect", Err: err,
			Msg: fmt.Sprintf("the CA file %s cannot be read; fix the path in the settings or clear it", caFile)}
	}
	if !roots.AppendCertsFromPEM(pem) {
		return nil, &Error{Kind: KindRefused, Op: "connect",
			Msg: fmt.Sprintf("the CA file %s holds no PEM certificates; give a file with -----BEGIN CERTIFICATE----- blocks", caFile)}
	}
	return roots, nil
}

// dialFunc dials like net.Dialer.DialContext.
type dialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// loopbackDialer dials "localhost" as 127.0.0.1, then ::1, without asking
// the resolver: the gateway binds IPv4 only, and a hosts file that maps
// localhost elsewhere must not carry our unverified TLS off this computer.
// Other addresses are dialled as given.
func loopbackDialer(d *net.Dialer) dialFunc {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(addr)
		if err != nil || !strings.EqualFold(strings.TrimSuffix(host, "."), "localhost") {
			return d.DialContext(ctx, network, addr)
		}
		conn, err4 := d.DialContext(ctx, "tcp4", net.JoinHostPort("127.0.0.1", port))
		if err4 == nil || ctx.Err() != nil {
			return conn, err4
		}
		conn, err6 := d.DialContext(ctx, "tcp6", net.JoinHostPort("::1", port))
		if err6 == nil {
			return conn, nil
		}
		return nil, err4 // the IPv4 error: that is where the gateway listens
	}
}
