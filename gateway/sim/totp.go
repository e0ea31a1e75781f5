package sim

import (
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

const totpPeriod = 30 // seconds, RFC 6238 default and IBKR's

var totpOpts = totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// normalizeSecret accepts an activation code the way users paste it: with
// spaces or dashes, lower case.
func normalizeSecret(s string) string {
	s = strings.ToUpper(s)
	s = strings.NewReplacer(" ", "", "-", "", "=", "").Replace(s)
	return s
}

// checkCode reports whether code is valid for secret at real time t (the
// current 30 s step or one either side) and fresh: its step is later than
// lastStep, the step of the last code accepted for this user, so a code is
// accepted once only. It returns the step it matched.
func checkCode(secret, code string, t time.Time, lastStep int64) (step int64, ok bool) {
	code = strings.TrimSpace(code)
	if len(code) != 6 {
		return 0, false
	}
	secret = normalizeSecret(secret)
	now := t.Unix() / totpPeriod
	for _, st := range []int64{now - 1, now, now + 1} {
		want, err := totp.GenerateCodeCustom(secret, time.Unix(st*totpPeriod, 0), totpOpts)
		if err != nil {
			return 0, false
		}
		if want == code {
			return st, st > lastStep
		}
	}
	return 0, false
}
