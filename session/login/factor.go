package login

import (
	"fmt"
	"strings"
	"time"
)

// SecondFactor is how the automated login answers IBKR's second factor.
type SecondFactor string

// Second factors. The zero value is automatic.
const (
	FactorAuto  SecondFactor = ""      // authenticator app when a TOTP secret is stored, else IB Key when the page offers it
	FactorTOTP  SecondFactor = "totp"  // Mobile Authenticator App: TOTP code from the stored secret
	FactorIBKey SecondFactor = "ibkey" // IB Key push: the user taps Approve in IBKR Mobile
	FactorNone  SecondFactor = "none"  // no second factor (paper users)
)

// DefaultApprovalWait is how long the login waits for the user to approve
// an IB Key notification.
const DefaultApprovalWait = 2 * time.Minute

// ParseSecondFactor reads "", "auto", "totp", "ibkey", "none"
// (case-insensitive, spaces around ignored).
func ParseSecondFactor(s string) (SecondFactor, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "auto":
		return FactorAuto, nil
	case "totp":
		return FactorTOTP, nil
	case "ibkey":
		return FactorIBKey, nil
	case "none":
		return FactorNone, nil
	}
	return "", fmt.Errorf("the second factor %q is not one of auto, totp (authenticator app), ibkey (IB Key on the phone) or none (paper)", s)
}

// String is the factor's name as written in settings ("auto" for the zero value).
func (f SecondFactor) String() string {
	if f == FactorAuto {
		return "auto"
	}
	return string(f)
}
