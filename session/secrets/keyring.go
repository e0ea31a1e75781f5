package secrets

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"runtime"
	"strings"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/zalando/go-keyring"
)

// Service is the keyring service name. Each profile is one item: account
// = the profile name, secret = the Credentials as JSON, so a profile is
// stored, read and removed in one keyring call.
const Service = "ibkr-tray"

// DefaultTimeout bounds each keyring call: a locked keyring with a display
// can wait for ever on its unlock prompt.
const DefaultTimeout = 10 * time.Second

// Keyring returns the OS keyring store. Every call runs on its own
// goroutine and gives up after timeout (0 = DefaultTimeout) or when ctx
// ends; a call that gave up may finish later on its own.
func Keyring(timeout time.Duration) Store {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return &keyringStore{timeout: timeout}
}

type keyringStore struct{ timeout time.Duration }

func (k *keyringStore) Where() string {
	switch runtime.GOOS {
	case "darwin":
		return "the macOS Keychain"
	case "windows":
		return "the Windows Credential Manager"
	}
	return "the OS keyring (Secret Service)"
}

func (k *keyringStore) Get(ctx context.Context, profile string) (Credentials, error) {
	if err := checkProfile(profile); err != nil {
		return Credentials{}, err
	}
	v, err := call(ctx, k.timeout, func() (string, error) { return keyring.Get(Service, profile) })
	if err != nil {
		return Credentials{}, k.explain(err, profile)
	}
	var c Credentials
	if err := json.Unmarshal([]byte(v), &c); err != nil {
		// The value may hold the password: never show it, nor the JSON error
		// (which quotes it).
		return Credentials{}, fmt.Errorf("the keyring item %s/%s is not in the format this app writes; store the credentials again with `ibkr-tray secrets set --profile %s`", Service, profile, profile)
	}
	return c, nil
}

func (k *keyringStore) Set(ctx context.Context, profile string, c Credentials) error {
	if err := checkProfile(profile); err != nil {
		return err
	}
	c, err := prepare(c)
	if err != nil {
		return err
	}
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	_, err = call(ctx, k.timeout, func() (string, error) { return "", keyring.Set(Service, profile, string(b)) })
	if err != nil {
		return k.explain(err, profile)
	}
	return nil
}

func (k *keyringStore) Delete(ctx context.Context, profile string) error {
	if err := checkProfile(profile); err != nil {
		return err
	}
	_, err := call(ctx, k.timeout, func() (string, error) { return "", keyring.Delete(Service, profile) })
	if err != nil {
		return k.explain(err, profile)
	}
	return nil
}

// call runs f off the caller's goroutine and waits for it at most timeout.
// A panic inside the keyring library (go-keyring dereferences a nil signal
// when the bus goes away during a prompt) becomes an error.
func call(ctx context.Context, timeout time.Duration, f func() (string, error)) (string, error) {
	type result struct {
		v   string
		err error
	}
	done := make(chan result, 1) // buffered: a late answer must not block the goroutine
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- result{err: fmt.Errorf("the keyring library failed: %v", r)}
			}
		}()
		v, err := f()
		done <- result{v, err}
	}()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case r := <-done:
		return r.v, r.err
	case <-t.C:
		return "", errTimedOut{timeout}
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

type errTimedOut struct{ after time.Duration }

func (e errTimedOut) Error() string { return fmt.Sprintf("no answer within %v", e.after) }

// explain turns a keyring error into a sentence.
func (k *keyringStore) explain(err error, profile string) error {
	var to errTimedOut
	switch {
	case errors.Is(err, keyring.ErrNotFound):
		return newError(ErrNotFound, fmt.Sprintf(
			"No credentials are stored for profile %q in %s; store them with `ibkr-tray secrets set --profile %s`.",
			profile, k.Where(), profile), err)
	case errors.As(err, &to):
		return newError(ErrTimeout, fmt.Sprintf(
			"%s did not answer within %v; it may be waiting for you to unlock it in a prompt. Unlock it and try again.",
			sentenceCase(k.Where()), to.after), err)
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		return newError(ErrTimeout, fmt.Sprintf("The call to %s was given up (%v).", k.Where(), err), err)
	case isLocked(err):
		return newError(ErrLocked, fmt.Sprintf(
			"%s is locked; unlock it (log in to the desktop, or open your keyring manager such as Seahorse) and try again.",
			sentenceCase(k.Where())), err)
	case isNoService(err):
		return newError(ErrNoService,
			"No Secret Service is running on the session D-Bus (no keyring daemon such as gnome-keyring or KWallet answers); start one, or keep the credentials in a file only you can read (`ibkr-tray secrets set --file PATH`, mode 0600).",
			err)
	}
	return fmt.Errorf("%s failed: %w", sentenceCase(k.Where()), err)
}

func isLocked(err error) bool {
	var de dbus.Error
	if errors.As(err, &de) && de.Name == "org.freedesktop.Secret.Error.IsLocked" {
		return true
	}
	return strings.Contains(err.Error(), "failed to unlock")
}

func isNoService(err error) bool {
	var de dbus.Error
	if errors.As(err, &de) {
		switch de.Name {
		case "org.freedesktop.DBus.Error.ServiceUnknown",
			"org.freedesktop.DBus.Error.NameHasNoOwner",
			"org.freedesktop.DBus.Error.NoServer",
			"org.freedesktop.DBus.Error.Disconnected":
			return true
		}
		return false
	}
	var oe *net.OpError
	if errors.As(err, &oe) || errors.Is(err, exec.ErrNotFound) || errors.Is(err, dbus.ErrClosed) {
		return true // the session bus itself is missing or gone
	}
	msg := err.Error()
	return strings.Contains(msg, "session bus") || strings.Contains(msg, "dbus-launch") ||
		strings.Contains(msg, "autolaunch")
}

// checkProfile refuses an empty profile name (it would be an item no one
// can find again).
func checkProfile(profile string) error {
	if strings.TrimSpace(profile) == "" {
		return newError(ErrInvalid, "No profile name was given; use \"default\" for the default profile.", nil)
	}
	return nil
}
