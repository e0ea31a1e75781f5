package sim

import (
	"fmt"
	"hash/fnv"
	"strings"
)

// user is an Account with the derived fields the API shows.
type user struct {
	Account
	userID int64 // IBKR's numeric user id
}

func newUser(a Account) *user {
	h := fnv.New32a()
	h.Write([]byte(strings.ToLower(a.Username)))
	n := h.Sum32() % 10_000_000
	u := &user{Account: a, userID: 10_000_000 + int64(n)}
	if len(u.AccountIDs) == 0 {
		prefix := "U"
		if a.Paper {
			prefix = "DU"
		}
		u.AccountIDs = []string{fmt.Sprintf("%s%07d", prefix, n)}
	}
	if len(u.Devices) == 0 {
		u.Devices = []string{DeviceAuthenticatorApp}
	}
	return u
}

// devices are the second factors the login offers: the authenticator app
// only with a TOTP secret, IB Key when enrolled. Paper users have none.
func (u *user) devices() []string {
	var ds []string
	if u.Paper {
		return nil
	}
	for _, d := range u.Devices {
		if d != DeviceAuthenticatorApp || u.TOTPSecret != "" {
			ds = append(ds, d)
		}
	}
	return ds
}

func (u *user) hasDevice(d string) bool {
	for _, x := range u.devices() {
		if x == d {
			return true
		}
	}
	return false
}

// hasSecondFactor says whether the login asks for one: live users with a
// TOTP secret or IB Key. Paper users never have one.
func (u *user) hasSecondFactor() bool { return len(u.devices()) > 0 }

func (u *user) hasAccount(id string) bool {
	for _, a := range u.AccountIDs {
		if a == id {
			return true
		}
	}
	return false
}

// users holds the known users by lower-case name (IBKR usernames are not
// case-sensitive).
type users map[string]*user

func newUsers(accounts []Account) (users, error) {
	us := users{}
	for _, a := range accounts {
		if a.Username == "" {
			return nil, fmt.Errorf("an account has no username; every account needs one")
		}
		k := strings.ToLower(a.Username)
		if us[k] != nil {
			return nil, fmt.Errorf("the username %q appears twice in the accounts; make them unique", a.Username)
		}
		us[k] = newUser(a)
	}
	return us, nil
}

func (us users) find(name string) *user { return us[strings.ToLower(strings.TrimSpace(name))] }

// firstLive is the user Options.Authenticated logs in: the first live one, or
// the first one at all.
func firstLive(accounts []Account) string {
	for _, a := range accounts {
		if !a.Paper {
			return a.Username
		}
	}
	if len(accounts) > 0 {
		return accounts[0].Username
	}
	return ""
}
