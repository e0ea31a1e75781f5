//go:build unix

package runner

import (
	"slices"
	"testing"
	"time"

	"github.com/ibkr-tray/ibkr-tray/session"
	"github.com/ibkr-tray/ibkr-tray/ui/config"
)

// TestReconfigureReachesTheKeeper: the settings window's "Saved." is true
// for the live settings: take-back and both caps reach the keeper without
// a restart, and a changed port is named as waiting for one.
func TestReconfigureReachesTheKeeper(t *testing.T) {
	k := &fakeKeeper{ch: make(chan struct{}, 1)}
	r := simRunner(t, k)
	c := r.opts.Config
	if got := r.NeedsRestart(c); len(got) != 0 {
		t.Fatalf("unchanged settings need a restart of %v", got)
	}
	c.TakeBackCompeting = !c.TakeBackCompeting
	c.MaxFailedLoginsInRow = 2
	c.MaxFailedLoginsPerDay = 4
	c.BrokerageWait = config.Duration(90 * time.Second) // issue 8: live too
	r.Reconfigure(c)
	k.mu.Lock()
	got := slices.Clone(k.settings)
	k.mu.Unlock()
	want := []session.Settings{{TakeBackCompeting: c.TakeBackCompeting, MaxFailedInRow: 2, MaxFailedPerDay: 4, BrokerageWait: 90 * time.Second}}
	if !slices.Equal(got, want) {
		t.Errorf("the keeper got %+v, want %+v", got, want)
	}
	if pending := r.NeedsRestart(c); len(pending) != 0 {
		t.Errorf("live settings named as needing a restart: %v", pending)
	}
	c.Port = 5099
	c.GatewayDir = "/elsewhere"
	if pending := r.NeedsRestart(c); !slices.Equal(pending, []string{"gatewayDir", "port"}) {
		t.Errorf("NeedsRestart = %v, want gatewayDir and port", pending)
	}
}
