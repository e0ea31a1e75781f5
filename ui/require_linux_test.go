package ui

import (
	"testing"

	"github.com/ibkr-tray/ibkr-tray/ui/desktoptest"
)

// TestDesktopTestsFailWithoutTheirTools: with IBKR_TRAY_REQUIRE_DESKTOP=1
// the tests that need Xvfb, D-Bus, gnome-keyring, Chromium or ImageMagick
// fail when one is missing, instead of skipping, so CI cannot pass without
// running them.
func TestDesktopTestsFailWithoutTheirTools(t *testing.T) {
	desktoptest.CheckRequireDesktop(t,
		"TestTrayWithoutATrayShowsTheStatusWindow",
		"TestTrayEndToEndWithTheSimulator",
		"TestDesktopNotifierButtonsReachTheTray",
	)
}
