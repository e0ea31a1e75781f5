package profiles

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ibkr-tray/ibkr-tray/session/secrets"
	"github.com/ibkr-tray/ibkr-tray/ui/desktoptest"
)

// TestRenameAndRemoveMoveTheKeyringItem runs a real gnome-keyring on a
// private D-Bus (as session/secrets' tests do): the item moves with the
// rename, the other profile's stays, and remove deletes it.
func TestRenameAndRemoveMoveTheKeyringItem(t *testing.T) {
	bus := desktoptest.StartBus(t)
	desktoptest.StartKeyring(t, bus, "keyring-password")
	home(t)
	store := secrets.Keyring(5 * time.Second)
	ctx := context.Background()
	live := secrets.Credentials{Username: "trader1", Password: "pw1"}
	paper := secrets.Credentials{Username: "paperuser", Password: "pw2"}
	if err := store.Set(ctx, "paper", paper); err != nil {
		t.Fatal(err)
	}
	if err := store.Set(ctx, "live", live); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"paper", "live"} {
		if _, err := Add(n); err != nil {
			t.Fatal(err)
		}
	}
	if err := Rename("paper", "practice", store); err != nil {
		t.Fatalf("Rename: %v", err)
	}
	if got, err := store.Get(ctx, "practice"); err != nil || got != paper {
		t.Errorf("the renamed item: %v, %v", got, err)
	}
	if _, err := store.Get(ctx, "paper"); !errors.Is(err, secrets.ErrNotFound) {
		t.Errorf("the old item stayed: %v", err)
	}
	if got, err := store.Get(ctx, "live"); err != nil || got != live {
		t.Errorf("another profile's item changed: %v, %v", got, err)
	}
	if err := Remove("practice", store); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	if _, err := store.Get(ctx, "practice"); !errors.Is(err, secrets.ErrNotFound) {
		t.Errorf("the removed profile's item stayed: %v", err)
	}
}
