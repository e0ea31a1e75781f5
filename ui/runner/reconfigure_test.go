//go:build unix

package runner

import (
	"slices"
	"testing"
	"time"

	"github.com/ibkr-tray/ibkr-tray/session"
	"github.com/ibkr-tray/ibkr-tray/session/login"
	"github.com/ibkr-tray/ibkr-tray/session/secrets"
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
	c.SecondFactor = "ibkey"                            // issue 12: live too
	c.ApprovalWait = config.Duration(3 * time.Minute)
	r.Reconfigure(c)
	k.mu.Lock()
	got := slices.Clone(k.settings)
	k.mu.Unlock()
	want := []session.Settings{{TakeBackCompeting: c.TakeBackCompeting, MaxFailedInRow: 2, MaxFailedPerDay: 4, BrokerageWait: 90 * time.Second,
		SecondFactor: login.FactorIBKey, ApprovalWait: 3 * time.Minute}}
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

// TestTheSecondFactorReachesTheKeeper: the settings' second factor and
// approval wait are the keeper's from its start; a bad factor is refused.
func TestTheSecondFactorReachesTheKeeper(t *testing.T) {
	c := config.Default()
	c.SecondFactor, c.ApprovalWait = "ibkey", config.Duration(45*time.Second)
	var got session.KeeperOptions
	o := Options{Config: c, Credentials: secrets.Memory(secrets.Credentials{}), Keeper: func(ko *session.KeeperOptions) { got = *ko }}
	if _, _, err := newKeeper(o, "https://localhost:5000", nil, nil); err != nil {
		t.Fatal(err)
	}
	if got.SecondFactor != login.FactorIBKey || got.ApprovalWait != 45*time.Second {
		t.Errorf("the keeper was made with factor %q, approval wait %v", got.SecondFactor, got.ApprovalWait)
	}
	o.Config.SecondFactor = "sms"
	if _, _, err := newKeeper(o, "https://localhost:5000", nil, nil); err == nil {
		t.Error("a second factor the app does not know made a keeper")
	}
	// Back to the default wait when the setting is cleared.
	if s := sessionSettings(config.Default(), 0); s.SecondFactor != login.FactorAuto || s.ApprovalWait != config.DefaultApprovalWait {
		t.Errorf("default settings: factor %q, approval wait %v", s.SecondFactor, s.ApprovalWait)
	}
}
