package runner

import (
	"net/http"
	"time"

	"github.com/ibkr-tray/ibkr-tray/session"
	"github.com/ibkr-tray/ibkr-tray/session/login"
	"github.com/ibkr-tray/ibkr-tray/session/secrets"
	"github.com/ibkr-tray/ibkr-tray/ui/config"
	"github.com/ibkr-tray/ibkr-tray/ui/version"
)

// newKeeper builds the session keeper from the settings: a Web API client
// for the gateway (the settings' gatewayURL, else the supervised one at
// gatewayURL, its transport wrapped by wrap for the metrics), the credential store, and the login template. restart
// restarts the supervised gateway: one remedy for a brokerage session that
// never opens. wait is the keeper's brokerage wait as made (0: its
// default), which Reconfigure passes on when the settings name none.
func newKeeper(o Options, gatewayURL string, restart func(), wrap func(http.RoundTripper) http.RoundTripper) (k *session.Keeper, wait time.Duration, err error) {
	c := o.Config
	base := gatewayURL
	if c.GatewayURL != "" {
		base = c.GatewayURL
	}
	client, err := session.NewClient(session.ClientOptions{
		BaseURL:     base,
		AllowRemote: c.AllowRemoteGateway,
		CAFile:      c.CAFile,
		Logger:      o.Logger,
		// Times the calls for /metrics.
		WrapTransport: wrap,
		Version:       version.Number,
	})
	if err != nil {
		return nil, 0, err
	}
	selectors, err := login.ParseSelectors(c.LoginSelectors)
	if err != nil {
		return nil, 0, err
	}
	factor, err := login.ParseSecondFactor(c.SecondFactor)
	if err != nil {
		return nil, 0, err
	}
	profile := o.Paths.Profile
	if profile == "" {
		profile = config.DefaultProfile
	}
	ko := session.KeeperOptions{
		Client:      client,
		Credentials: credentialStore(o),
		Profile:     profile,
		LoginAttempt: login.Attempt{
			AllowRemote: c.AllowRemoteGateway,
			Paper:       c.Paper,
			Selectors:   selectors,
			Browser:     c.Browser,
			Visible:     c.VisibleBrowser,
		},
		TakeBackCompeting: c.TakeBackCompeting,
		MaxFailedInRow:    c.MaxFailedLoginsInRow,
		MaxFailedPerDay:   c.MaxFailedLoginsPerDay,
		TickleInterval:    time.Duration(c.TickleInterval),
		LoginWait:         time.Duration(c.BrokerageWait),
		SecondFactor:      factor,
		ApprovalWait:      time.Duration(c.ApprovalWait),
		RestartGateway:    restart,
		Logger:            o.Logger,
	}
	if o.Paths.StateDir != "" {
		ko.StateFile = o.Paths.SessionState()
		ko.LoginAttempt.DiagnosticsDir = o.Paths.Diagnostics()
	}
	if o.Keeper != nil {
		o.Keeper(&ko)
	}
	return session.NewKeeper(ko), ko.LoginWait, nil
}

// credentialStore is the store Options name, else the settings' secrets
// file, else the OS keyring. Nothing is read until a login needs it.
func credentialStore(o Options) secrets.Store {
	switch {
	case o.Credentials != nil:
		return o.Credentials
	case o.Config.SecretsFile != "":
		return secrets.File(o.Config.SecretsFile)
	}
	return secrets.Keyring(secrets.DefaultTimeout)
}
