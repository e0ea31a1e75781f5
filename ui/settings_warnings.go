package ui

// tellSettingsWarnings shows what reading the settings file found (unknown
// keys, a damaged file set aside) as desktop notifications, once at start.
// They are sent even with notifications turned off: they are about the
// settings themselves, and a tray started at login has no terminal to
// print them to. It does not block.
func (t *trayApp) tellSettingsWarnings(warnings []string) {
	for _, w := range warnings {
		t.o.Log.Warn("settings", "warning", w)
		select {
		case t.notes <- Notification{Title: "ibkr-tray settings", Body: w}:
		default:
			t.o.Log.Warn("notification dropped: too many at once", "title", "ibkr-tray settings")
		}
	}
}
