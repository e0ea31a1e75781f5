//go:build !cgo

package withtray

import (
	"fmt"
	"io"
	"os"
	"slices"
)

// Summary is the tray app's line in `ibkr-tray help`.
const Summary = "the tray app, which this build (made without cgo, for servers) does not have: use headless"

// Main says that this build has no tray and what to run instead: exit 2,
// as for any command the binary does not have.
func Main(args []string) int { return noTray(args, os.Stderr) }

func noTray(args []string, stderr io.Writer) int {
	instead := "ibkr-tray headless"
	if slices.Contains(args, "--demo") || slices.Contains(args, "-demo") {
		instead = "ibkr-tray headless --demo"
	}
	fmt.Fprintf(stderr, "ibkr-tray: this build has no tray app (it was built without cgo, for servers and containers), so run `%s` instead, or `ibkr-tray help` for the other commands.\n", instead)
	return 2
}
