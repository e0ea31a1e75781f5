package desktoptest

import (
	"os"
	"testing"
)

func TestStartKeyringUnlocksThenLockLocks(t *testing.T) {
	bus := StartBus(t)
	before := os.Getenv("XDG_DATA_HOME")
	k := StartKeyring(t, bus, "keyring-password")
	if d := os.Getenv("XDG_DATA_HOME"); d == "" || d == before {
		t.Errorf("XDG_DATA_HOME = %q, want a fresh folder", d)
	}
	c := bus.Conn(t)
	if has, err := bus.HasOwner(c, SecretsName); err != nil || !has {
		t.Fatalf("%s has no owner after StartKeyring: %v", SecretsName, err)
	}
	if k.Locked(t) {
		t.Fatal("the keyring started locked")
	}
	k.Lock(t)
	if !k.Locked(t) {
		t.Fatal("Lock did not lock the login collection")
	}
}

func TestStartLockedKeyringIsLocked(t *testing.T) {
	bus := StartBus(t)
	if k := StartLockedKeyring(t, bus); !k.Locked(t) {
		t.Fatal("StartLockedKeyring gave an unlocked keyring")
	}
}
