package ui

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ibkr-tray/ibkr-tray/ui/desktoptest"
)

// TestNotificationsCarryTheAppIcon: notifications came with no icon. The
// server receives app_icon, a path to the app icon's PNG in the cache
// folder, and the image-data hint with its pixels.
func TestNotificationsCarryTheAppIcon(t *testing.T) {
	desktoptest.RequireTools(t, "dbus-daemon")
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	bus := desktoptest.StartBus(t)
	server := desktoptest.StartNotificationServer(t, bus)
	n := newDesktopNotifier("ibkr-tray", nil, nil, slog.New(slog.DiscardHandler))
	for _, title := range []string{"IBKR login needed", "IBKR session restored"} {
		if err := n.Notify(Notification{Kind: NoticeLoginNeeded, Title: title, Body: "b"}); err != nil {
			t.Fatal(err)
		}
	}
	var got []desktoptest.Notification
	for _, title := range []string{"IBKR login needed", "IBKR session restored"} {
		got = append(got, server.Wait(t, title, func(n desktoptest.Notification) bool { return n.Summary == title }, 5*time.Second))
	}
	want := filepath.Join(cache, "ibkr-tray", "app-icon.png")
	for _, g := range got {
		if g.Icon != want {
			t.Errorf("%s: app_icon %q; want %q", g.Summary, g.Icon, want)
		}
		img := g.Image
		if img == nil {
			t.Fatalf("%s: no image-data hint", g.Summary)
		}
		if img.W != notifyIconPixels || img.H != notifyIconPixels || img.Rowstride != 4*notifyIconPixels ||
			!img.HasAlpha || img.Bits != 8 || img.Channels != 4 || len(img.Data) != int(img.Rowstride*img.H) {
			t.Errorf("%s: image-data %dx%d stride %d alpha %v bits %d channels %d, %d bytes; want %d px RGBA",
				g.Summary, img.W, img.H, img.Rowstride, img.HasAlpha, img.Bits, img.Channels, len(img.Data), notifyIconPixels)
		}
		opaque := 0
		for i := 3; i < len(img.Data); i += 4 {
			if img.Data[i] > 200 {
				opaque++
			}
		}
		if opaque < len(img.Data)/4/4 {
			t.Errorf("%s: image-data has only %d opaque pixels; the icon is not in it", g.Summary, opaque)
		}
	}
	b, err := os.ReadFile(want)
	if err != nil || !bytes.Equal(b, appIcon().Content()) {
		t.Errorf("the icon file %s (err %v) is not the app icon's PNG", want, err)
	}
}
