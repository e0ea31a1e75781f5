package session

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"
)

// DefaultTimeout bounds each call when ClientOptions.Timeout is zero. The
// gateway never answers a proxied request when IBKR is unreachable, so
// every call needs one.
const DefaultTimeout = 10 * time.Second

// maxBody caps how much of an answer is read; real answers are a few KiB.
const maxBody = 1 << 20

// apiPrefix is where the Web API lives under the gateway's address.
const apiPrefix = "/v1/api"

// defaultLoginPath is the gateway's answer to GET / with the stock
// conf.yaml (ip2loc "US").
const defaultLoginPath = "/sso/Login?forwardTo=22&RL=1&ip2loc=US"

// ClientOptions configure a Client.
type ClientOptions struct {
	// BaseURL is the gateway's address: scheme, host and port, e.g.
	// "https://localhost:5000". The client adds /v1/api. Without a scheme,
	// https is assumed; http:// is used only when written out (a gateway
	// started with --nossl).
	BaseURL string
	// AllowRemote permits a gateway on another computer. Without it only
	// localhost and loopback addresses are accepted.
	AllowRemote bool
	// CAFile is a PEM bundle trusted, besides the system roots, for a
	// remote gateway's certificate.
	CAFile string
	// Timeout bounds each call (default DefaultTimeout); every call also
	// takes a context.
	Timeout time.Duration
	// Logger receives one DEBUG line per call; nil discards.
	Logger *slog.Logger
	// Version goes into the User-Agent "ibkr-tray/<Version>" (default "dev").
	Version string
	// WrapTransport, when set, wraps the client's transport (the runner
	// times each call for its metrics).
	WrapTransport func(http.RoundTripper) http.RoundTripper

	// dial replaces the dialer; tests use it to reach a "remote" name on
	// loopback without DNS.
	dial dialFunc
}

// Client talks to one gateway's Web API. It is safe for concurrent use.
// Every failure is a *Error whose Kind says what to do next.
type Client struct {
	base        atomic.Pointer[string] // scheme://host:port, no trailing slash (SetBaseURL)
	host        string                 // the host the TLS settings were made for
	allowRemote bool
	http        *http.Client
	timeout     time.Duration
	log         *slog.Logger
	userAgent   string

	// loginURL is where GET / last redirected to, learned by Ping.
	loginURL atomic.Pointer[string]
}

// NewClient checks the options and builds a client. It refuses a remote
// gateway unless AllowRemote is set, and a CA file it cannot read.
func NewClient(o ClientOptions) (*Client, error) {
	u, err := checkBaseURL(o.BaseURL, o.AllowRemote)
	if err != nil {
		return nil, err
	}
	host := u.Hostname()
	roots, err := loadRoots(o.CAFile)
	if err != nil {
		return nil, err
	}

	dial := o.dial
	if dial == nil {
		dial = loopbackDialer(&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second})
	}
	transport := &http.Transport{
		// Never through a proxy: the gateway is on this computer (or the
		// user named it), and a proxy would see its API.
		Proxy:               nil,
		DialContext:         dial,
		TLSClientConfig:     tlsConfig(host, roots),
		TLSHandshakeTimeout: 5 * time.Second,
		MaxIdleConns:        4,
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     90 * time.Second,
	}
	var rt http.RoundTripper = transport
	if o.WrapTransport != nil {
		rt = o.WrapTransport(rt)
	}
	c := &Client{
		host:        host,
		allowRemote: o.AllowRemote,
		http: &http.Client{
			Transport: rt,
			// The API never redirects a good answer; a redirect means
			// "not the API" (e.g. the login page) and is classified.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		timeout:   o.Timeout,
		log:       o.Logger,
		userAgent: "ibkr-tray/" + o.Version,
	}
	base := u.Scheme + "://" + u.Host
	c.base.Store(&base)
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if o.Version == "" {
		c.userAgent = "ibkr-tray/dev"
	}
	return c, nil
}

