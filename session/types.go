package session

import "time"

// AuthStatus is the gateway's view of the brokerage session, as answered by
// /iserver/auth/status, /iserver/auth/ssodh/init and inside /tickle.
type AuthStatus struct {
	// Authenticated means the brokerage session is usable.
	Authenticated bool `json:"authenticated"`
	// Connected means the gateway is connected to the brokerage backend.
	Connected bool `json:"connected"`
	// Competing means another session of the same username contends with
	// this one (TWS, mobile, WebTrader).
	Competing bool `json:"competing"`
	// Established is set by some ssodh/init answers ("established" or
	// "passed").
	Established bool `json:"established,omitempty"`

	Message       string   `json:"message,omitempty"`
	Fail          string   `json:"fail,omitempty"`
	MAC           string   `json:"MAC,omitempty"`
	HardwareInfo  string   `json:"hardware_info,omitempty"`
	Prompts       []string `json:"prompts,omitempty"`
	ServerName    string   `json:"serverName,omitempty"`
	ServerVersion string   `json:"serverVersion,omitempty"`
}

// Tickle is the answer to POST /tickle.
type Tickle struct {
	Session string `json:"session"`
	// SSOExpires is the time left on the SSO session.
	SSOExpires time.Duration `json:"ssoExpires"`
	// Collision is IBKR's "collission" flag.
	Collision bool  `json:"collission"`
	UserID    int64 `json:"userId"`
	// Auth is the brokerage status carried in iserver.authStatus; HasAuth
	// says whether the answer carried it at all.
	Auth    AuthStatus `json:"authStatus"`
	HasAuth bool       `json:"hasAuth"`
}

// SSOValidate is the answer to GET /sso/validate.
type SSOValidate struct {
	UserID     int64  `json:"userId"`
	UserName   string `json:"userName"`
	Credential string `json:"credential"`
	Result     bool   `json:"result"`
	// LoginType is 1 for live, 2 for paper (IBKR's LOGIN_TYPE or loginType).
	LoginType int       `json:"loginType"`
	AuthTime  time.Time `json:"authTime"`
	// Expires is the time left on the SSO session.
	Expires       time.Duration `json:"expires"`
	PaperUserName string        `json:"paperUserName,omitempty"`
	IP            string        `json:"ip,omitempty"`
	Region        string        `json:"region,omitempty"`
}

// Paper reports whether the SSO session is a paper-trading login.
func (v SSOValidate) Paper() bool { return v.LoginType == 2 }

// Accounts is the answer to GET /iserver/accounts.
type Accounts struct {
	Accounts []string          `json:"accounts"`
	Aliases  map[string]string `json:"aliases,omitempty"`
	Selected string            `json:"selectedAccount"`
	IsPaper  bool              `json:"isPaper"`
}

// PortfolioAccount is one element of GET /portfolio/accounts.
type PortfolioAccount struct {
	ID           string `json:"id"`
	AccountID    string `json:"accountId"`
	AccountTitle string `json:"accountTitle"`
	DisplayName  string `json:"displayName"`
	Currency     string `json:"currency"`
	Type         string `json:"type"`
	TradingType  string `json:"tradingType"`
}
