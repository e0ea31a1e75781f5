package gateway

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// portUse is what answers on the gateway's port before we start one.
type portUse int

const (
	portFree    portUse = 1 // nothing listens
	portGateway portUse = 2 // a Client Portal Gateway answers
	portOther   portUse = 3 // something else listens (on macOS 5000: AirPlay)
)

// prober asks GET / of a gateway on loopback. The gateway's own
// certificate is self-signed (and the bundled one expired in 2019), so it
// is not verified: the address is always 127.0.0.1.
type prober struct {
	client *http.Client
}

func newProber() *prober {
	tr := &http.Transport{
		TLSClientConfig:   &tls.Config{InsecureSkipVerify: true}, // loopback only, see above
		DisableKeepAlives: true,                                  // each probe proves the gateway still accepts
		Proxy:             nil,                                   // never through a proxy from the environment
	}
	return &prober{client: &http.Client{
		Transport: tr,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}}
}

// probeURL is where the supervisor asks; 127.0.0.1 because the real
// gateway binds IPv4 only.
func probeURL(scheme string, port int) string {
	return scheme + "://127.0.0.1:" + strconv.Itoa(port) + "/"
}

// gateway asks GET / and reports whether a gateway answered: a 302 to
// /sso/Login. The error says what answered instead.
func (p *prober) gateway(ctx context.Context, url string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := p.client.Do(req)
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return fmt.Errorf("GET / did not answer within %s", timeout)
		}
		return err
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusFound && strings.Contains(resp.Header.Get("Location"), "/sso/Login") {
		return nil
	}
	return fmt.Errorf("GET / answered %s, not the gateway's redirect to /sso/Login", resp.Status)
}

// probePort finds out what listens on the port: nothing, a gateway, or
// another program (with what it answered).
func (p *prober) probePort(ctx context.Context, scheme string, port int, timeout time.Duration) (portUse, error) {
	d := net.Dialer{Timeout: timeout}
	conn, err := d.DialContext(ctx, "tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		if connRefused(err, runtime.GOOS) {
			return portFree, nil
		}
		return portOther, fmt.Errorf("connecting to it failed: %v", err)
	}
	conn.Close()
	if err := p.gateway(ctx, probeURL(scheme, port), timeout); err != nil {
		return portOther, err
	}
	return portGateway, nil
}
