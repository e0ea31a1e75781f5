package runner

import (
	"cmp"
	"slices"
	"time"

	"github.com/ibkr-tray/ibkr-tray/session"
	"github.com/ibkr-tray/ibkr-tray/session/login"
	"github.com/ibkr-tray/ibkr-tray/ui/config"
)

// Reconfigure applies changed settings to the running parts at once: the
// keeper takes "take the session back", the login caps, the brokerage
// wait, the second factor and the approval wait live. Settings
// that the gateway or the keeper only read when they start (the gateway
// folder, the port, paper or live, the gateway URL, the status address, the
// secrets file, the browser) are logged as waiting for a restart;
// NeedsRestart names them, and the tray restarts the backend for those.
// It does not block.
func (r *Runner) Reconfigure(c config.Config) {
	if pending := r.NeedsRestart(c); len(pending) > 0 {
		r.log.Warn("these settings apply when the gateway and session are restarted", "settings", pending)
	}
	r.session.Reconfigure(sessionSettings(c, r.brokerageWait))
}

// NeedsRestart names the settings in c that differ from those the runner
// was started with and that apply only after a restart of the backend.
func (r *Runner) NeedsRestart(c config.Config) []string {
	return restartSettings(r.opts.Config, c)
}

// sessionSettings are the keeper's live settings from the settings file.
// wait is the keeper's brokerage wait as it was made (0: its default).
func sessionSettings(c config.Config, wait time.Duration) session.Settings {
	return session.Settings{
		TakeBackCompeting: c.TakeBackCompeting,
		MaxFailedInRow:    c.MaxFailedLoginsInRow,
		MaxFailedPerDay:   c.MaxFailedLoginsPerDay,
		BrokerageWait:     cmp.Or(time.Duration(c.BrokerageWait), wait),
		SecondFactor:      secondFactor(c.SecondFactor),
		ApprovalWait:      cmp.Or(time.Duration(c.ApprovalWait), config.DefaultApprovalWait),
	}
}

// secondFactor is the setting's factor; one Validate refused (it never
// reaches here) is automatic.
func secondFactor(s string) login.SecondFactor {
	f, err := login.ParseSecondFactor(s)
	if err != nil {
		return login.FactorAuto
	}
	return f
}

// restartSettings names, by their settings-file keys, what changed between
// old and c that only a restart applies.
func restartSettings(old, c config.Config) []string {
	var names []string
	add := func(changed bool, name string) {
		if changed {
			names = append(names, name)
		}
	}
	add(old.GatewayDir != c.GatewayDir, "gatewayDir")
	add(old.Port != c.Port, "port")
	add(old.Paper != c.Paper, "paper")
	add(old.GatewayURL != c.GatewayURL, "gatewayURL")
	add(old.AllowRemoteGateway != c.AllowRemoteGateway, "allowRemoteGateway")
	add(old.CAFile != c.CAFile, "caFile")
	add(old.SecretsFile != c.SecretsFile, "secretsFile")
	add(old.Browser != c.Browser, "browser")
	add(old.VisibleBrowser != c.VisibleBrowser, "visibleBrowser")
	add(!slices.Equal(old.LoginSelectors, c.LoginSelectors), "loginSelectors")
	add(old.StatusAddr != c.StatusAddr, "statusAddr")
	add(old.TickleInterval != c.TickleInterval, "tickleInterval")
	add(old.ReadyTimeout != c.ReadyTimeout, "readyTimeout")
	add(!slices.EqualFunc(old.OnStateChange, c.OnStateChange, slices.Equal), "onStateChange")
	add(!slices.Equal(old.Webhooks, c.Webhooks), "webhooks")
	add(old.WebhooksAllowRemote != c.WebhooksAllowRemote, "webhooksAllowRemote")
	add(old.HookTimeout != c.HookTimeout, "hookTimeout")
	return names
}
