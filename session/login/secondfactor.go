package login

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/chromedp/chromedp"
)

// How the flow answers the second factor: which device it picks, the IB
// Key push it waits on, and the IB Key promotion it skips.

// Sentences for a second factor the profile's setting does not allow.
const (
	msgFactorNone = "IBKR asks this user for a second factor, and this profile's second factor is set to none (paper); choose the authenticator app or IB Key in the settings, or log in by hand."
	msgWantsCode  = "IBKR asks for a security code from the authenticator app, and this profile's second factor is set to IB Key; choose the authenticator app (and store its secret with `ibkr-tray secrets set`) or Automatic in the settings."
	msgWantsPush  = "IBKR sent an IB Key notification to the phone, and this profile's second factor is set to the authenticator app; choose IB Key or Automatic in the settings, or log in by hand."
	msgNoIBKey    = "IBKR asks which second-factor device to use, and IB Key is not among them; activate IB Key in IBKR Mobile for this user, choose another second factor in the settings, or log in by hand."
	msgNoTOTPApp  = "IBKR asks which second-factor device to use, and the Mobile Authenticator App is not among them; enrol the authenticator app for this user, or log in by hand."
)

// mayUseIBKey says whether this login may wait for an IB Key approval, so
// that the whole-login timeout leaves room for it.
func (a Attempt) mayUseIBKey() bool {
	return a.SecondFactor == FactorIBKey || (a.SecondFactor == FactorAuto && a.TOTPSecret == "")
}

// chooseDevice picks the picker option for the profile's second factor
// among those offered. Automatic prefers the authenticator app when a
// secret is stored and IB Key otherwise, and takes the other when the
// preferred one is not offered.
func (f *flow) chooseDevice(offered []string) (string, error) {
	s := f.set
	totp := slices.Contains(offered, s.DeviceValue)
	ibkey := slices.Contains(offered, s.IBKeyValue)
	switch f.a.SecondFactor {
	case FactorNone:
		return "", &Error{Kind: Unknown, Msg: msgFactorNone}
	case FactorTOTP:
		if !totp {
			return "", &Error{Kind: BadCode, Msg: msgNoTOTPApp}
		}
		return s.DeviceValue, nil
	case FactorIBKey:
		if !ibkey {
			return "", &Error{Kind: Unknown, Msg: msgNoIBKey}
		}
		return s.IBKeyValue, nil
	}
	switch {
	case totp && f.a.TOTPSecret != "":
		return s.DeviceValue, nil
	case ibkey:
		return s.IBKeyValue, nil
	case totp: // no secret: sendCode says what to store
		return s.DeviceValue, nil
	}
	return "", &Error{Kind: BadCode, Msg: msgNoTOTPApp}
}

func (f *flow) pickDevice(ctx context.Context) error {
	s := f.set
	offered, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](fmt.Sprintf(offeredJS, jsArg(s.DevicePicker))))
	if err != nil {
		return fmt.Errorf("read the second-factor devices: %w", err)
	}
	device, err := f.chooseDevice(offered)
	if err != nil {
		return err
	}
	ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf(pickDeviceJS, jsArg(s.DevicePicker), jsArg(device))))
	if err != nil {
		return fmt.Errorf("choose the second-factor device: %w", err)
	}
	if !ok {
		return &Error{Kind: PageChanged, Msg: "The login page's device picker changed while the app chose a device; log in by hand, or update the login selectors in the settings."}
	}
	f.log.Debug("login: second-factor device chosen", "device", device, "offered", offered)
	return nil
}

// codeAllowed says whether the profile lets the login answer a security
// code.
func (f *flow) codeAllowed() error {
	switch f.a.SecondFactor {
	case FactorNone:
		return &Error{Kind: Unknown, Msg: msgFactorNone}
	case FactorIBKey:
		return &Error{Kind: Unknown, Msg: msgWantsCode}
	}
	return nil
}

// awaitApproval waits while the page shows the IB Key push step: for the
// tap (the page moves on to success or the promotion), the page's error
// (denied, expired), or ApprovalWait, after which the approval is missed.
// It returns the state the page moved on to. The wait is real time: the
// user's phone does not follow an injected clock.
func (f *flow) awaitApproval(ctx context.Context, script string) (probe, error) {
	switch f.a.SecondFactor {
	case FactorNone:
		return probe{}, &Error{Kind: Unknown, Msg: msgFactorNone}
	case FactorTOTP:
		return probe{}, &Error{Kind: Unknown, Msg: msgWantsPush}
	}
	until := time.Now().Add(f.a.ApprovalWait)
	if !f.deadline.IsZero() && f.deadline.Before(until) {
		until = f.deadline
	}
	f.pushSeen = true
	f.answered = FactorIBKey
	f.log.Debug("login: IB Key notification sent; waiting for the approval", "until", until.Format(time.TimeOnly))
	if f.a.OnApproval != nil {
		f.a.OnApproval(until)
	}
	wait, cancel := context.WithDeadline(ctx, until)
	defer cancel()
	p, err := waitFor(wait, script, func(p probe) bool {
		return p.State != statePush && p.State != stateNone
	})
	f.last = p
	if err != nil {
		if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
			return p, err
		}
		if !time.Now().Before(until) {
			return p, &Error{Kind: ApprovalMissed}
		}
		return p, err // the caller's cancel
	}
	f.log.Debug("login: the IB Key step moved on", "state", p.State)
	return p, nil
}

// classifyPush reads the page's error after an IB Key notification was
// sent: the password passed, so only the phone's answer (or its absence),
// a lock, or something new remain.
func classifyPush(text string) FailureKind {
	t := strings.ToLower(text)
	switch {
	case strings.Contains(t, "declin") || strings.Contains(t, "denied") || strings.Contains(t, "rejected") || strings.Contains(t, "deny"):
		return ApprovalDenied
	case strings.Contains(t, "expired") || strings.Contains(t, "timed out") || strings.Contains(t, "time out") || strings.Contains(t, "not approved"):
		return ApprovalMissed
	}
	if k := classify(text, false); k == UserLocked || k == WrongMode {
		return k
	}
	return Unknown
}

// promoAgain says whether the shown promotion needs a click: the first
// time, and again if a click did not take the page on within a while.
func (f *flow) promoAgain() bool {
	return f.promos == 0 || (f.promos < maxPromoClicks && time.Since(f.lastPromo) > promoRetry)
}

const (
	maxPromoClicks = 3
	promoRetry     = 5 * time.Second
)

// skipPromo clicks the IB Key promotion's skip link.
func (f *flow) skipPromo(ctx context.Context) error {
	ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf(clickJS, jsArg(f.set.PromoSkip))))
	if err != nil {
		return fmt.Errorf("skip the IB Key promotion: %w", err)
	}
	f.promos++
	f.lastPromo = time.Now()
	f.log.Debug("login: IB Key promotion skipped", "clicked", ok)
	return nil
}
