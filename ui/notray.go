package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"
)

// Without a tray host (GNOME without the AppIndicator extension) the status
// window stands in for the tray icon, so it carries what the menu would:
// Settings… and Quit. Closing it asks: with no tray icon there is no way to
// bring the window back, so a quiet close would leave a gateway running
// that the user can neither see nor stop, while quitting without a word
// would stop the gateway their programs use. The question says which.

// Words of the stand-in window.
const (
	noTrayNotice = "No system tray: %s. This window stands in for the tray icon: keep it open (or minimised) while ibkr-tray runs."
	closeTitle   = "Quit ibkr-tray?"
	closeText    = "There is no tray icon to bring this window back, so closing it quits ibkr-tray."
	closeTextGW  = "There is no tray icon to bring this window back, so closing it quits ibkr-tray and stops the gateway your programs use."
	labelKeep    = "Keep running"
)

// noTrayBar is the stand-in window's row of tray actions.
type noTrayBar struct {
	settings, quit *widget.Button
	box            *fyne.Container
}

func (t *trayApp) newNoTrayBar() *noTrayBar {
	b := &noTrayBar{
		settings: widget.NewButton(labelSettings, t.showSettings),
		quit:     widget.NewButton(labelQuit, t.quit),
	}
	b.quit.Importance = widget.DangerImportance
	b.box = container.NewHBox(b.settings, layout.NewSpacer(), b.quit)
	b.update(t)
	return b
}

// update names what Quit stops. UI goroutine.
func (b *noTrayBar) update(t *trayApp) {
	label := labelQuit
	if runsGateway(t.last) {
		label = labelQuitAndStop
	}
	if b.quit.Text != label {
		b.quit.SetText(label)
		b.box.Refresh() // the button grew: lay the row out again
	}
}

// noTrayContent puts the tray's actions under the status window's content.
func (t *trayApp) noTrayContent(content fyne.CanvasObject) fyne.CanvasObject {
	t.noTray = t.newNoTrayBar()
	return container.NewBorder(nil, container.NewPadded(t.noTray.box), nil, nil, content)
}

// askQuit is the stand-in window's close: it asks before quitting.
func (t *trayApp) askQuit() {
	text, confirm := closeText, labelQuit
	if runsGateway(t.last) {
		text, confirm = closeTextGW, labelQuitAndStop
	}
	d := dialog.NewConfirm(closeTitle, text, func(quit bool) {
		if quit {
			t.quit()
		}
	}, t.statusWin)
	d.SetConfirmText(confirm)
	d.SetDismissText(labelKeep)
	d.Show()
	t.shown("ask-quit")
}
