package session

import (
	"testing"

	"github.com/ibkr-tray/ibkr-tray/ui/desktoptest"
)

// TestDesktopTestsFailWithoutTheirTools: with IBKR_TRAY_REQUIRE_DESKTOP=1
// the keeper's tests against the simulator fail when Chromium is missing,
// instead of skipping, so CI cannot pass without running them.
func TestDesktopTestsFailWithoutTheirTools(t *testing.T) {
	desktoptest.CheckRequireDesktop(t, "TestKeeperAgainstSimulator")
}
