package cli

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/ibkr-tray/ibkr-tray/gateway"
	"github.com/ibkr-tray/ibkr-tray/ui/config"
)

// CrashLog is the file, in the state folder shared by the profiles, that
// receives the report of a fatal panic.
const CrashLog = "crash.log"

// RecordCrashes sends the report of a fatal panic to
// ~/.local/state/ibkr-tray/crash.log too (mode 0600): a tray app started at
// login has nobody reading its standard error. main calls it first.
func RecordCrashes() {
	paths, err := config.PathsFor(config.DefaultProfile)
	if err != nil {
		return
	}
	path := filepath.Join(filepath.Dir(paths.StateDir), CrashLog)
	if err := gateway.RecordCrashes(path); err != nil {
		fmt.Fprintf(os.Stderr, "ibkr-tray: crash reports go to standard error only (%s: %v)\n", path, err)
	}
}
