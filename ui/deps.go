package ui

import (
	"time"

	"github.com/ibkr-tray/ibkr-tray/gateway"
	"github.com/ibkr-tray/ibkr-tray/session/login"
	"github.com/ibkr-tray/ibkr-tray/session/secrets"
)

// Deps are the checks and stores the windows use. Tests swap them.
type Deps struct {
	// CheckDist says in a sentence what is wrong with a gateway folder,
	// or returns the port its conf.yaml listens on.
	CheckDist func(dir string) (port int, err error)
	// NormalizeSecret cleans a pasted TOTP secret or says why it is not one.
	NormalizeSecret func(s string) (string, error)
	// Code is the current 6-digit code of a TOTP secret and how long it lasts.
	Code func(secret string, t time.Time) (code string, left time.Duration, err error)
	// Secrets holds the credentials (nil: the settings window cannot store them).
	Secrets secrets.Store
	// Now is the clock.
	Now func() time.Time
	// FindJava finds the Java runtime the gateway will run with (it runs
	// `java -version`: call it off the UI goroutine). nil: not checked.
	FindJava func() (gateway.Java, error)
}

// DownloadPage is where the user gets the gateway.
const DownloadPage = "https://www.interactivebrokers.com/en/trading/ib-api.php"

// defaultDeps uses the real checks; the secrets store follows the settings
// (a named 0600 file, else the OS keyring).
func defaultDeps(secretsFile string) Deps {
	var store secrets.Store
	if secretsFile != "" {
		store = secrets.File(secretsFile)
	} else {
		store = secrets.Keyring(10 * time.Second)
	}
	return Deps{
		CheckDist: func(dir string) (int, error) {
			d, err := gateway.CheckDist(dir)
			return d.Port, err
		},
		NormalizeSecret: login.NormalizeSecret,
		Code: func(secret string, t time.Time) (string, time.Duration, error) {
			code, _, left, err := login.Code(secret, t)
			return code, left, err
		},
		Secrets:  store,
		Now:      time.Now,
		FindJava: gateway.FindJava,
	}
}
