package sim

import (
	"crypto/tls"
	"log/slog"
	"time"
)

// Account is one IBKR username the simulator knows.
type Account struct {
	Username string `json:"username"`
	Password string `json:"password"`
	Paper    bool   `json:"paper,omitempty"`
	// TOTPSecret is the base32 activation code; live users answer the
	// authenticator app's second factor with codes made from it. Empty: the
	// user has no authenticator app ("4" in Devices is then ignored).
	TOTPSecret string `json:"totpSecret,omitempty"`
	// Devices are the enrolled second factors; with 2 or more (e.g.
	// {"5.2a","4"}) the login page shows the device picker. "4" is the
	// Mobile Authenticator App, "5.2a" IB Key (a push to IBKR Mobile, which
	// POST /sim/approve or /sim/deny answers). Empty means {"4"}. An IB
	// Key-only user: Devices {"5.2a"} and no TOTPSecret.
	Devices []string `json:"devices,omitempty"`
	// AccountIDs are the brokerage accounts, e.g. {"U1234567","U7654321"};
	// one is made from the username when empty.
	AccountIDs []string `json:"accountIds,omitempty"`
}

// DemoTOTPSecret is the fixed base32 TOTP secret of the demo live user. It is
// public on purpose: the demo mode and tests make codes from it.
const DemoTOTPSecret = "IBKRTRAYDEMO2345IBKRTRAYDEMO2345"

// DemoIBKeyUser is the demo user whose only second factor is IB Key.
const DemoIBKeyUser = "demoibkey"

// DemoAccounts returns the demo users: "demo"/"demo" (live, TOTP
// DemoTOTPSecret, devices IB Key and authenticator app, two accounts),
// "demopaper"/"demo" (paper, no second factor) and "demoibkey"/"demo"
// (live, IB Key only).
func DemoAccounts() []Account {
	return []Account{
		{
			Username:   "demo",
			Password:   "demo",
			TOTPSecret: DemoTOTPSecret,
			Devices:    []string{DeviceIBKey, DeviceAuthenticatorApp},
			AccountIDs: []string{"U1234567", "U7654321"},
		},
		{
			Username:   "demopaper",
			Password:   "demo",
			Paper:      true,
			AccountIDs: []string{"DU1234567"},
		},
		IBKeyAccount(DemoIBKeyUser, "demo"),
	}
}

// IBKeyAccount is a live user whose only second factor is IB Key.
func IBKeyAccount(username, password string) Account {
	return Account{Username: username, Password: password, Devices: []string{DeviceIBKey}}
}

// Second-factor device codes, as the login page's picker sends them.
const (
	DeviceIBKey            = "5.2a"
	DeviceAuthenticatorApp = "4"
)

// Page versions of the login page.
const (
	PageCurrent = "current" // 2025-2026: xyz-field-username, xyz-errormessage, ...
	Page2022    = "2022"    // before 2023-03: user_name, #submitForm, #chlginput, #sf_select, #ERRORMSG
)

// Texts the login flow shows. The first three are IBKR's own wording; the
// others are ours where the facts give none.
const (
	TextInvalidCredentials = "Invalid username password combination"
	TextWrongModeLive      = "You have selected the Live Account Mode, but the specified user is a Paper Trading user. Please select the correct Login mode."
	TextWrongModePaper     = "You have selected the Paper Trading Account Mode, but the specified user is a Live Account user. Please select the correct Login mode."
	TextIncorrectCode      = "Incorrect security code"
	// TextLocked is shown (with any password) once a user is locked, by
	// too many failed logins or by the lock-user fault.
	TextLocked         = "This username has been locked after too many failed login attempts. Please contact IBKR Client Services to unlock it."
	TextLoginExpired   = "Your login session has expired. Please log in again."
	TextLoginSucceeded = "Client login succeeds"
	// TextIBKeySent is the push step (.login-step-notification) while the
	// IB Key notification waits for the user's tap.
	TextIBKeySent = "A notification has been sent to your phone. Open IBKR Mobile and approve the login to continue."
	// TextIBKeyDenied is shown when the user denied the notification (our
	// wording: IBKR's is not documented).
	TextIBKeyDenied = "The login request was declined in IBKR Mobile. Please log in again."
	// TextIBKeyExpired is shown when nobody answered it in time.
	TextIBKeyExpired = "The login notification has expired without an answer. Please log in again."
	// TextIBKeyFallback is the link to the challenge/response fallback.
	TextIBKeyFallback = "Didn't receive the notification?"
	// TextChallengeUnavailable answers a response typed into the fallback:
	// the simulator has no phone to make one.
	TextChallengeUnavailable = "The simulator cannot check IB Key responses. Approve the notification (POST /sim/approve), or log in again."
)

