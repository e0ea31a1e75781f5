//go:build cgo

package withtray

import (
	"github.com/ibkr-tray/ibkr-tray/ui"
	_ "github.com/ibkr-tray/ibkr-tray/ui/fynelocale" // before Fyne reads the locale
)

// Summary is the tray app's line in `ibkr-tray help`.
const Summary = "run the tray app (the default; --demo runs it against the built-in simulator)"

// Main runs the tray app and returns its exit status.
func Main(args []string) int { return ui.Main(args) }
