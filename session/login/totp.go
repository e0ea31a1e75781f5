package login

import (
	"context"
	"encoding/base32"
	"fmt"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// TOTP as IBKR's "Mobile Authenticator App" uses it: RFC 6238, SHA-1,
// 6 digits, 30 s steps.
const (
	totpPeriod = 30 * time.Second
	// freshMargin: a code with less time left than this often arrives
	// after its step ended, so we wait for the next one instead.
	freshMargin = 8 * time.Second
	// minSecretLen is the shortest secret accepted (80 bits), the length
	// authenticator apps ask for when a secret is typed in by hand.
	minSecretLen = 16
)

// NormalizeSecret turns a pasted activation code into the form TOTP
// libraries accept: spaces, dashes and '=' removed, upper case. It returns
// a sentence when the result is not a base32 secret. "" stays "" (no
// authenticator app). The message never repeats the secret.
func NormalizeSecret(s string) (string, error) {
	s = strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\n', '\r', '-', '=', '\u00a0':
			return -1
		}
		return r
	}, strings.ToUpper(s))
	if s == "" {
		return "", nil
	}
	for i, r := range s {
		if (r < 'A' || r > 'Z') && (r < '2' || r > '7') {
			return "", fmt.Errorf("the TOTP secret is not a base32 activation code: character %d is not one of the letters A-Z or the digits 2-7 (0, 1, 8 and 9 never occur); copy the code IBKR showed again", i+1)
		}
	}
	if len(s) < minSecretLen {
		return "", fmt.Errorf("the TOTP secret is too short (%d letters; an activation code has at least %d); copy the whole code IBKR showed", len(s), minSecretLen)
	}
	// Padded the way the TOTP library pads it (Go's unpadded decoder
	// accepts lengths RFC 4648 does not).
	padded := s
	if n := len(s) % 8; n != 0 {
		padded += strings.Repeat("=", 8-n)
	}
	if _, err := base32.StdEncoding.DecodeString(padded); err != nil {
		return "", fmt.Errorf("the TOTP secret has a length (%d letters) no base32 activation code has; a letter may be missing or extra, copy the code again", len(s))
	}
	return s, nil
}

// Code returns the 6-digit code of secret at time t, its time step, and
// how long the code stays valid.
func Code(secret string, t time.Time) (code string, step int64, left time.Duration, err error) {
	secret, err = NormalizeSecret(secret)
	if err != nil {
		return "", 0, 0, err
	}
	if secret == "" {
		return "", 0, 0, fmt.Errorf("no TOTP secret is stored, so there is no code to make")
	}
	step = stepAt(t)
	code, err = codeAt(secret, step, otp.DigitsSix)
	if err != nil {
		return "", 0, 0, err
	}
	return code, step, stepStart(step + 1).Sub(t), nil
}

func stepAt(t time.Time) int64 { return t.Unix() / int64(totpPeriod/time.Second) }

func stepStart(step int64) time.Time { return time.Unix(step*int64(totpPeriod/time.Second), 0) }

// codeAt is the code of a (normalised) secret for one step.
func codeAt(secret string, step int64, digits otp.Digits) (string, error) {
	return totp.GenerateCodeCustom(secret, stepStart(step), totp.ValidateOpts{
		Period:    uint(totpPeriod / time.Second),
		Digits:    digits,
		Algorithm: otp.AlgorithmSHA1,
	})
}

// freshStep chooses the step whose code to send at now: the current one,
// unless it has less than freshMargin left or is not later than used (a
// code is single-use). wait is how long to wait before that step starts.
func freshStep(now time.Time, used int64) (step int64, wait time.Duration) {
	step = stepAt(now)
	if stepStart(step+1).Sub(now) < freshMargin {
		step++
	}
	if step <= used {
		step = used + 1
	}
	if start := stepStart(step); start.After(now) {
		wait = start.Sub(now)
	}
	return step, wait
}

// freshCode waits (through sleep) until a fresh step starts, then returns
// its code.
func freshCode(ctx context.Context, secret string, now func() time.Time, sleep func(context.Context, time.Duration) error, used int64) (string, int64, error) {
	secret, err := NormalizeSecret(secret)
	if err != nil {
		return "", 0, err
	}
	step, wait := freshStep(now(), used)
	if wait > 0 {
		if err := sleep(ctx, wait); err != nil {
			return "", 0, err
		}
	}
	code, err := codeAt(secret, step, otp.DigitsSix)
	return code, step, err
}

// sleepCtx waits d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
