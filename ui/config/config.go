// Package config holds the user's non-secret settings and the per-user
// folders the app writes to. Secrets never go here: they live in the OS
// keyring (session/secrets).
package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/ibkr-tray/ibkr-tray/session"
)

// Config is the settings file. The tray's settings window and the headless
// runner read and write the same file.
type Config struct {
	// GatewayDir is the unzipped clientportal.gw folder ("" = not configured).
	GatewayDir string `json:"gatewayDir,omitempty"`
	// Port overrides the gateway's listenPort (0 = as in its conf.yaml). The
	// app then runs the gateway with a copy of the conf; the user's own
	// conf.yaml is never edited.
	Port int `json:"port,omitempty"`
	// GatewayURL overrides where the gateway is reached ("" = https://localhost:PORT).
	GatewayURL string `json:"gatewayURL,omitempty"`
	// AllowRemoteGateway lets GatewayURL name a host other than loopback.
	AllowRemoteGateway bool `json:"allowRemoteGateway,omitempty"`
	// CAFile verifies a remote gateway's certificate.
	CAFile string `json:"caFile,omitempty"`

	// Paper selects the paper-trading login.
	Paper bool `json:"paper"`
	// TakeBackCompeting makes the app take the brokerage session back when
	// another session of the user competes (compete: true). Off by default:
	// each take-over logs the user out of TWS or the mobile app.
	TakeBackCompeting bool `json:"takeBackCompeting"`
	// MaxFailedLoginsInRow and MaxFailedLoginsPerDay cap automated logins so
	// the app never gets the IBKR username locked.
	MaxFailedLoginsInRow  int `json:"maxFailedLoginsInRow"`
	MaxFailedLoginsPerDay int `json:"maxFailedLoginsPerDay"`

	// Notifications turns desktop notifications on or off.
	Notifications bool `json:"notifications"`

	// SecretsFile, when set, holds the credentials instead of the OS keyring
	// (for servers without a Secret Service). It must be mode 0600.
	SecretsFile string `json:"secretsFile,omitempty"`
	// Browser is the Chromium or Chrome to log in with ("" = find one).
	Browser string `json:"browser,omitempty"`
	// VisibleBrowser shows the login browser (for diagnosing a login).
	VisibleBrowser bool `json:"visibleBrowser,omitempty"`
	// LoginSelectors overrides the login page's element selectors, so a user
	// can follow an IBKR page change without a new release (session/login's
	// format).
	LoginSelectors json.RawMessage `json:"loginSelectors,omitempty"`

	// StatusAddr is the loopback address of the status endpoint.
	StatusAddr string `json:"statusAddr"`
	// TickleInterval is how often the session is kept alive and checked.
	TickleInterval Duration `json:"tickleInterval"`
	// ReadyTimeout is how long a gateway start may take.
	ReadyTimeout Duration `json:"readyTimeout"`
	// BrokerageWait is how long to wait, after a login IBKR accepted, for
	// the brokerage session to open before counting the login as failed
	// (IBKR sometimes opens it 30 s late).
	BrokerageWait Duration `json:"brokerageWait"`
}

// DefaultBrokerageWait leaves room for a brokerage session opening 30 s
// late, twice over.
const DefaultBrokerageWait = 60 * time.Second

// DefaultStatusAddr is the status endpoint's address. Not 5000/5001: users
// give those to gateways.
const DefaultStatusAddr = "127.0.0.1:5480"

// Default returns the settings of a new user.
func Default() Config {
	return Config{
		MaxFailedLoginsInRow:  3,
		MaxFailedLoginsPerDay: 10,
		Notifications:         true,
		StatusAddr:            DefaultStatusAddr,
		TickleInterval:        Duration(session.DefaultTickleInterval),
		ReadyTimeout:          Duration(60 * time.Second),
		BrokerageWait:         Duration(DefaultBrokerageWait),
	}
}

// Load reads the settings file. A missing file gives the defaults; a broken
// one gives an error that names the file and leaves it untouched.
func Load(path string) (Config, error) {
	c := Default()
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return c, fmt.Errorf("cannot read the settings file %s: %w", path, err)
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return Default(), fmt.Errorf("the settings file %s is not valid JSON (%v); fix or delete it", path, err)
	}
	return c, c.Validate()
}

// Save writes the settings file atomically, creating its folder.
func (c Config) Save(path string) error {
	if err := c.Validate(); err != nil {
		return err
	}
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("cannot create the settings folder: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".config-*.json")
	if err != nil {
		return fmt.Errorf("cannot write the settings file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("cannot write the settings file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("cannot write the settings file: %w", err)
	}
	return os.Rename(tmp.Name(), path)
}

// Validate checks values a person could have typed wrong.
func (c Config) Validate() error {
	if c.Port < 0 || c.Port > 65535 {
		return fmt.Errorf("port %d is not a TCP port; choose one from 1024 to 65535, or 0 to use the gateway's own", c.Port)
	}
	if c.MaxFailedLoginsInRow < 1 || c.MaxFailedLoginsPerDay < 1 {
		return errors.New("the login attempt caps must be at least 1")
	}
	if c.MaxFailedLoginsInRow > 5 {
		return errors.New("more than 5 failed logins in a row risks IBKR locking the username; choose 5 or fewer")
	}
	if time.Duration(c.TickleInterval) < time.Second || time.Duration(c.TickleInterval) > time.Minute {
		return errors.New("the tickle interval must be between 1s and 1m (IBKR allows one tickle a second and drops idle sessions after about 5 minutes)")
	}
	if w := time.Duration(c.BrokerageWait); w != 0 && (w < 10*time.Second || w > 10*time.Minute) {
		return errors.New("the wait for the brokerage session must be between 10s and 10m (IBKR usually opens it within seconds, sometimes 30 s late)")
	}
	return nil
}

// Duration is a time.Duration written as "5s" in the settings file.
type Duration time.Duration

// MarshalText writes the duration as Go's "1m30s".
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText reads "90s", "1m30s" and the like.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("%q is not a duration (write it like 5s or 1m)", string(b))
	}
	*d = Duration(v)
	return nil
}
