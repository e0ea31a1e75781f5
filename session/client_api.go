package session

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Tickle keeps the session alive (POST /tickle) and reports the SSO time
// left and, when the answer carries it, the brokerage status.
func (c *Client) Tickle(ctx context.Context) (Tickle, error) {
	const op = "POST /tickle"
	b, err := c.call(ctx, http.MethodPost, "/tickle", nil)
	if err != nil {
		return Tickle{}, err
	}
	t, err := decodeTickle(b)
	if err != nil {
		return Tickle{}, malformed(op, err)
	}
	return t, nil
}

// AuthStatus asks for the brokerage session status (POST
// /iserver/auth/status).
func (c *Client) AuthStatus(ctx context.Context) (AuthStatus, error) {
	return c.authStatusCall(ctx, "/iserver/auth/status", nil)
}

// InitBrokerage opens the brokerage session (POST /iserver/auth/ssodh/init).
// With compete it takes the session over from another platform (TWS,
// mobile, WebTrader) that holds it.
func (c *Client) InitBrokerage(ctx context.Context, compete bool) (AuthStatus, error) {
	return c.authStatusCall(ctx, "/iserver/auth/ssodh/init", map[string]bool{"publish": true, "compete": compete})
}

func (c *Client) authStatusCall(ctx context.Context, path string, in any) (AuthStatus, error) {
	b, err := c.call(ctx, http.MethodPost, path, in)
	if err != nil {
		return AuthStatus{}, err
	}
	a, err := decodeAuthStatus(b)
	if err != nil {
		return AuthStatus{}, malformed("POST "+path, err)
	}
	return a, nil
}

// Validate checks the SSO session (GET /sso/validate): who is logged in,
// live or paper, and how long the session has left. IBKR allows this once
// a minute.
func (c *Client) Validate(ctx context.Context) (SSOValidate, error) {
	const op = "GET /sso/validate"
	b, err := c.call(ctx, http.MethodGet, "/sso/validate", nil)
	if err != nil {
		return SSOValidate{}, err
	}
	v, err := decodeValidate(b)
	if err != nil {
		return SSOValidate{}, malformed(op, err)
	}
	return v, nil
}

// Reauthenticate asks the gateway to rebuild the brokerage session from the
// SSO session (POST /iserver/reauthenticate). It returns at once; the
// session comes back seconds later. Without an SSO session it fails with
// KindNotLoggedIn: a browser login is needed.
func (c *Client) Reauthenticate(ctx context.Context) error {
	const op = "POST /iserver/reauthenticate"
	b, err := c.call(ctx, http.MethodPost, "/iserver/reauthenticate", nil)
	if err != nil {
		return err
	}
	if _, err := decodeReauthenticate(b); err != nil {
		return malformed(op, err)
	}
	return nil
}

// Logout ends the SSO session (POST /logout).
func (c *Client) Logout(ctx context.Context) error {
	const op = "POST /logout"
	b, err := c.call(ctx, http.MethodPost, "/logout", nil)
	if err != nil {
		return err
	}
	ok, err := decodeLogout(b)
	if err != nil {
		return malformed(op, err)
	}
	if !ok {
		return &Error{Kind: KindUnexpected, Op: op, Status: http.StatusOK,
			Msg: "the gateway did not confirm the logout; the session may still be open"}
	}
	return nil
}

// Accounts lists the brokerage accounts and the selected one (GET
// /iserver/accounts).
func (c *Client) Accounts(ctx context.Context) (Accounts, error) {
	const op = "GET /iserver/accounts"
	b, err := c.call(ctx, http.MethodGet, "/iserver/accounts", nil)
	if err != nil {
		return Accounts{}, err
	}
	a, err := decodeAccounts(b)
	if err != nil {
		return Accounts{}, malformed(op, err)
	}
	return a, nil
}

// SelectAccount switches the selected account of a multi-account user
// (POST /iserver/account).
func (c *Client) SelectAccount(ctx context.Context, id string) error {
	const op = "POST /iserver/account"
	b, err := c.call(ctx, http.MethodPost, "/iserver/account", map[string]string{"acctId": id})
	if err != nil {
		return err
	}
	set, err := decodeSelectAccount(b)
	if err != nil {
		return malformed(op, err)
	}
	if !set {
		return &Error{Kind: KindUnexpected, Op: op, Status: http.StatusOK,
			Msg: fmt.Sprintf("the gateway did not switch to account %s; check that the account belongs to this login", id)}
	}
	return nil
}

// PortfolioAccounts lists the accounts with their titles and currencies
// (GET /portfolio/accounts). IBKR allows this once every 5 seconds.
func (c *Client) PortfolioAccounts(ctx context.Context) ([]PortfolioAccount, error) {
	const op = "GET /portfolio/accounts"
	b, err := c.call(ctx, http.MethodGet, "/portfolio/accounts", nil)
	if err != nil {
		return nil, err
	}
	p, err := decodePortfolioAccounts(b)
	if err != nil {
		return nil, malformed(op, err)
	}
	return p, nil
}

// Ping checks that the gateway process answers, without touching IBKR:
// GET / must redirect to the login page (the gateway answers that itself).
// nil means the gateway is alive, whatever the state of the session; a
// proxied call that then times out means IBKR is unreachable.
func (c *Client) Ping(ctx context.Context) error {
	const op = "GET /"
	a, err := c.send(ctx, op, http.MethodGet, "/", nil)
	if err != nil {
		return err
	}
	if a.status >= 300 && a.status < 400 {
		loc, ok := c.loginLocation(a.location)
		if ok {
			c.loginURL.Store(&loc)
			return nil
		}
	}
	if err := classifyAnswer(op, a); err != nil && KindOf(err) != KindUnexpected {
		return err
	}
	return &Error{Kind: KindUnexpected, Op: op, Status: a.status,
		Msg: fmt.Sprintf("something answers at %s but it does not look like the IBKR gateway (HTTP %d without a redirect to the login page); check the port", c.BaseURL(), a.status)}
}

// loginLocation resolves a redirect from GET / against the gateway's
// address and reports whether it is the login page on the same gateway.
func (c *Client) loginLocation(loc string) (string, bool) {
	if loc == "" {
		return "", false
	}
	base, _ := url.Parse(c.BaseURL() + "/")
	u, err := base.Parse(loc)
	if err != nil || !strings.HasPrefix(strings.ToLower(u.Path), "/sso/login") {
		return "", false
	}
	// Keep the browser on the address the user configured (scheme, host).
	u.Scheme, u.Host = base.Scheme, base.Host
	return u.String(), true
}
