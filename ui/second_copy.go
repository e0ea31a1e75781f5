package ui

import (
	"errors"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"github.com/ibkr-tray/ibkr-tray/ui/config"
	"github.com/ibkr-tray/ibkr-tray/ui/runner"
)

// A second copy for a profile used to start, show a dead grey icon, and
// say why only when clicked. It now checks before any tray exists, says
// so in a window at once, and exits.

// otherCopy says, in the tray's words, that another copy runs for this
// profile; "" when none does. It takes the profile's lock and lets it go
// (the backend takes it for good); a copy that starts in between still
// meets the backend's own check.
func otherCopy(paths config.Paths, demo bool) string {
	profile, lockFile := paths.Profile, paths.LockFile
	if demo {
		dp, err := config.PathsFor(runner.DemoProfile)
		if err != nil {
			return ""
		}
		profile, lockFile = runner.DemoProfile, dp.LockFile
	}
	lock, err := runner.Lock(lockFile, profile)
	var running *runner.AlreadyRunningError
	if errors.As(err, &running) {
		return alreadyRunningText(running)
	}
	_ = lock.Release()
	return ""
}

// alreadyRunningText is the sentence the user reads.
func alreadyRunningText(e *runner.AlreadyRunningError) string {
	pid := ""
	if e.PID > 0 {
		pid = fmt.Sprintf(" (pid %d)", e.PID)
	}
	return fmt.Sprintf("ibkr-tray is already running for profile %s%s. Use its icon in the tray, or quit it first.", e.Profile, pid)
}

// alreadyRunningWindow says it in a small window whose OK (or close)
// quits the app.
func alreadyRunningWindow(a fyne.App, text string) fyne.Window {
	w := a.NewWindow("ibkr-tray is already running")
	// One sentence a line, unwrapped: a wrapping label makes Fyne size
	// the window for a narrow column, 770 px tall.
	msg := widget.NewLabel(strings.Replace(text, ". ", ".\n", 1))
	ok := widget.NewButton("OK", a.Quit)
	ok.Importance = widget.HighImportance
	w.SetContent(container.NewBorder(nil, container.NewHBox(layout.NewSpacer(), ok), nil, nil, msg))
	w.SetFixedSize(true)
	w.SetCloseIntercept(a.Quit)
	w.CenterOnScreen()
	return w
}
