package login

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// SelectorSet names the login page's elements for one version of the page,
// as CSS selectors (a comma-separated list matches any of its parts). The
// sets are data, not code: the settings file can replace them (the JSON
// field loginSelectors, a list of sets tried in order) so a user can follow
// an IBKR page change without a new release.
type SelectorSet struct {
	// Version names the page version, for logs ("current", "2022").
	Version string `json:"version"`
	// Username, Password and Submit are required. A set is chosen when its
	// Username field is on the page.
	Username string `json:"username"`
	Password string `json:"password"`
	Submit   string `json:"submit"`
	// PaperSwitch is the paper/live checkbox, PaperToggle what to click to
	// change it (the checkbox itself is hidden behind a styled label).
	// Both optional: a page without them logs in live only.
	PaperSwitch string `json:"paperSwitch,omitempty"`
	PaperToggle string `json:"paperToggle,omitempty"`
	// DevicePicker is the second-factor device list shown when several
	// devices are enrolled; DeviceValue the option to choose (IBKR's "4",
	// Mobile Authenticator App).
	DevicePicker string `json:"devicePicker,omitempty"`
	DeviceValue  string `json:"deviceValue,omitempty"`
	// IBKeyValue is the picker's option for IB Key (IBKR's "5.2a").
	IBKeyValue string `json:"ibkeyValue,omitempty"`
	// Push is the IB Key step shown while IBKR waits for the tap in IBKR
	// Mobile (".login-step-notification").
	Push string `json:"push,omitempty"`
	// PromoSkip is the skip link of the IB Key promotion IBKR may show
	// after the form (".ibkey-promo-skip").
	PromoSkip string `json:"promoSkip,omitempty"`
	// Code is the security-code input; CodeSubmit the button that sends it
	// ("" = the Submit selector).
	Code       string `json:"code,omitempty"`
	CodeSubmit string `json:"codeSubmit,omitempty"`
	// Error holds the page's error text.
	Error string `json:"error,omitempty"`
	// SuccessText is the page text that means the login succeeded.
	SuccessText string `json:"successText,omitempty"`
}

// IBKR's picker values for "Mobile Authenticator App" and "IB Key".
const (
	deviceAuthenticatorApp = "4"
	deviceIBKey            = "5.2a"
)

// The IB Key push step and the promotion's skip link, on every page
// version known (gateway-facts section 5; IBeam uses the same classes).
const (
	pushSelector      = ".login-step-notification"
	promoSkipSelector = ".ibkey-promo-skip"
)

const successText = "Client login succeeds"

// DefaultSelectors returns the built-in sets for every known page version,
// newest first (gateway-facts section 5).
func DefaultSelectors() []SelectorSet {
	return []SelectorSet{
		{
			Version:      "current",
			Username:     "input#xyz-field-username, input[name=username]",
			Password:     "input#xyz-field-password, input[name=password]",
			Submit:       "form.xyzform-submit button.xyz-button-login, form.xyzform-submit button.btn-primary, form.xyzform-submit button[type=submit]",
			PaperSwitch:  "input#toggle1, input[name=paperSwitch]",
			PaperToggle:  "label[for=toggle1]",
			DevicePicker: "select.xyz-multipleselect, .xyzblock-multiplesf select",
			DeviceValue:  deviceAuthenticatorApp,
			IBKeyValue:   deviceIBKey,
			Push:         pushSelector,
			PromoSkip:    promoSkipSelector,
			Code:         "input#xyz-field-silver-response, input[name=silver-response], input#xyz-field-bronze-response",
			Error:        ".xyz-errormessage, .alert.alert-danger",
			SuccessText:  successText,
		},
		{
			Version:      "2022",
			Username:     "input[name=user_name], input#user_name",
			Password:     "input[name=password], input#password",
			Submit:       "#submitForm",
			PaperSwitch:  "input#toggle1, input[name=paperSwitch]",
			PaperToggle:  "label[for=toggle1]",
			DevicePicker: "#sf_select",
			DeviceValue:  deviceAuthenticatorApp,
			IBKeyValue:   deviceIBKey,
			Push:         pushSelector,
			PromoSkip:    promoSkipSelector,
			Code:         "#chlginput, input#xyz-field-bronze-response",
			Error:        "#ERRORMSG, .alert.alert-danger.margin-top-10",
			SuccessText:  successText,
		},
	}
}

// ParseSelectors reads the settings file's loginSelectors (a JSON list of
// sets). Empty or null gives the built-in sets. Missing optional fields
// take the built-in values (DeviceValue, IBKeyValue, Push, PromoSkip,
// SuccessText), so sets written before IB Key still work; missing required
// ones are an error naming the set and the field.
func ParseSelectors(raw json.RawMessage) ([]SelectorSet, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return DefaultSelectors(), nil
	}
	var sets []SelectorSet
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sets); err != nil {
		return nil, fmt.Errorf("the login selectors in the settings are not a JSON list of selector sets (%v); fix them or remove loginSelectors to use the built-in ones", err)
	}
	if len(sets) == 0 {
		return nil, fmt.Errorf("the login selectors in the settings are an empty list; remove loginSelectors to use the built-in ones")
	}
	for i := range sets {
		if err := sets[i].check(i); err != nil {
			return nil, err
		}
	}
	return sets, nil
}

// check fills defaults and reports a missing required field.
func (s *SelectorSet) check(i int) error {
	name := s.Version
	if name == "" {
		name = fmt.Sprintf("number %d", i+1)
		s.Version = fmt.Sprintf("custom-%d", i+1)
	}
	for _, f := range []struct{ field, value string }{
		{"username", s.Username}, {"password", s.Password}, {"submit", s.Submit},
	} {
		if strings.TrimSpace(f.value) == "" {
			return fmt.Errorf("the login selector set %s in the settings has no %q selector; every set needs username, password and submit", name, f.field)
		}
	}
	if s.DeviceValue == "" {
		s.DeviceValue = deviceAuthenticatorApp
	}
	if s.IBKeyValue == "" {
		s.IBKeyValue = deviceIBKey
	}
	if s.Push == "" {
		s.Push = pushSelector
	}
	if s.PromoSkip == "" {
		s.PromoSkip = promoSkipSelector
	}
	if s.SuccessText == "" {
		s.SuccessText = successText
	}
	return nil
}
