package ui

import (
	"bytes"
	"io"
	"log"
	"sync"
)

// Quitting sometimes logged "Fyne error: Preferences load error: Cause:
// EOF" (seen with a fresh config folder; it is a race, about one quit in
// ten here). The cause is in Fyne 2.7.1 (app/preferences.go): at exit it
// saves its preferences file, and save() opens it with os.Create, which
// empties it, before it sets the flag that tells its own folder watcher to
// ignore the change. The watcher can run in between, read the empty file
// and log the EOF. Nothing is lost: the values are in memory and being
// written that very moment, and this app keeps its settings in its own
// config.json, not in Fyne's preferences. We cannot reach the watcher nor
// the save, so the standard logger (which Fyne logs through) drops that
// one line and passes every other.

// fyneNoise are lines of Fyne's log that say nothing a user can act on.
var fyneNoise = [][]byte{[]byte("Preferences load error:")}

// quietFyneLog sends the standard logger's lines to w, less Fyne's noise.
func quietFyneLog(w io.Writer) io.Writer { return &lineFilter{w: w} }

// lineFilter drops Fyne's noisy entries. fyne.LogError writes an entry as
// up to three log lines ("Fyne error: ...", "  Cause: ...", "  At: ..."),
// one Write each, so after a noisy first line its Cause and At lines go
// too.
type lineFilter struct {
	mu       sync.Mutex
	w        io.Writer
	dropping bool
}

func (f *lineFilter) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.dropping && (bytes.Contains(p, []byte("  Cause:")) || bytes.Contains(p, []byte("  At: "))) {
		return len(p), nil
	}
	f.dropping = false
	for _, n := range fyneNoise {
		if bytes.Contains(p, n) {
			f.dropping = true
			return len(p), nil
		}
	}
	return f.w.Write(p)
}

// installQuietFyneLog points the standard logger at stderr through the
// filter.
func installQuietFyneLog(stderr io.Writer) { log.SetOutput(quietFyneLog(stderr)) }
