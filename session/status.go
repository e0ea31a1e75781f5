package session

import "time"

// State is where the session keeper stands. Values are explicit because they
// are written to the status endpoint and the state file.
type State int

const (
	GatewayDown      State = 1  // the gateway does not answer
	Connecting       State = 2  // first contact, or checking after a change
	NotAuthenticated State = 3  // gateway up, no usable session, nothing running to fix it
	Authenticated    State = 4  // brokerage session usable
	Competing        State = 5  // another session of the user holds the brokerage session
	Reauthenticating State = 6  // reauthenticate / ssodh/init under way
	LoggingIn        State = 7  // browser login under way
	NeedsManualLogin State = 8  // the user must log in (no credentials, bad credentials, ...)
	LoginLocked      State = 9  // the failed-attempt cap tripped: no more automated logins
	IBKRUnreachable  State = 10 // gateway answers "/", API calls time out
)

func (s State) String() string {
	switch s {
	case GatewayDown:
		return "GatewayDown"
	case Connecting:
		return "Connecting"
	case NotAuthenticated:
		return "NotAuthenticated"
	case Authenticated:
		return "Authenticated"
	case Competing:
		return "Competing"
	case Reauthenticating:
		return "Reauthenticating"
	case LoggingIn:
		return "LoggingIn"
	case NeedsManualLogin:
		return "NeedsManualLogin"
	case LoginLocked:
		return "LoginLocked"
	case IBKRUnreachable:
		return "IBKRUnreachable"
	}
	return "Unknown"
}

// MarshalText writes the state by name in JSON and logs.
func (s State) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a state written by MarshalText.
func (s *State) UnmarshalText(b []byte) error {
	for v := GatewayDown; v <= IBKRUnreachable; v++ {
		if v.String() == string(b) {
			*s = v
			return nil
		}
	}
	*s = 0
	return nil
}

// Status is a snapshot of the keeper, safe to keep and read from any
// goroutine. The keeper publishes a new one on every change.
type Status struct {
	State  State     `json:"state"`
	Reason string    `json:"reason"` // why we are in State, in words
	Since  time.Time `json:"since"`

	Auth AuthStatus `json:"auth"` // last auth status seen

	User            string   `json:"user,omitempty"`
	Paper           bool     `json:"paper"`
	Accounts        []string `json:"accounts,omitempty"`
	SelectedAccount string   `json:"selectedAccount,omitempty"`

	SSOExpires      time.Time `json:"ssoExpires,omitzero"` // when the SSO session ends, by the gateway's count
	LastTickle      time.Time `json:"lastTickle,omitzero"`
	LastLogin       time.Time `json:"lastLogin,omitzero"`
	LastLoginMethod string    `json:"lastLoginMethod,omitempty"` // "reauthenticate", "browser", "manual"
	LastError       string    `json:"lastError,omitempty"`

	FailedLoginsInRow int  `json:"failedLoginsInRow"`
	FailedLoginsToday int  `json:"failedLoginsToday"`
	LoginRunning      bool `json:"loginRunning"`
	CredentialsStored bool `json:"credentialsStored"`
}
