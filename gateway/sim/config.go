package sim

import (
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
	_ "time/tzdata" // --location works where the system has no zoneinfo (Windows)

	"go.yaml.in/yaml/v3"

	"github.com/ibkr-tray/ibkr-tray/gateway/localca"
)

// settings are the Options that can be written down: root/sim.json, the
// --accounts file's sibling fields, and the flags.
type settings struct {
	Accounts         []Account `json:"accounts,omitempty"`
	PageVersion      string    `json:"pageVersion"`
	AuthDelay        duration  `json:"authDelay"`
	ReauthDelay      duration  `json:"reauthDelay"`
	BrokerageTimeout duration  `json:"brokerageTimeout"`
	SSOLifetime      duration  `json:"ssoLifetime"`
	ResetAt          string    `json:"resetAt"`
	Location         string    `json:"location"` // IANA name, "" or "Local" for the computer's
	Speed            float64   `json:"speed"`
	Authenticated    bool      `json:"authenticated"`
	RateLimits       bool      `json:"rateLimits"`
	MaxFailedLogins  int       `json:"maxFailedLogins"`
	PushLifetime     duration  `json:"pushLifetime,omitempty"`
	IBKeyPromo       bool      `json:"ibkeyPromo,omitempty"`
	TOTPSkew         duration  `json:"totpSkew"`
	TermDelay        duration  `json:"termDelay"`
	IP2Loc           string    `json:"ip2loc"`
	NoSessionAs200   bool      `json:"noSessionAs200"`
	ExpiredCert      bool      `json:"expiredCert"`
	PlainHTTP        bool      `json:"plainHttp"`
	RefuseBrokerage  bool      `json:"refuseBrokerage,omitempty"`
}

// duration is a time.Duration written as "3s" in JSON.
type duration time.Duration

func (d duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

func (d *duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("%q is not a duration like 3s or 5m", b)
	}
	*d = duration(v)
	return nil
}

func toSettings(o Options) settings {
	loc := ""
	if o.Location != nil && o.Location != time.Local {
		loc = o.Location.String()
	}
	return settings{
		Accounts: o.Accounts, PageVersion: o.PageVersion,
		AuthDelay: duration(o.AuthDelay), ReauthDelay: duration(o.ReauthDelay),
		BrokerageTimeout: duration(o.BrokerageTimeout), SSOLifetime: duration(o.SSOLifetime),
		ResetAt: o.ResetAt, Location: loc, Speed: o.Speed, Authenticated: o.Authenticated,
		RateLimits: o.RateLimits, MaxFailedLogins: o.MaxFailedLogins, TOTPSkew: duration(o.TOTPSkew),
		TermDelay: duration(o.TermDelay), IP2Loc: o.IP2Loc, NoSessionAs200: o.NoSessionAs200,
		ExpiredCert: o.ExpiredCert, PlainHTTP: o.PlainHTTP, RefuseBrokerage: o.RefuseBrokerage,
		PushLifetime: duration(o.PushLifetime), IBKeyPromo: o.IBKeyPromo,
	}
}

func (st settings) options() (Options, error) {
	o := DefaultOptions()
	if st.Accounts != nil {
		o.Accounts = st.Accounts
	}
	loc := time.Local
	if st.Location != "" && st.Location != "Local" {
		l, err := time.LoadLocation(st.Location)
		if err != nil {
			return o, fmt.Errorf("unknown time zone %q; use a name like America/New_York", st.Location)
		}
		loc = l
	}
	o.PageVersion, o.AuthDelay, o.ReauthDelay = st.PageVersion, time.Duration(st.AuthDelay), time.Duration(st.ReauthDelay)
	o.BrokerageTimeout, o.SSOLifetime = time.Duration(st.BrokerageTimeout), time.Duration(st.SSOLifetime)
	o.ResetAt, o.Location, o.Speed, o.Authenticated = st.ResetAt, loc, st.Speed, st.Authenticated
	o.RateLimits, o.MaxFailedLogins, o.TOTPSkew = st.RateLimits, st.MaxFailedLogins, time.Duration(st.TOTPSkew)
	o.TermDelay, o.IP2Loc, o.NoSessionAs200 = time.Duration(st.TermDelay), st.IP2Loc, st.NoSessionAs200
	o.ExpiredCert, o.PlainHTTP = st.ExpiredCert, st.PlainHTTP
	o.RefuseBrokerage = st.RefuseBrokerage
	o.PushLifetime, o.IBKeyPromo = time.Duration(st.PushLifetime), st.IBKeyPromo
	return o, nil
}

