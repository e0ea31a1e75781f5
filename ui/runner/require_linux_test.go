package runner

import (
	"testing"

	"github.com/ibkr-tray/ibkr-tray/ui/desktoptest"
)

// TestDesktopTestsFailWithoutTheirTools: with IBKR_TRAY_REQUIRE_DESKTOP=1
// the demo test fails when Chromium is missing, instead of skipping, so CI
// cannot pass without running it.
func TestDesktopTestsFailWithoutTheirTools(t *testing.T) {
	desktoptest.CheckRequireDesktop(t, "TestDemoKeepsTheSessionThroughFaultsAndLeaksNoSecret")
}
