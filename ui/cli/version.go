package cli

import (
	"fmt"

	"github.com/ibkr-tray/ibkr-tray/ui/version"
)

// Version is `ibkr-tray version` (and `ibkr-tray --version`): the version
// of FyneApp.toml and what the build knows about itself, on one line.
func Version([]string) int {
	fmt.Fprintln(stdout, "ibkr-tray", version.String())
	return 0
}