// checkBaseURL reads the gateway address and refuses one off this
// computer unless allowRemote, and plain http to one off it.
func checkBaseURL(s string, allowRemote bool) (*url.URL, error) {
	u, err := parseBaseURL(s)
	if err != nil {
		return nil, &Error{Kind: KindRefused, Op: "connect", Msg: err.Error()}
	}
	if !isLoopback(u.Hostname()) {
		if !allowRemote {
			return nil, &Error{Kind: KindRefused, Op: "connect", Msg: fmt.Sprintf(
				"the gateway address %s is not on this computer; the IBKR gateway only accepts logins from its own machine, so use https://localhost:PORT, or turn on \"allow a remote gateway\" in the settings if you really run it elsewhere", u.Host)}
		}
		if u.Scheme == "http" {
			return nil, &Error{Kind: KindRefused, Op: "connect", Msg: fmt.Sprintf(
				"plain http:// is only allowed for a gateway on this computer; use https://%s for a remote gateway", u.Host)}
		}
	}
	return u, nil
}

// SetBaseURL points the client at the gateway's new address, when it came
// back on another port (conf.yaml edited, or the port setting changed).
// NewClient's checks apply: an address off this computer needs
// AllowRemote. The scheme and port may change; the host only from one
// loopback name to another, because the TLS settings were made for the
// first host. Safe to call while calls are in flight: they finish on the
// old address, later ones use the new one.
func (c *Client) SetBaseURL(s string) error {
	u, err := checkBaseURL(s, c.allowRemote)
	if err != nil {
		return err
	}
	if host := u.Hostname(); host != c.host && !(isLoopback(host) && isLoopback(c.host)) {
		return &Error{Kind: KindRefused, Op: "connect", Msg: fmt.Sprintf(
			"the gateway address can change its port while the app runs, not its computer (%s, was %s); restart the app to use another gateway", u.Host, c.host)}
	}
	base := u.Scheme + "://" + u.Host
	if old := c.base.Swap(&base); *old != base {
		c.loginURL.Store(nil) // learned from the old address
	}
	return nil
}

// parseBaseURL reads the gateway address and reduces it to scheme and
// host:port. A trailing "/" or "/v1/api" is dropped; any other path, a
// query, or user info is refused.
func parseBaseURL(s string) (*url.URL, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, fmt.Errorf("no gateway address is set; use one like https://localhost:5000")
	}
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("the gateway address %q is not a URL (%v); use one like https://localhost:5000", s, err)
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if u.Scheme != "https" && u.Scheme != "http" {
		return nil, fmt.Errorf("the gateway address %q must start with https:// (or http:// for a gateway started with --nossl)", s)
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("the gateway address %q has no host; use one like https://localhost:5000", s)
	}
	if p := u.Port(); p != "" {
		if n, err := parsePort(p); err != nil || n == 0 {
			return nil, fmt.Errorf("the gateway address %q has a bad port; use a number from 1 to 65535", s)
		}
	}
	path := strings.TrimSuffix(u.Path, "/")
	if path != "" && path != apiPrefix {
		return nil, fmt.Errorf("the gateway address %q has a path; give only the scheme, host and port, like https://localhost:5000", s)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("the gateway address %q has extra parts; give only the scheme, host and port, like https://localhost:5000", s)
	}
	return &url.URL{Scheme: u.Scheme, Host: u.Host}, nil
}

func parsePort(p string) (int, error) {
	n := 0
	for _, r := range p {
		if r < '0' || r > '9' || n > 65535 {
			return 0, fmt.Errorf("bad port %q", p)
		}
		n = n*10 + int(r-'0')
	}
	if n > 65535 {
		return 0, fmt.Errorf("bad port %q", p)
	}
	return n, nil
}

// BaseURL is the gateway's address, scheme://host:port.
func (c *Client) BaseURL() string { return *c.base.Load() }

// LoginURL is the gateway's login page, for the browser: where GET /
// redirected when Ping last saw it, else the stock gateway's address.
func (c *Client) LoginURL() string {
	if p := c.loginURL.Load(); p != nil {
		return *p
	}
	return c.BaseURL() + defaultLoginPath
}
