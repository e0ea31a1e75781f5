// Package sim is a simulator of the IBKR Client Portal Gateway: the local
// HTTPS endpoints, the login page, the two-layer session model (SSO and
// brokerage), rate limits and faults. It powers the tests, the demo mode and
// the `ibkr-tray sim` command, so it ships in the binary and imports no
// testing package.
//
// It follows /work/shared/gateway-facts.md. Where the facts leave a choice
// open, the simulator chooses as follows.
//
// Session model (simulated time, see Options.Speed):
//   - One SSO session at a time; a new login replaces it. It lives
//     SSOLifetime and ends at the nightly reset (ResetAt in Location).
//   - The brokerage session is authenticated AuthDelay after login, and
//     ReauthDelay after reauthenticate or ssodh/init. Every /v1/api request
//     while authenticated refreshes its idle timeout (BrokerageTimeout).
//   - auth/status: authenticated and connected are both true only when the
//     brokerage session is usable; while competing, authenticated=false,
//     connected=true, competing=true (and tickle's collission=true).
//   - reauthenticate does not compete: while another session holds the
//     brokerage, only ssodh/init with compete:true takes it back, and the
//     session is authenticated ReauthDelay later (at once with 0).
//   - Without an SSO session: tickle 401 (or 200 {"error":"no session"}
//     with NoSessionAs200), sso/validate, ssodh/init, iserver/accounts and
//     portfolio/accounts 401, reauthenticate 200 {"error":"not logged in"},
//     auth/status 200 with the not-authenticated shape, logout 200
//     {"status":true}. iserver/accounts and iserver/account also answer 401
//     while the brokerage session is not authenticated.
//
// Rate limits (RateLimits, simulated time, all callers as one client):
// tickle 1/s, sso/validate 1/min, portfolio/accounts 1 per 5 s, 10 requests
// per second over /v1/api; excess answers 429. Five 429s within a minute put
// the client in the penalty box: every /v1/api request answers 429 for 10
// minutes.
//
// Faults (methods, and POST /sim/<name> on the same port; each answers
// /sim/state):
//   - expire-brokerage, expire-sso, compete, reset (the nightly reset; it
//     also ends every lasting fault below), lock-user?user=U, login?user=U,
//     crash.
//   - hang?seconds=N, error?status=NNN&seconds=N, flap-503?on=N&off=N
//     [&seconds=N]: the outages. They apply to /sso and /v1 only, as the
//     real gateway still answers "/" when IBKR is unreachable.
//   - refuse-brokerage[?seconds=N]: logins succeed, the brokerage session
//     never opens (connected true, authenticated false) whatever the
//     client does; brokerage-late?seconds=N: it opens N seconds after a
//     login or reauthenticate; validate-false[?seconds=N]: sso/validate
//     answers RESULT false while the session works.
//   - approve[?user=U], deny[?user=U]: answer the newest pending IB Key
//     notification (409 when none); ibkey-promo[?on=false]: the IB Key
//     promotion after the login form.
//
// All fault lengths are simulated seconds (so --speed shortens them); a
// fault without seconds lasts until /sim/reset. GET /sim/state lists the
// lasting faults in force and until when.
//
// Login page flow (/sso/Login). The page's script inserts the form 400 ms
// after load. Submitting it posts JSON to POST /sso/Authenticator:
// {"step":"password",...} answers an error text, or "2fa" with the user's
// devices, or "ok" with a token. In the second-factor step (#twofactbase),
// with two or more devices the device picker shows first and the code field
// appears once "Mobile Authenticator App" is picked (or when the submit
// button is clicked with it picked); the same submit button then posts
// {"step":"code",...}. On "ok" the page posts the token (form field
// loginToken) to POST /sso/Dispatcher, which starts the SSO session and
// answers the plain text "Client login succeeds" (an HTML page with
// Options.SuccessHTML). Paper users have no second
// factor. Codes are TOTP (RFC 6238, SHA-1, 6 digits, 30 s) checked against
// real time plus TOTPSkew, one step either side; a code is accepted once.
//
// IB Key (device "5.2a", ibkey.go): picking it, or a password of a user
// whose only device it is, sends a push; the page shows
// .login-step-notification and polls {"step":"poll"} until the push is
// approved (the login goes on as after a code), denied or expired
// (PushLifetime, simulated time; both back to the password, neither a
// failed login). With IBKeyPromo the page shows the promotion with its skip
// link .ibkey-promo-skip before the Dispatcher post.
package sim
