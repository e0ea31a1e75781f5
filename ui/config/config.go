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
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/ibkr-tray/ibkr-tray/gateway/fsutil"
	"github.com/ibkr-tray/ibkr-tray/session"
	"github.com/ibkr-tray/ibkr-tray/session/login"
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
	// LocalCA makes the gateway serve a certificate from the app's own
	// certificate authority (made by `ibkr-tray tls setup`), so programs can
	// verify it with the CA file instead of turning checks off.
	LocalCA bool `json:"localCA,omitempty"`

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
	// SecondFactor is how the automated login answers IBKR's second
	// factor: "" automatic (the authenticator app when a TOTP secret is
	// stored, else IB Key when IBKR's page offers it), "totp" (the
	// authenticator app), "ibkey" (IB Key: you tap Approve in IBKR Mobile)
	// or "none" (paper users).
	SecondFactor string `json:"secondFactor,omitempty"`
	// ApprovalWait is how long a login waits for your approval in IBKR
	// Mobile (0 = DefaultApprovalWait).
	ApprovalWait Duration `json:"approvalWait,omitempty"`

	// OnStateChange are commands run on each change of the session or
	// gateway state (docs/headless.md, "Hooks"). Each is an argv list, run
	// without a shell: ["/usr/local/bin/tell-my-bot", "--quiet"].
	OnStateChange [][]string `json:"onStateChange,omitempty"`
	// Webhooks are URLs that get the same facts as a JSON POST.
	Webhooks []string `json:"webhooks,omitempty"`
	// WebhooksAllowRemote lets Webhooks name a host off this computer (a
	// phone notification service, a chat): the user's explicit choice.
	WebhooksAllowRemote bool `json:"webhooksAllowRemote,omitempty"`
	// HookTimeout bounds each hook command and each webhook try.
	HookTimeout Duration `json:"hookTimeout,omitempty"`
}

// DefaultHookTimeout bounds a hook command or a webhook try.
const DefaultHookTimeout = 10 * time.Second

// DefaultBrokerageWait leaves room for a brokerage session opening 30 s
// late, twice over.
const DefaultBrokerageWait = 60 * time.Second

// DefaultApprovalWait is how long a login waits for the tap on Approve in
// IBKR Mobile when the settings name no wait; MinApprovalWait and
// MaxApprovalWait bound the setting.
const (
	DefaultApprovalWait = login.DefaultApprovalWait
	MinApprovalWait     = 30 * time.Second
	MaxApprovalWait     = 10 * time.Minute
)

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
		HookTimeout:           Duration(DefaultHookTimeout),
	}
}

// Load reads the settings file. A missing file gives the defaults. Keys
// the app does not know come back as warnings, one sentence each naming the
// key and the file (a misspelt setting must not pass for a set one). A file
// that cannot be decoded is a *DamagedError naming it and is left
// untouched; Open sets it aside instead. Values out of range are an error
// from Validate.
func Load(path string) (Config, []string, error) {
	c := Default()
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return c, nil, nil
	}
	if err != nil {
		return c, nil, fmt.Errorf("cannot read the settings file %s: %w", path, err)
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(b, &keys); err != nil {
		return Default(), nil, &DamagedError{Path: path, Err: err}
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return Default(), nil, &DamagedError{Path: path, Err: err}
	}
	return c, unknownKeys(path, keys), c.Validate()
}

// Open is Load for the app's start (tray and headless). A damaged file
// (half written, or edited by hand into something that is not the
// settings) is moved aside to NAME.bad-TIME, so that no later save
// overwrites what the user had; Open then gives the defaults and a warning
// saying where the file went. The app runs; the user's settings are kept.
func Open(path string) (Config, []string, error) {
	c, warnings, err := Load(path)
	var damaged *DamagedError
	if !errors.As(err, &damaged) {
		return c, warnings, err
	}
	kept, merr := setAside(path, time.Now())
	if merr != nil {
		return c, nil, fmt.Errorf("%v; it could not be set aside (%v), so ibkr-tray stops rather than overwrite it; fix or move it", err, merr)
	}
	return Default(), []string{fmt.Sprintf(
		"The settings file %s could not be read (%v), so ibkr-tray kept it as %s and starts with the default settings; fix that file and move it back to use your settings again.",
		path, damaged.Err, kept)}, nil
}

// DamagedError is a settings file that cannot be decoded.
type DamagedError struct {
	Path string
	Err  error
}

func (e *DamagedError) Error() string {
	return fmt.Sprintf("the settings file %s is not valid settings JSON (%v); fix or delete it", e.Path, e.Err)
}

func (e *DamagedError) Unwrap() error { return e.Err }

// setAside renames path to path.bad-TIME (with a counter if that is taken)
// and returns the new name.
func setAside(path string, now time.Time) (string, error) {
	base := path + ".bad-" + now.Format("20060102-150405")
	name := base
	for i := 2; ; i++ {
		if _, err := os.Lstat(name); errors.Is(err, fs.ErrNotExist) {
			break
		}
		if i > 100 {
			return "", fmt.Errorf("too many files named %s*", base)
		}
		name = fmt.Sprintf("%s-%d", base, i)
	}
	return name, os.Rename(path, name)
}

// knownKeys are the settings file's keys, from Config's JSON tags.
var knownKeys = func() map[string]bool {
	known := map[string]bool{}
	t := reflect.TypeFor[Config]()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			known[name] = true
		}
	}
	return known
}()

// unknownKeys says, per key the app does not know, that it is ignored.
func unknownKeys(path string, keys map[string]json.RawMessage) []string {
	var names []string
	for k := range keys {
		if !knownKeys[k] {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	var warnings []string
	for _, k := range names {
		warnings = append(warnings, fmt.Sprintf("The settings file %s has a setting ibkr-tray does not know, %q; it is ignored (check its spelling).", path, k))
	}
	return warnings
}

// Save writes the settings file atomically (fsutil.WriteFile, mode 0600),
// creating its folder.
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
	if err := fsutil.WriteFile(path, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("cannot write the settings file: %w", err)
	}
	return nil
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
	if _, err := login.ParseSecondFactor(c.SecondFactor); err != nil {
		return err
	}
	if w := time.Duration(c.ApprovalWait); w != 0 && (w < MinApprovalWait || w > MaxApprovalWait) {
		return errors.New("the wait for the approval in IBKR Mobile must be between 30s and 10m (default 2m)")
	}
	return c.validateHooks()
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
