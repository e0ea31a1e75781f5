// Package secrets keeps the IBKR username, password and TOTP secret of each
// profile: in the OS keyring (Secret Service on Linux, Keychain on macOS,
// Credential Manager on Windows) through go-keyring, or, on servers without
// a keyring, in a file the user names that only they can read.
package secrets

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/ibkr-tray/ibkr-tray/session/login"
)

// Credentials are what a login needs.
type Credentials struct {
	Username string `json:"username"`
	Password string `json:"password"`
	// TOTPSecret is the authenticator app's activation code (base32); ""
	// for paper users and users without the app.
	TOTPSecret string `json:"totpSecret,omitempty"`
}

// Complete reports whether the username and password are both present.
func (c Credentials) Complete() bool { return c.Username != "" && c.Password != "" }

// String never shows the values, so a %v in a log cannot leak them.
func (c Credentials) String() string {
	return "Credentials{username: " + stored(c.Username) + ", password: " + stored(c.Password) +
		", totpSecret: " + stored(c.TOTPSecret) + "}"
}

// GoString hides the values from %#v too, which ignores String.
func (c Credentials) GoString() string {
	return "secrets.Credentials{Username: " + stored(c.Username) + ", Password: " + stored(c.Password) +
		", TOTPSecret: " + stored(c.TOTPSecret) + "}"
}

// Format makes every verb show String (GoString for %#v): without it, a
// verb that fmt does not send to String, such as %d, prints the fields.
func (c Credentials) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		io.WriteString(f, c.GoString())
		return
	}
	io.WriteString(f, c.String())
}

// LogValue hides the values from slog's handlers: the JSON handler would
// otherwise marshal the fields (String is not consulted). It says only
// which are stored.
func (c Credentials) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("username", stored(c.Username)),
		slog.String("password", stored(c.Password)),
		slog.String("totpSecret", stored(c.TOTPSecret)),
	)
}

func stored(s string) string {
	if s == "" {
		return "none"
	}
	return "stored"
}

// Store holds credentials per profile.
type Store interface {
	Get(ctx context.Context, profile string) (Credentials, error)
	// Set normalises and checks the TOTP secret first, then stores.
	Set(ctx context.Context, profile string, c Credentials) error
	Delete(ctx context.Context, profile string) error
	// Where names the store for messages: "the OS keyring (Secret
	// Service)", or the file's path.
	Where() string
}

// Errors, wrapped in sentences; test with errors.Is.
var (
	ErrNotFound     = errors.New("no credentials are stored")
	ErrLocked       = errors.New("the keyring is locked")
	ErrNoService    = errors.New("no keyring service is running")
	ErrTimeout      = errors.New("the keyring did not answer in time")
	ErrInsecureFile = errors.New("the secrets file is readable by others")
	ErrInvalid      = errors.New("the credentials are not valid")
)

// sentenceError is a sentence for the user that also matches a sentinel
// (errors.Is) and keeps the cause for logs.
type sentenceError struct {
	msg   string
	kind  error
	cause error
}

func (e *sentenceError) Error() string   { return e.msg }
func (e *sentenceError) Unwrap() []error { return []error{e.kind, e.cause} }

func newError(kind error, msg string, cause error) error {
	return &sentenceError{msg: msg, kind: kind, cause: cause}
}

// prepare checks credentials before they are stored: the username is
// trimmed, and the TOTP secret normalised (spaces, dashes, lower case) and
// checked to be base32.
func prepare(c Credentials) (Credentials, error) {
	c.Username = strings.TrimSpace(c.Username)
	if c.Username == "" {
		return c, newError(ErrInvalid, "The username is empty; give the IBKR username.", nil)
	}
	if c.Password == "" {
		return c, newError(ErrInvalid, "The password is empty; give the IBKR password.", nil)
	}
	secret, err := login.NormalizeSecret(c.TOTPSecret)
	if err != nil {
		return c, newError(ErrInvalid, sentenceCase(err.Error())+".", nil)
	}
	c.TOTPSecret = secret
	return c, nil
}

func sentenceCase(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
