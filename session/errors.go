package session

import (
	"errors"
	"fmt"
)

// ErrorKind classifies a failed gateway call so callers can decide what to
// do next (retry, re-authenticate, log in, restart the gateway, give up).
type ErrorKind int

// Error kinds. The zero value is never used for a real error.
const (
	KindUnknown      ErrorKind = 0
	KindGatewayDown  ErrorKind = 1  // connection refused: the gateway is not running
	KindTimeout      ErrorKind = 2  // no answer in time: gateway hung or IBKR unreachable
	KindNoSession    ErrorKind = 3  // 401, or {"error":"no session"}
	KindNotLoggedIn  ErrorKind = 4  // {"error":"not logged in"}
	KindRateLimited  ErrorKind = 5  // 429
	KindServerError  ErrorKind = 6  // 5xx from IBKR through the gateway
	KindAccessDenied ErrorKind = 7  // 404 "Access Denied": source address not allowed
	KindMalformed    ErrorKind = 8  // an answer we could not decode
	KindRefused      ErrorKind = 9  // we refused to talk: non-loopback URL, bad TLS
	KindUnexpected   ErrorKind = 10 // an answer that fits none of the above
	KindCanceled     ErrorKind = 11 // the caller's context was canceled (shutting down); not the gateway's fault
)

func (k ErrorKind) String() string {
	switch k {
	case KindGatewayDown:
		return "gateway-down"
	case KindTimeout:
		return "timeout"
	case KindNoSession:
		return "no-session"
	case KindNotLoggedIn:
		return "not-logged-in"
	case KindRateLimited:
		return "rate-limited"
	case KindServerError:
		return "server-error"
	case KindAccessDenied:
		return "access-denied"
	case KindMalformed:
		return "malformed"
	case KindRefused:
		return "refused"
	case KindUnexpected:
		return "unexpected"
	case KindCanceled:
		return "canceled"
	}
	return "unknown"
}

// Error is a failed gateway call. Its message is a sentence a person
// understands; Err keeps the underlying cause for logs.
type Error struct {
	Kind   ErrorKind
	Op     string // the endpoint, e.g. "POST /tickle"
	Status int    // HTTP status, 0 when there was no answer
	Err    error
	// Msg, when set, replaces the kind's standard sentence with one that
	// says more about this case (e.g. how to allow a remote gateway).
	Msg string
}

func (e *Error) Error() string {
	what := e.sentence()
	if e.Err != nil {
		return fmt.Sprintf("%s: %s (%v)", e.Op, what, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Op, what)
}

func (e *Error) Unwrap() error { return e.Err }

func (e *Error) sentence() string {
	if e.Msg != "" {
		return e.Msg
	}
	switch e.Kind {
	case KindGatewayDown:
		return "the gateway is not running (nothing answers on its port); start it, or check the port in the settings"
	case KindTimeout:
		return "the gateway did not answer in time; it may be hung, or IBKR may be unreachable from this computer"
	case KindNoSession:
		return "there is no session with IBKR; log in on the gateway's login page"
	case KindNotLoggedIn:
		return "not logged in to IBKR; log in on the gateway's login page first"
	case KindRateLimited:
		return "IBKR is rate-limiting requests (HTTP 429); slowing down"
	case KindServerError:
		return fmt.Sprintf("IBKR answered with a server error (HTTP %d); it is often restarting, try again shortly", e.Status)
	case KindAccessDenied:
		return "the gateway denied access to this address; add it to ips.allow in the gateway's conf.yaml"
	case KindMalformed:
		return "the gateway's answer could not be read; it may be a different program on that port, or a newer gateway this version does not understand"
	case KindRefused:
		return "refused to connect to the gateway: its address or certificate is not one this app trusts; check the gateway address in the settings"
	case KindUnexpected:
		return fmt.Sprintf("the gateway gave an unexpected answer (HTTP %d)", e.Status)
	case KindCanceled:
		return "the call was canceled"
	}
	return "failed"
}

// KindOf returns the kind of a gateway error, or KindUnknown.
func KindOf(err error) ErrorKind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindUnknown
}
