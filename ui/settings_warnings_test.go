package ui

import (
	"testing"
	"time"

	"github.com/ibkr-tray/ibkr-tray/gateway"
	"github.com/ibkr-tray/ibkr-tray/ui/runner"
)

// TestSettingsWarningsAreShown: what reading the settings found reaches
// the desktop, even with notifications off.
func TestSettingsWarningsAreShown(t *testing.T) {
	h := newHarness(t, runner.Status{Gateway: gateway.Status{State: gateway.Running}})
	h.tray.notifyOn.Store(false)
	w := `The settings file /home/ann/.config/ibkr-tray/config.json has a setting ibkr-tray does not know, "colour"; it is ignored (check its spelling).`
	h.tray.tellSettingsWarnings([]string{w})
	deadline := time.Now().Add(5 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		h.notes.mu.Lock()
		var got []Notification
		got = append(got, h.notes.got...)
		h.notes.mu.Unlock()
		for _, n := range got {
			if n.Body == w {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no notification of the warning within 5s; got %+v", got)
		}
		<-tick.C
	}
}
