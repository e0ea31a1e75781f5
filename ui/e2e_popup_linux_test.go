package ui

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ibkr-tray/ibkr-tray/ui/desktoptest"
)

// Defect 8 of issue 8: the popup came up at y=815, 294 px tall, on a
// 1000 px screen, its buttons off screen. On a real X server, it must be
// all on screen and only as tall as its text.
func TestPopupIsOnScreenAndSizedToItsText(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: starts Xvfb, a bus and the tray app")
	}
	desktoptest.RequireTools(t, "Xvfb", "xdpyinfo", "dbus-daemon", "xwininfo")
	bus := desktoptest.StartBus(t)
	display := desktoptest.StartXvfb(t)
	c := startChild(t, display.Name, bus.Address)
	c.expect("STARTED", 20*time.Second)
	st := badCredentials()
	c.send(childCommand{Status: &st})
	c.expect("SHOWN popup", 10*time.Second)
	title, _, _ := explain(st)
	var r image.Rectangle
	eventually(t, "the popup window is mapped", func() bool {
		var ok bool
		r, ok = display.Geometry(title)
		return ok && r.Dx() > 1
	})
	screen := image.Rectangle{Max: display.Size()}
	if !r.In(screen) {
		t.Errorf("popup at %v; the screen is %v", r, screen)
	}
	if r.Dy() > 260 || r.Dx() > 640 {
		t.Errorf("popup %dx%d; two sentences and a row of buttons need less", r.Dx(), r.Dy())
	}
	t.Logf("popup at %v on a %v screen", r, screen.Max)
}

// The IB Key popup on a real X server: on screen, small, and its
// countdown ticking. The screenshot goes to the documentation's folder
// when IBKR_TRAY_DOC_SCREENSHOTS names it (as popup-approve-on-phone-xvfb.png).
func TestApprovePopupUnderXvfb(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: starts Xvfb, a bus and the tray app")
	}
	desktoptest.RequireTools(t, "Xvfb", "xdpyinfo", "dbus-daemon", "xwininfo", "import")
	bus := desktoptest.StartBus(t)
	display := desktoptest.StartXvfb(t)
	c := startChild(t, display.Name, bus.Address)
	c.expect("STARTED", 20*time.Second)
	st := demo(approveOnPhone())
	st.Session.Latches.ApprovalUntil = time.Now().Add(102 * time.Second)
	c.send(childCommand{Status: &st})
	c.expect("SHOWN popup", 10*time.Second)
	var r image.Rectangle
	eventually(t, "the popup window is mapped", func() bool {
		var ok bool
		r, ok = display.Geometry(approveTitle)
		return ok && r.Dx() > 1
	})
	if screen := (image.Rectangle{Max: display.Size()}); !r.In(screen) {
		t.Errorf("popup at %v; the screen is %v", r, screen)
	}
	if r.Dy() > 260 || r.Dx() > 640 {
		t.Errorf("popup %dx%d; a sentence, a countdown and a row of buttons need less", r.Dx(), r.Dy())
	}
	dir := os.Getenv(docScreenshotsEnv)
	if dir == "" {
		dir = t.TempDir()
	}
	path := filepath.Join(dir, "popup-approve-on-phone-xvfb.png")
	// Drawn once mapped: wait for a frame with the popup's pixels, not
	// the empty window.
	eventually(t, "a screenshot of the drawn popup", func() bool {
		if err := display.Screenshot(path, display.WindowID(approveTitle)); err != nil {
			return false
		}
		return notBlank(t, path)
	})
	// The countdown moves each second: a later frame differs.
	first, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	later := filepath.Join(t.TempDir(), "later.png")
	eventually(t, "the countdown moves on screen", func() bool {
		if err := display.Screenshot(later, display.WindowID(approveTitle)); err != nil {
			return false
		}
		b, err := os.ReadFile(later)
		return err == nil && notBlank(t, later) && !bytes.Equal(b, first)
	})
	t.Logf("popup at %v, screenshot %s", r, path)
}

// notBlank reports whether a PNG has more than one colour.
func notBlank(t *testing.T, path string) bool {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		return false
	}
	b := img.Bounds()
	first := img.At(b.Min.X, b.Min.Y)
	for y := b.Min.Y; y < b.Max.Y; y += 3 {
		for x := b.Min.X; x < b.Max.X; x += 3 {
			if img.At(x, y) != first {
				return true
			}
		}
	}
	return false
}
