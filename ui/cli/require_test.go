//go:build unix

package cli

import (
	"testing"

	"github.com/ibkr-tray/ibkr-tray/ui/desktoptest"
)

// TestDesktopTestsFailWithoutTheirTools: with IBKR_TRAY_REQUIRE_DESKTOP=1
// the tests that need Chromium, D-Bus or gnome-keyring fail when it is
// missing, instead of skipping, so CI cannot pass without running them.
func TestDesktopTestsFailWithoutTheirTools(t *testing.T) {
	desktoptest.CheckRequireDesktop(t,
		"TestStatusLoginLogoutDriveAHeadlessDemo",
		"TestSecretsSetAndCheckInTheKeyring",
		"TestSecretsCheckWithoutAKeyringSaysSo",
	)
}
