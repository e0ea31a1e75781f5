package ui

import "fyne.io/systray"

// StatusNotifierItem Status values (the spec's words).
const (
	sniActive         = "Active"
	sniNeedsAttention = "NeedsAttention"
)

// sniStatusFor is the tray item's Status for an icon: NeedsAttention
// exactly when the icon is the attention icon, so a tray host that
// highlights or keeps visible an item needing the user does so then.
func sniStatusFor(s IconState) string {
	if s == IconAttention {
		return sniNeedsAttention
	}
	return sniActive
}

// setTrayStatus reaches fyne.io/systray directly, like setTrayTooltip:
// Fyne has no hook for it. SetStatus is ours (ui/third_party/systray);
// off Linux and the BSDs it does nothing.
var setTrayStatus = systray.SetStatus

// updateTrayStatus sets the item's Status when it changed. UI goroutine.
func (t *trayApp) updateTrayStatus(s IconState) {
	status := sniStatusFor(s)
	if status == t.lastTrayStatus || t.desk == nil || t.o.NoTray != "" {
		return
	}
	t.lastTrayStatus = status
	setTrayStatus(status)
}
