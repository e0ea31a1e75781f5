package secrets

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/ibkr-tray/ibkr-tray/ui/desktoptest"
)

// These tests run a real gnome-keyring on a private D-Bus (ui/desktoptest).
// They change the environment, so they are not parallel.

func TestKeyringRoundTripAgainstGnomeKeyring(t *testing.T) {
	bus := desktoptest.StartBus(t)
	desktoptest.StartKeyring(t, bus, "keyring-password")
	ctx := context.Background()
	s := Keyring(5 * time.Second)

	if err := s.Set(ctx, "default", testCreds()); err != nil {
		t.Fatalf("Set: %v", err)
	}
	paper := Credentials{Username: "paperuser", Password: "pw2"}
	if err := s.Set(ctx, "paper", paper); err != nil {
		t.Fatalf("Set(paper): %v", err)
	}
	got, err := s.Get(ctx, "default")
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	want := Credentials{Username: "trader1", Password: testPassword, TOTPSecret: cleanSecret}
	if got != want {
		t.Errorf("Get = %+v, want %+v (secret normalised)", got, want)
	}
	// Set again replaces rather than adding a second item.
	want.Password = "new password"
	if err := s.Set(ctx, "default", want); err != nil {
		t.Fatalf("second Set: %v", err)
	}
	if got, _ := s.Get(ctx, "default"); got != want {
		t.Errorf("Get after second Set = %+v, want %+v", got, want)
	}
	if err := s.Delete(ctx, "default"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	_, err = s.Get(ctx, "default")
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get after Delete: err = %v, want ErrNotFound", err)
	}
	if !strings.Contains(err.Error(), "ibkr-tray secrets set --profile default") {
		t.Errorf("message %q should say how to store credentials", err)
	}
	if got, err := s.Get(ctx, "paper"); err != nil || got != paper {
		t.Errorf("the other profile: Get = %+v, %v; want %+v", got, err, paper)
	}
}

func TestKeyringMissingEntryIsErrNotFound(t *testing.T) {
	bus := desktoptest.StartBus(t)
	desktoptest.StartKeyring(t, bus, "keyring-password")
	s := Keyring(5 * time.Second)
	_, err := s.Get(context.Background(), "nobody")
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
	if err := s.Delete(context.Background(), "nobody"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Delete: err = %v, want ErrNotFound", err)
	}
}

func TestKeyringWithoutSecretServiceIsErrNoService(t *testing.T) {
	desktoptest.StartBus(t) // a bus, but no keyring on it
	s := Keyring(5 * time.Second)
	start := time.Now()
	_, err := s.Get(context.Background(), "default")
	if !errors.Is(err, ErrNoService) {
		t.Fatalf("err = %v, want ErrNoService", err)
	}
	if !strings.Contains(err.Error(), "No Secret Service is running") || !strings.Contains(err.Error(), "--file") {
		t.Errorf("message %q should say what is missing and offer the file", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("took %v; a missing service should fail at once", took)
	}
	if err := s.Set(context.Background(), "default", testCreds()); !errors.Is(err, ErrNoService) {
		t.Errorf("Set: err = %v, want ErrNoService", err)
	}
}

func TestKeyringWithoutSessionBusIsErrNoService(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/ibkr-tray-test-bus")
	t.Cleanup(func() {
		if c, err := dbus.SessionBus(); err == nil {
			c.Close()
		}
	})
	_, err := Keyring(5*time.Second).Get(context.Background(), "default")
	if !errors.Is(err, ErrNoService) {
		t.Fatalf("err = %v, want ErrNoService", err)
	}
}

func TestKeyringLockedIsErrLockedOrTimeoutAndNeverHangs(t *testing.T) {
	bus := desktoptest.StartBus(t)
	k := desktoptest.StartKeyring(t, bus, "keyring-password")
	const timeout = 2 * time.Second
	s := Keyring(timeout)
	if err := s.Set(context.Background(), "default", testCreds()); err != nil {
		t.Fatal(err)
	}
	k.Lock(t)
	if !k.Locked(t) {
		t.Fatal("the keyring did not lock")
	}
	start := time.Now()
	_, err := s.Get(context.Background(), "default")
	took := time.Since(start)
	if !errors.Is(err, ErrLocked) && !errors.Is(err, ErrTimeout) {
		t.Fatalf("err = %v, want ErrLocked or ErrTimeout", err)
	}
	if took > timeout+time.Second {
		t.Errorf("took %v, more than the %v timeout", took, timeout)
	}
	if !strings.Contains(err.Error(), "unlock") {
		t.Errorf("message %q should say to unlock the keyring", err)
	}
}

// hungSecretService owns org.freedesktop.secrets and never answers
// Unlock, as a keyring does while its unlock prompt waits for the user.
type hungSecretService struct{ release chan struct{} }

func (h hungSecretService) Unlock(paths []dbus.ObjectPath) ([]dbus.ObjectPath, dbus.ObjectPath, *dbus.Error) {
	<-h.release
	return nil, "/", nil
}

func TestKeyringThatNeverAnswersIsErrTimeout(t *testing.T) {
	bus := desktoptest.StartBus(t)
	conn := bus.Conn(t)
	h := hungSecretService{release: make(chan struct{})}
	t.Cleanup(func() { close(h.release) })
	if err := conn.Export(h, "/org/freedesktop/secrets", "org.freedesktop.Secret.Service"); err != nil {
		t.Fatal(err)
	}
	if reply, err := conn.RequestName(desktoptest.SecretsName, dbus.NameFlagDoNotQueue); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("own %s: %v %v", desktoptest.SecretsName, reply, err)
	}
	const timeout = 300 * time.Millisecond
	start := time.Now()
	_, err := Keyring(timeout).Get(context.Background(), "default")
	took := time.Since(start)
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("err = %v, want ErrTimeout", err)
	}
	if took < timeout || took > timeout+time.Second {
		t.Errorf("gave up after %v, want about %v", took, timeout)
	}
	if !strings.Contains(err.Error(), "did not answer within") {
		t.Errorf("message %q should say the keyring did not answer", err)
	}
}

func TestKeyringCallEndsWithTheCallersContext(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := call(ctx, time.Minute, func() (string, error) { <-release; return "", nil })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestKeyringCallTurnsALibraryPanicIntoAnError(t *testing.T) {
	_, err := call(context.Background(), time.Minute, func() (string, error) {
		var s *dbus.Signal
		return s.Name, nil // what go-keyring does when the bus closes during a prompt
	})
	if err == nil || !strings.Contains(err.Error(), "keyring library failed") {
		t.Fatalf("err = %v, want the panic as an error", err)
	}
}