// redacted is the settings as they may be logged: usernames, no passwords
// or TOTP secrets.
func (st settings) redacted() string {
	names := []string{}
	for _, a := range st.Accounts {
		kind := "live"
		if a.Paper {
			kind = "paper"
		}
		names = append(names, a.Username+" ("+kind+")")
	}
	st.Accounts = nil
	b, _ := json.Marshal(struct {
		settings
		Users []string `json:"users"`
	}{st, names})
	return string(b)
}

// gatewayConf is what the simulator reads from the real-shaped conf.yaml.
type gatewayConf struct {
	ListenPort *int    `yaml:"listenPort"`
	ListenSsl  *bool   `yaml:"listenSsl"`
	IP2Loc     *string `yaml:"ip2loc"`
	SSLCert    *string `yaml:"sslCert"`
	SSLPwd     *string `yaml:"sslPwd"`
}

// bundledKeystore is the real gateway's own keystore name. A simulator
// folder has no such file: the simulator then makes a self-signed
// certificate in its place (expired with expiredCert, like the real one).
const bundledKeystore = "vertx.jks"

// keystore loads the certificate sslCert and sslPwd name, relative to the
// conf's folder (root/), as the real gateway does. nil: serve the
// self-signed stand-in for the bundled vertx.jks.
func (c gatewayConf) keystore(confPath string) (*tls.Certificate, error) {
	if c.SSLCert == nil || *c.SSLCert == "" {
		return nil, nil
	}
	path := filepath.Join(filepath.Dir(confPath), *c.SSLCert)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) && *c.SSLCert == bundledKeystore {
		return nil, nil
	}
	pwd := ""
	if c.SSLPwd != nil {
		pwd = *c.SSLPwd
	}
	cert, err := localca.LoadKeystore(path, pwd)
	if err != nil {
		return nil, fmt.Errorf("cannot load sslCert %s from %s: %w", *c.SSLCert, confPath, err)
	}
	return &cert, nil
}

func readGatewayConf(path string) (gatewayConf, error) {
	var c gatewayConf
	b, err := os.ReadFile(path)
	if err != nil {
		return c, fmt.Errorf("cannot read the gateway configuration: %w", err)
	}
	if err := yaml.Unmarshal(b, &c); err != nil {
		return c, fmt.Errorf("the gateway configuration %s is not valid YAML: %w", path, err)
	}
	return c, nil
}

// simJSONPath is root/sim.json next to root/conf.yaml.
func simJSONPath(confPath string) string { return filepath.Join(filepath.Dir(confPath), "sim.json") }

// readSettingsFile overlays the JSON file at path on st; a missing file is
// not an error when optional.
func readSettingsFile(path string, st *settings, optional bool) error {
	b, err := os.ReadFile(path)
	if optional && os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("cannot read the simulator settings: %w", err)
	}
	// The file's accounts replace the defaults whole: decoding into the
	// default list would keep a default's fields that the file leaves out
	// (paper: false is omitted, so a second account became a paper one).
	var accounts struct {
		Accounts json.RawMessage `json:"accounts"`
	}
	if json.Unmarshal(b, &accounts) == nil && accounts.Accounts != nil {
		st.Accounts = nil
	}
	if err := json.Unmarshal(b, st); err != nil {
		return fmt.Errorf("the simulator settings %s are not valid JSON: %w", path, err)
	}
	return nil
}

// readAccountsFile reads a JSON list of accounts.
func readAccountsFile(path string) ([]Account, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read the accounts file: %w", err)
	}
	var as []Account
	if err := json.Unmarshal(b, &as); err != nil {
		return nil, fmt.Errorf("the accounts file %s is not a JSON list of accounts (username, password, paper, totpSecret, devices, accountIds): %w", path, err)
	}
	return as, nil
}
