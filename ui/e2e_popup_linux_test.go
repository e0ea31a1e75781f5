package ui

import (
	"image"
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