// Options configure the simulator. Start from DefaultOptions: zero means
// zero, except where a field says otherwise.
type Options struct {
	// Accounts are the known users; nil means DemoAccounts().
	Accounts []Account
	// PageVersion is PageCurrent (also for "") or Page2022.
	PageVersion string
	// AuthDelay is the time from a successful login to an authenticated
	// brokerage session.
	AuthDelay time.Duration
	// ReauthDelay is the time from reauthenticate (or ssodh/init) to an
	// authenticated brokerage session.
	ReauthDelay time.Duration
	// BrokerageTimeout is the brokerage session's idle timeout; any
	// /v1/api request while authenticated refreshes it.
	BrokerageTimeout time.Duration
	// SSOLifetime is how long an SSO session lives from login.
	SSOLifetime time.Duration
	// ResetAt is the nightly reset "HH:MM" in Location; "" means none.
	ResetAt  string
	Location *time.Location // nil means time.Local
	// Speed makes simulated time run this many times faster than Now; the
	// session rules, delays, reset and rate limits follow simulated time.
	// Zero or less means 1.
	Speed float64
	// Authenticated starts with the first live account logged in and its
	// brokerage session authenticated.
	Authenticated bool
	// RateLimits answers 429 past: tickle 1/s, sso/validate 1/min,
	// portfolio/accounts 1/5s, 10/s overall; 5 refusals within a minute put
	// the client in a 10-minute penalty box (all simulated time).
	RateLimits bool
	// MaxFailedLogins is the number of failed logins (wrong password or
	// code) that locks a user; 0 or less never locks.
	MaxFailedLogins int
	// PushLifetime is how long an IB Key notification waits for an answer
	// before it expires (simulated time); 0 means DefaultPushLifetime.
	PushLifetime time.Duration
	// IBKeyPromo shows IBKR's IB Key promotion after the login form (skip
	// link .ibkey-promo-skip), for every user; POST /sim/ibkey-promo
	// switches it.
	IBKeyPromo bool
	// TOTPSkew makes the simulator's TOTP clock run this far ahead of Now
	// (real time, not sped up), to test a computer whose clock is off.
	TOTPSkew time.Duration
	// TermDelay is Main's delay between SIGTERM and exit.
	TermDelay time.Duration
	// IP2Loc is the ip2loc parameter of the GET / redirect; "" means "US".
	IP2Loc string
	// NoSessionAs200 makes tickle without a session answer HTTP 200
	// {"error":"no session"} instead of 401 (IBKR does both).
	NoSessionAs200 bool
	// ExpiredCert makes the certificate expired (2018-2019), like the one
	// bundled with the real gateway.
	ExpiredCert bool
	// PlainHTTP serves plain HTTP (conf.yaml listenSsl: false).
	PlainHTTP bool
	// Certificate is served instead of a fresh self-signed one: the
	// keystore named by sslCert/sslPwd in the conf, as the real gateway
	// serves (nil = make one; ExpiredCert is then ignored).
	Certificate *tls.Certificate
	// RefuseBrokerage starts with the refuse-brokerage fault on (until
	// /sim/reset), so that it holds across a restart of the gateway, as
	// IBKR's refusal does.
	RefuseBrokerage bool
	// SuccessHTML answers a successful login with an HTML page with a
	// heading, as this simulator once did, in place of the real gateway's
	// plain text "Client login succeeds"; clients must handle both.
	SuccessHTML bool
	// Now is the real clock; nil means time.Now.
	Now func() time.Time
	// Logger receives one DEBUG line per request and INFO lines for session
	// events; nil discards.
	Logger *slog.Logger
	// Exit is called by the crash fault; nil means close the server.
	Exit func(code int)
}

// DefaultOptions returns the options of a gateway as shipped: demo accounts,
// the current login page, authDelay 3 s, about 5 minutes idle timeout, 24 h
// SSO, nightly reset at 01:00 local time, rate limits on.
func DefaultOptions() Options {
	return Options{
		Accounts:         DemoAccounts(),
		PageVersion:      PageCurrent,
		AuthDelay:        3 * time.Second,
		ReauthDelay:      3 * time.Second,
		BrokerageTimeout: 5 * time.Minute,
		SSOLifetime:      24 * time.Hour,
		ResetAt:          "01:00",
		Location:         time.Local,
		Speed:            1,
		RateLimits:       true,
		MaxFailedLogins:  5,
		IP2Loc:           "US",
		Now:              time.Now,
	}
}

// withFallbacks fills the fields whose zero value means "the usual".
func (o Options) withFallbacks() Options {
	if o.Accounts == nil {
		o.Accounts = DemoAccounts()
	}
	if o.PageVersion == "" {
		o.PageVersion = PageCurrent
	}
	if o.Location == nil {
		o.Location = time.Local
	}
	if o.Speed <= 0 {
		o.Speed = 1
	}
	if o.IP2Loc == "" {
		o.IP2Loc = "US"
	}
	if o.PushLifetime <= 0 {
		o.PushLifetime = DefaultPushLifetime
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}
