package ui

import (
	"net/url"
	"path/filepath"
)

// openFailed shows in the status window what the browser or the file
// manager would not open, to copy and open by hand: the address, or the
// folder's path (not a file:// URL). UI goroutine.
func (t *trayApp) openFailed(u *url.URL, err error) {
	what, target := "the browser", u.String()
	if u.Scheme == "file" {
		what, target = "the log folder", filepath.FromSlash(u.Path)
	}
	t.showStatus()
	t.status.showOpenFailed(what, target, err)
}
