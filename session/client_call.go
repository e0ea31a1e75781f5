package session

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"
)

// answer is one HTTP answer, read whole (up to maxBody).
type answer struct {
	status   int
	location string
	body     []byte
}

// send makes one request to the gateway and reads the answer. path is
// absolute from the gateway root ("/v1/api/tickle", "/"). op names the
// call in errors and logs. A non-nil error is always a *Error.
func (c *Client) send(ctx context.Context, op, method, path string, in any) (answer, error) {
	start := time.Now()
	a, err := c.roundTrip(ctx, op, method, path, in)
	args := []any{"method", method, "path", path, "status", a.status, "duration", time.Since(start).Round(time.Microsecond)}
	if err != nil {
		args = append(args, "kind", KindOf(err).String())
	}
	// Bodies are never logged: login-related answers carry user names and
	// session ids.
	c.log.Debug("gateway call", args...)
	return a, err
}

func (c *Client) roundTrip(ctx context.Context, op, method, path string, in any) (answer, error) {
	callCtx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()

	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return answer{}, &Error{Kind: KindUnexpected, Op: op, Err: err, Msg: "the request could not be encoded"}
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(callCtx, method, c.BaseURL()+path, body)
	if err != nil {
		return answer{}, &Error{Kind: KindUnexpected, Op: op, Err: err, Msg: "the request could not be built"}
	}
	req.Header.Set("User-Agent", c.userAgent)
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}

	resp, err := c.http.Do(req)
	if err != nil {
		return answer{}, classifyTransport(ctx, op, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	a := answer{status: resp.StatusCode, location: resp.Header.Get("Location"), body: b}
	if err != nil { // the answer broke off
		e := classifyTransport(ctx, op, err)
		e.Status = resp.StatusCode
		return a, e
	}
	if err := callCtx.Err(); err != nil {
		// An answer that raced with the deadline is dropped: the transport
		// can hand back what a server wrote as it saw us hang up.
		return answer{}, classifyTransport(ctx, op, err)
	}
	if len(b) > maxBody {
		return a, &Error{Kind: KindMalformed, Op: op, Status: resp.StatusCode,
			Msg: fmt.Sprintf("the gateway's answer is larger than %d bytes; it is probably not the IBKR gateway", maxBody)}
	}
	return a, nil
}

// classifyTransport turns a failure to get an answer into a *Error. ctx is
// the caller's context: its cancellation is the caller's doing, not the
// gateway's.
func classifyTransport(ctx context.Context, op string, err error) *Error {
	e := &Error{Kind: KindUnexpected, Op: op, Err: err}
	var (
		netErr    net.Error
		opErr     *net.OpError
		verifyErr *tls.CertificateVerificationError
		unknownCA x509.UnknownAuthorityError
		hostErr   x509.HostnameError
		invalid   x509.CertificateInvalidError
		record    tls.RecordHeaderError
		alert     tls.AlertError
	)
	switch {
	case errors.Is(ctx.Err(), context.Canceled):
		e.Kind, e.Err = KindCanceled, ctx.Err()
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		e.Kind = KindTimeout
	case errors.Is(err, syscall.ECONNREFUSED):
		e.Kind = KindGatewayDown
	case errors.As(err, &verifyErr), errors.As(err, &unknownCA), errors.As(err, &hostErr), errors.As(err, &invalid):
		e.Kind = KindRefused
		e.Msg = "the gateway's certificate is not trusted for this address; give its CA in the settings (CA file), or use https://localhost:PORT for a gateway on this computer"
	case errors.As(err, &record), strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		// The transport turns the record error into a plain text error
		// when the bytes look like HTTP; the text is all there is.
		e.Kind = KindRefused
		e.Msg = "the gateway answers plain HTTP, not HTTPS; if it runs with --nossl, write the address with http://"
	case errors.As(err, &alert):
		e.Kind = KindRefused
		e.Msg = "the TLS handshake with the gateway failed; check the gateway's certificate settings"
	case errors.As(err, &opErr) && opErr.Op == "dial":
		// No route, unreachable host, or a refusal the OS spells its own
		// way: nothing answers there.
		e.Kind = KindGatewayDown
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET),
		strings.Contains(err.Error(), "server closed idle connection"): // net/http's unexported errServerClosedIdle
		e.Kind = KindGatewayDown
		e.Msg = "the gateway closed the connection without answering; it may have stopped, or it may expect https:// where http:// is set"
	}
	return e
}

// classifyAnswer turns an HTTP answer into an error, or nil when it is a
// 200 carrying data. Only 200 is data: the API does not use other 2xx.
func classifyAnswer(op string, a answer) error {
	kind, text, isAPIErr := apiError(a.body)
	switch {
	case a.status == http.StatusUnauthorized:
		return &Error{Kind: KindNoSession, Op: op, Status: a.status}
	case a.status == http.StatusTooManyRequests:
		return &Error{Kind: KindRateLimited, Op: op, Status: a.status}
	case a.status >= 500:
		return &Error{Kind: KindServerError, Op: op, Status: a.status}
	case a.status == http.StatusNotFound && bytes.Contains(a.body, []byte("Access Denied")):
		return &Error{Kind: KindAccessDenied, Op: op, Status: a.status}
	case isAPIErr && kind != KindUnexpected:
		return &Error{Kind: kind, Op: op, Status: a.status}
	case isAPIErr:
		return &Error{Kind: KindUnexpected, Op: op, Status: a.status,
			Msg: fmt.Sprintf("the gateway answered with an error: %q", clip(text, 200))}
	case a.status >= 300 && a.status < 400:
		return &Error{Kind: KindUnexpected, Op: op, Status: a.status,
			Msg: fmt.Sprintf("the gateway redirected the call (HTTP %d) instead of answering; the session may need a login", a.status)}
	case a.status != http.StatusOK:
		return &Error{Kind: KindUnexpected, Op: op, Status: a.status}
	}
	return nil
}

// clip shortens s to at most n bytes for messages, on a rune boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// call makes an API call (path relative to /v1/api) and returns the body
// of a good answer.
func (c *Client) call(ctx context.Context, method, path string, in any) ([]byte, error) {
	op := method + " " + path
	a, err := c.send(ctx, op, method, apiPrefix+path, in)
	if err != nil {
		return nil, err
	}
	if err := classifyAnswer(op, a); err != nil {
		return nil, err
	}
	return a.body, nil
}

// malformed wraps a decoding failure.
func malformed(op string, err error) error {
	return &Error{Kind: KindMalformed, Op: op, Status: http.StatusOK, Err: err}
}
