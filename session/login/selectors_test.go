package login

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestParseSelectorsEmptyGivesTheBuiltInSets(t *testing.T) {
	for _, raw := range []string{"", "null", "  "} {
		sets, err := ParseSelectors(json.RawMessage(raw))
		if err != nil || len(sets) != 2 || sets[0].Version != "current" || sets[1].Version != "2022" {
			t.Errorf("ParseSelectors(%q) = %d sets, %v; want current then 2022", raw, len(sets), err)
		}
	}
}

func TestParseSelectorsFillsOptionalDefaults(t *testing.T) {
	sets, err := ParseSelectors(json.RawMessage(`[{"username": "#u", "password": "#p", "submit": "#s"}]`))
	if err != nil {
		t.Fatal(err)
	}
	s := sets[0]
	if s.Version != "custom-1" || s.DeviceValue != "4" || s.SuccessText != "Client login succeeds" {
		t.Errorf("defaults not filled: %+v", s)
	}
	// Sets written before IB Key gain its push step, option and promotion.
	if s.IBKeyValue != "5.2a" || s.Push != ".login-step-notification" || s.PromoSkip != ".ibkey-promo-skip" {
		t.Errorf("IB Key defaults not filled: %+v", s)
	}
}

func TestParseSelectorsRejectsBrokenSettingsWithASentence(t *testing.T) {
	cases := []struct {
		name, raw, phrase string
	}{
		{"not JSON", `[{`, "not a JSON list"},
		{"an object, not a list", `{"username": "#u"}`, "not a JSON list"},
		{"unknown field (a typo)", `[{"usernme": "#u", "password": "#p", "submit": "#s"}]`, "usernme"},
		{"empty list", `[]`, "empty list"},
		{"missing submit", `[{"version": "v9", "username": "#u", "password": "#p"}]`, `set v9 in the settings has no "submit"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseSelectors(json.RawMessage(tc.raw))
			if err == nil || !strings.Contains(err.Error(), tc.phrase) {
				t.Errorf("err = %v, want one containing %q", err, tc.phrase)
			}
		})
	}
}

func TestDefaultSelectorsRoundTripThroughTheSettingsFormat(t *testing.T) {
	b, err := json.Marshal(DefaultSelectors())
	if err != nil {
		t.Fatal(err)
	}
	sets, err := ParseSelectors(b)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range DefaultSelectors() {
		if sets[i] != s {
			t.Errorf("set %d changed through JSON: %+v != %+v", i, sets[i], s)
		}
	}
}

func TestClassifyKnownErrorTexts(t *testing.T) {
	cases := []struct {
		text      string
		afterCode bool
		want      FailureKind
	}{
		{"Invalid username password combination", false, BadCredentials},
		{"failed", false, BadCredentials},
		{"Login failed", true, BadCode},
		{"Incorrect security code", true, BadCode},
		{"You have selected the Live Account Mode, but the specified user is a Paper Trading user. Please select the correct Login mode.", false, WrongMode},
		{"You have selected the Paper Trading Account Mode, but the specified user is a Live Account user. Please select the correct Login mode.", false, WrongMode},
		{"This username has been locked after too many failed login attempts.", false, UserLocked},
		{"Your account is disabled", false, UserLocked},
		{"Something new happened", false, Unknown},
	}
	for _, tc := range cases {
		if got := classify(tc.text, tc.afterCode); got != tc.want {
			t.Errorf("classify(%q, afterCode=%v) = %v, want %v", tc.text, tc.afterCode, got, tc.want)
		}
	}
}

func TestFailureKindsHaveNamesAndErrorsAreSentences(t *testing.T) {
	for k := BadCredentials; k <= ApprovalMissed; k++ {
		if strings.HasPrefix(k.String(), "FailureKind(") {
			t.Errorf("kind %d has no name", int(k))
		}
		msg := (&Error{Kind: k}).Error()
		if !strings.HasSuffix(msg, ".") || len(msg) < 20 {
			t.Errorf("kind %v message %q is not a sentence", k, msg)
		}
	}
	e := &Error{Kind: BadCredentials, PageText: "Invalid username password combination", Diagnostics: "/tmp/x.png"}
	if msg := e.Error(); !strings.Contains(msg, "Invalid username") || !strings.Contains(msg, "/tmp/x.png") {
		t.Errorf("message %q should carry the page's text and the screenshot's path", msg)
	}
	if KindOf(nil) != 0 || KindOf(e) != BadCredentials {
		t.Errorf("KindOf is wrong")
	}
}

func TestClassifyPushTellsDenialFromMissAndFromTheRest(t *testing.T) {
	cases := []struct {
		text string
		want FailureKind
	}{
		{"The login request was declined in IBKR Mobile. Please log in again.", ApprovalDenied},
		{"Authentication denied", ApprovalDenied},
		{"Login request rejected", ApprovalDenied},
		{"The login notification has expired without an answer. Please log in again.", ApprovalMissed},
		{"Your login session has expired. Please log in again.", ApprovalMissed},
		{"The request timed out", ApprovalMissed},
		{"This username has been locked after too many failed login attempts.", UserLocked},
		// The password passed before the push: a bare "failed" is not about it.
		{"failed", Unknown},
		{"Invalid username password combination", Unknown},
	}
	for _, tc := range cases {
		if got := classifyPush(tc.text); got != tc.want {
			t.Errorf("classifyPush(%q) = %v, want %v", tc.text, got, tc.want)
		}
	}
}

func TestParseSecondFactorReadsTheSettingsWords(t *testing.T) {
	for in, want := range map[string]SecondFactor{
		"": FactorAuto, "auto": FactorAuto, " Auto ": FactorAuto, "totp": FactorTOTP, "TOTP": FactorTOTP,
		"ibkey": FactorIBKey, "IBKey": FactorIBKey, "none": FactorNone,
	} {
		if got, err := ParseSecondFactor(in); err != nil || got != want {
			t.Errorf("ParseSecondFactor(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"sms", "ib key", "4"} {
		if _, err := ParseSecondFactor(in); err == nil || !strings.Contains(err.Error(), in) || !strings.Contains(err.Error(), "ibkey") {
			t.Errorf("ParseSecondFactor(%q) err = %v, want a sentence naming it and the choices", in, err)
		}
	}
	if FactorAuto.String() != "auto" || FactorIBKey.String() != "ibkey" {
		t.Errorf("String: %q %q", FactorAuto, FactorIBKey)
	}
}

func TestTheWholeLoginTimeoutLeavesRoomForTheApproval(t *testing.T) {
	cases := []struct {
		name string
		a    Attempt
		want time.Duration
	}{
		{"authenticator app", Attempt{TOTPSecret: liveSecret}, DefaultTimeout},
		{"automatic without a secret", Attempt{}, DefaultTimeout + DefaultApprovalWait},
		{"IB Key with its own wait", Attempt{SecondFactor: FactorIBKey, TOTPSecret: liveSecret, ApprovalWait: time.Minute}, DefaultTimeout + time.Minute},
		{"none", Attempt{SecondFactor: FactorNone}, DefaultTimeout},
		{"set by the caller", Attempt{SecondFactor: FactorIBKey, Timeout: time.Minute}, time.Minute},
		{"automatic spelt out", Attempt{SecondFactor: "Auto"}, DefaultTimeout + DefaultApprovalWait},
	}
	for _, tc := range cases {
		if got := tc.a.withDefaults().Timeout; got != tc.want {
			t.Errorf("%s: Timeout %v, want %v", tc.name, got, tc.want)
		}
	}
}
