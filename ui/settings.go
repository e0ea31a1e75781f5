package ui

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/ibkr-tray/ibkr-tray/session/secrets"
	"github.com/ibkr-tray/ibkr-tray/ui/config"
)

// settingsInput is what the settings window's fields hold, as typed.
type settingsInput struct {
	GatewayDir    string
	Port          string
	Paper         bool
	Username      string
	Password      string // "" keeps the stored one
	TOTPSecret    string // "" keeps the stored one
	TakeBack      bool
	SecondFactor  string // as config.Config.SecondFactor: "", "totp", "ibkey", "none"
	MaxInRow      string
	MaxPerDay     string
	Notifications bool
	StartAtLogin  bool
}

// Field names, for errors shown under their field.
const (
	fieldGatewayDir = "gatewayDir"
	fieldPort       = "port"
	fieldTOTP       = "totp"
	fieldCaps       = "caps"
	fieldUsername   = "username"
)

// fieldErrors maps a field to the sentence shown under it.
type fieldErrors map[string]string

func (f fieldErrors) Error() string {
	var s []string
	for _, k := range []string{fieldGatewayDir, fieldPort, fieldUsername, fieldTOTP, fieldCaps} {
		if m, ok := f[k]; ok {
			s = append(s, m)
		}
	}
	return strings.Join(s, " ")
}

func inputFrom(c config.Config, username string, autostart bool) settingsInput {
	port := ""
	if c.Port != 0 {
		port = strconv.Itoa(c.Port)
	}
	return settingsInput{
		GatewayDir: c.GatewayDir, Port: port, Paper: c.Paper, Username: username,
		TakeBack: c.TakeBackCompeting, SecondFactor: c.SecondFactor, MaxInRow: strconv.Itoa(c.MaxFailedLoginsInRow),
		MaxPerDay: strconv.Itoa(c.MaxFailedLoginsPerDay), Notifications: c.Notifications, StartAtLogin: autostart,
	}
}

// mergeEdits is what Save writes: each field the user edited (typed
// differs from base, the field as the window loaded it) over what is saved
// now. So a window left open writes back only its own edits, never the
// stale values of fields someone else changed meanwhile.
func mergeEdits(base, typed, saved settingsInput) settingsInput {
	text := func(was, now, kept string) string {
		if now != was {
			return now
		}
		return kept
	}
	flag := func(was, now, kept bool) bool {
		if now != was {
			return now
		}
		return kept
	}
	return settingsInput{
		GatewayDir:    text(base.GatewayDir, typed.GatewayDir, saved.GatewayDir),
		Port:          text(base.Port, typed.Port, saved.Port),
		Paper:         flag(base.Paper, typed.Paper, saved.Paper),
		Username:      text(base.Username, typed.Username, saved.Username),
		Password:      typed.Password,   // "" keeps the stored one anyway
		TOTPSecret:    typed.TOTPSecret, // likewise
		TakeBack:      flag(base.TakeBack, typed.TakeBack, saved.TakeBack),
		SecondFactor:  text(base.SecondFactor, typed.SecondFactor, saved.SecondFactor),
		MaxInRow:      text(base.MaxInRow, typed.MaxInRow, saved.MaxInRow),
		MaxPerDay:     text(base.MaxPerDay, typed.MaxPerDay, saved.MaxPerDay),
		Notifications: flag(base.Notifications, typed.Notifications, saved.Notifications),
		StartAtLogin:  flag(base.StartAtLogin, typed.StartAtLogin, saved.StartAtLogin),
	}
}

// apply checks the input and returns the new settings and the normalised
// TOTP secret ("" = unchanged). Errors come per field, in sentences.
func (in settingsInput) apply(c config.Config, d Deps) (config.Config, string, error) {
	errs := fieldErrors{}
	c.GatewayDir = strings.TrimSpace(in.GatewayDir)
	if c.GatewayDir != "" && d.CheckDist != nil {
		if _, err := d.CheckDist(c.GatewayDir); err != nil {
			errs[fieldGatewayDir] = sentence(capitalise(err.Error()))
		}
	}
	c.Port = 0
	if p := strings.TrimSpace(in.Port); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1024 || n > 65535 {
			errs[fieldPort] = fmt.Sprintf("%q is not a port the gateway can listen on; choose one from 1024 to 65535, or leave it empty to use the gateway's own.", p)
		} else {
			c.Port = n
		}
	}
	c.Paper = in.Paper
	c.TakeBackCompeting = in.TakeBack
	c.SecondFactor = in.SecondFactor
	c.Notifications = in.Notifications
	inRow, err1 := strconv.Atoi(strings.TrimSpace(in.MaxInRow))
	perDay, err2 := strconv.Atoi(strings.TrimSpace(in.MaxPerDay))
	if err1 != nil || err2 != nil {
		errs[fieldCaps] = "The login attempt caps must be whole numbers."
	} else {
		c.MaxFailedLoginsInRow, c.MaxFailedLoginsPerDay = inRow, perDay
		if err := c.Validate(); err != nil && !strings.Contains(err.Error(), "port") {
			errs[fieldCaps] = sentence(capitalise(err.Error()))
		}
	}
	var secret string
	if in.TOTPSecret != "" {
		s, err := d.NormalizeSecret(in.TOTPSecret)
		if err != nil {
			errs[fieldTOTP] = sentence(capitalise(err.Error()))
		}
		secret = s
	}
	if (in.Password != "" || secret != "") && strings.TrimSpace(in.Username) == "" {
		errs[fieldUsername] = "Enter the IBKR username the password belongs to."
	}
	if len(errs) > 0 {
		return c, "", errs
	}
	return c, secret, nil
}

// saveCredentials merges what was typed with what is stored (an empty
// field keeps the stored value) and writes it. It may block on the keyring:
// call it off the UI goroutine.
func (in settingsInput) saveCredentials(ctx context.Context, store secrets.Store, profile, secret string) (changed bool, err error) {
	if in.Username == "" && in.Password == "" && secret == "" {
		return false, nil
	}
	cur, err := store.Get(ctx, profile)
	if err != nil && !errors.Is(err, secrets.ErrNotFound) {
		return false, err
	}
	next := cur
	next.Username = strings.TrimSpace(in.Username)
	if in.Password != "" {
		next.Password = in.Password
	}
	if secret != "" {
		next.TOTPSecret = secret
	}
	if next == cur {
		return false, nil
	}
	return true, store.Set(ctx, profile, next)
}

func capitalise(s string) string {
	if s == "" || strings.HasPrefix(s, "ibkr-tray") { // the app's name is lower case
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
