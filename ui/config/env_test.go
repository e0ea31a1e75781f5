package config

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestEnvNamesFollowTheSettingsKeys(t *testing.T) {
	for key, want := range map[string]string{
		"gatewayDir":           "GATEWAY_DIR",
		"gatewayURL":           "GATEWAY_URL",
		"caFile":               "CA_FILE",
		"maxFailedLoginsInRow": "MAX_FAILED_LOGINS_IN_ROW",
		"allowRemoteGateway":   "ALLOW_REMOTE_GATEWAY",
		"loginURLPath":         "LOGIN_URL_PATH",
		"port":                 "PORT",
		"ipv6Only":             "IPV6_ONLY",
	} {
		if got := envName(key); got != want {
			t.Errorf("envName(%q) = %q, want %q", key, got, want)
		}
	}
}

// TestEveryEnvVariableSetsItsSetting sets each setting's variable, alone,
// to a value unlike the default, and wants exactly that key changed in
// the settings file's form: no setting is missed, none hits another.
func TestEveryEnvVariableSetsItsSetting(t *testing.T) {
	fields := 0
	for _, f := range reflect.VisibleFields(reflect.TypeFor[Config]()) {
		if key, _, _ := strings.Cut(f.Tag.Get("json"), ","); key != "" && key != "-" {
			fields++
		}
	}
	if n := len(EnvSettings()); n != fields || n == 0 {
		t.Fatalf("%d settings have a variable, Config has %d keys", n, fields)
	}
	before := asKeys(t, Default())
	for _, s := range EnvSettings() {
		t.Run(s.Var, func(t *testing.T) {
			value := sampleValue(t, s, before[s.Key])
			c, warnings, err := FromEnv(Default(), []string{s.Var + "=" + value})
			if err != nil || len(warnings) > 0 {
				t.Fatalf("%s=%s: %v %q", s.Var, value, err, warnings)
			}
			after := asKeys(t, c)
			for k := range after {
				if changed := string(after[k]) != string(before[k]); changed != (k == s.Key) {
					t.Errorf("%s=%s: %s went from %s to %s", s.Var, value, k, before[k], after[k])
				}
			}
		})
	}
}

// sampleValue is a value for s's variable that differs from the default.
func sampleValue(t *testing.T, s EnvSetting, def json.RawMessage) string {
	switch s.Kind {
	case "text":
		return "/srv/ibkr/x"
	case "whole number":
		return "4"
	case "true or false":
		if string(def) == "true" {
			return "false"
		}
		return "true"
	case "duration, like 90s or 1m30s":
		return "7s"
	case "list, comma-separated (or a JSON array)":
		return "a, b"
	}
	// JSON: a value of the field's type with every part filled in.
	v := reflect.New(reflect.TypeFor[Config]().Field(s.field).Type).Elem()
	fill(v)
	b, err := json.Marshal(v.Interface())
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// fill gives v a value other than its zero value, recursively.
func fill(v reflect.Value) {
	switch {
	case v.Type() == reflect.TypeFor[json.RawMessage]():
		v.SetBytes([]byte(`{"filled":true}`))
	case v.Kind() == reflect.String:
		v.SetString("x")
	case v.Kind() == reflect.Bool:
		v.SetBool(true)
	case v.CanInt():
		v.SetInt(1)
	case v.Kind() == reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		fill(v.Index(0))
	case v.Kind() == reflect.Map:
		v.Set(reflect.MakeMap(v.Type()))
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fill(k)
		fill(e)
		v.SetMapIndex(k, e)
	case v.Kind() == reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i))
			}
		}
	case v.Kind() == reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem())
	}
}

// asKeys is c as the settings file holds it, key by key.
func asKeys(t *testing.T, c Config) map[string]json.RawMessage {
	t.Helper()
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]json.RawMessage{}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, s := range EnvSettings() { // omitempty keys are there, empty
		if _, ok := m[s.Key]; !ok {
			m[s.Key] = nil
		}
	}
	return m
}

func TestEnvOverridesTheFileAndKeepsTheRest(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.json")
	file := Default()
	file.GatewayDir, file.Port, file.Paper = "/opt/gw", 5001, true
	if err := file.Save(path); err != nil {
		t.Fatal(err)
	}
	t.Setenv("IBKR_TRAY_PORT", "5002")
	t.Setenv("IBKR_TRAY_TICKLE_INTERVAL", "9s")
	t.Setenv("IBKR_TRAY_PAPER", "") // empty: unset
	c, warnings, err := OpenWithEnv(path)
	if err != nil || len(warnings) > 0 {
		t.Fatal(err, warnings)
	}
	if c.Port != 5002 || c.TickleInterval != Duration(9*time.Second) || c.GatewayDir != "/opt/gw" || !c.Paper {
		t.Errorf("got port %d, tickle %v, gatewayDir %q, paper %v; want 5002, 9s, /opt/gw from the file, paper from the file",
			c.Port, time.Duration(c.TickleInterval), c.GatewayDir, c.Paper)
	}
	// With no file at all, the environment alone is enough.
	t.Setenv("IBKR_TRAY_GATEWAY_DIR", "/srv/gw")
	c, _, err = OpenWithEnv(filepath.Join(t.TempDir(), "none.json"))
	if err != nil || c.GatewayDir != "/srv/gw" || c.Port != 5002 || c.MaxFailedLoginsInRow != 3 {
		t.Errorf("without a file: %+v, %v", c, err)
	}
}

func TestEnvValuesThatCannotBeReadNameTheVariable(t *testing.T) {
	cases := []struct{ env, want string }{
		{"IBKR_TRAY_PORT=abc", `the environment variable IBKR_TRAY_PORT (the setting port) is "abc", which is not a whole number; fix or unset it`},
		{"IBKR_TRAY_PAPER=maybe", `IBKR_TRAY_PAPER (the setting paper) is "maybe", which is not true or false`},
		{"IBKR_TRAY_TICKLE_INTERVAL=soon", `IBKR_TRAY_TICKLE_INTERVAL (the setting tickleInterval) is not valid: "soon" is not a duration`},
		{"IBKR_TRAY_LOGIN_SELECTORS={nope", `IBKR_TRAY_LOGIN_SELECTORS (the setting loginSelectors) is not the JSON this setting takes`},
	}
	for _, tc := range cases {
		_, _, err := FromEnv(Default(), []string{tc.env})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %q", tc.env, err, tc.want)
		}
	}
	// A readable value out of range is refused as in the file, saying where it came from.
	t.Setenv("IBKR_TRAY_TICKLE_INTERVAL", "5m")
	_, _, err := OpenWithEnv(filepath.Join(t.TempDir(), "none.json"))
	if err == nil || !strings.Contains(err.Error(), "IBKR_TRAY_* environment variables") || !strings.Contains(err.Error(), "tickle interval must be between 1s and 1m") {
		t.Errorf("out of range from the environment: %v", err)
	}
}

func TestEnvListsAreCommaSeparatedOrJSON(t *testing.T) {
	var x struct{ L []string }
	f := reflect.ValueOf(&x).Elem().Field(0)
	for value, want := range map[string][]string{
		"a, b,,c ":          {"a", "b", "c"},
		`["a,b", "c"]`:      {"a,b", "c"},
		"https://ntfy.sh/x": {"https://ntfy.sh/x"},
	} {
		if err := setField(f, value); err != nil || !slices.Equal(x.L, want) {
			t.Errorf("%q: got %q (%v), want %q", value, x.L, err, want)
		}
	}
}

// TestNoCredentialComesFromTheEnvironment: there is no variable for the
// username, password or TOTP secret, and one set anyway is ignored, with
// a warning that names it and says why (never its value), and taken out
// of the environment the gateway, the browser and hooks inherit.
func TestNoCredentialComesFromTheEnvironment(t *testing.T) {
	for _, s := range EnvSettings() {
		if looksLikeCredential(s.Var) && s.Key != "secretsFile" {
			t.Errorf("the setting %s (%s) looks like a credential; credentials belong in the keyring or the secrets file", s.Key, s.Var)
		}
	}
	secretVars := map[string]string{
		"IBKR_TRAY_PASSWORD":    "hunter2-in-env",
		"IBKR_TRAY_TOTP_SECRET": "JBSWY3DPEHPK3PXP",
		"IBKR_TRAY_USERNAME":    "someone-in-env",
	}
	for k, v := range secretVars {
		t.Setenv(k, v)
	}
	t.Setenv("IBKR_TRAY_SECRETS_FILE", "/run/secrets/ibkr.json") // the one setting of that family
	c, warnings, err := OpenWithEnv(filepath.Join(t.TempDir(), "none.json"))
	if err != nil {
		t.Fatal(err)
	}
	if c.SecretsFile != "/run/secrets/ibkr.json" {
		t.Errorf("secretsFile = %q, want it from IBKR_TRAY_SECRETS_FILE", c.SecretsFile)
	}
	want := Default()
	want.SecretsFile = c.SecretsFile
	if !reflect.DeepEqual(c, want) {
		t.Errorf("credentials in the environment changed the settings: %+v", c)
	}
	all := strings.Join(warnings, "\n")
	for k, v := range secretVars {
		if !strings.Contains(all, "The environment variable "+k+" is ignored: ibkr-tray takes the IBKR username, password and authenticator secret only from the OS keyring or a secrets file") {
			t.Errorf("no warning naming %s:\n%s", k, all)
		}
		if strings.Contains(all, v) {
			t.Errorf("a warning shows the value of %s:\n%s", k, all)
		}
		if _, set := os.LookupEnv(k); set {
			t.Errorf("%s is still in the environment children inherit", k)
		}
	}
	if len(warnings) != len(secretVars) {
		t.Errorf("%d warnings, want one per credential variable:\n%s", len(warnings), all)
	}
}

// TestMisspeltVariablesAreNamedOthersPass: a variable a letter or an
// underscore off a setting's is named with the setting meant; the app's
// other IBKR_TRAY_* variables (hooks' facts, tests' switches) pass quietly.
func TestMisspeltVariablesAreNamedOthersPass(t *testing.T) {
	env := []string{
		"IBKR_TRAY_GATEWAYDIR=/opt/gw", "IBKR_TRAY_TICKEL_INTERVAL=5s",
		"IBKR_TRAY_STATE=Authenticated", "IBKR_TRAY_PREVIOUS=LoggingIn", "IBKR_TRAY_REASON=x", "IBKR_TRAY_READY=1",
		"IBKR_TRAY_PROFILE=default", "IBKR_TRAY_NEEDS_YOU=0", "IBKR_TRAY_TEST_APP=headless",
		"IBKR_TRAY_REQUIRE_DESKTOP=1", "IBKR_TRAY_TEST_CHILD=sim", "PATH=/usr/bin",
	}
	c, warnings, err := FromEnv(Default(), env)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"The environment variable IBKR_TRAY_GATEWAYDIR is not a setting ibkr-tray knows, so it is ignored; did you mean IBKR_TRAY_GATEWAY_DIR?",
		"The environment variable IBKR_TRAY_TICKEL_INTERVAL is not a setting ibkr-tray knows, so it is ignored; did you mean IBKR_TRAY_TICKLE_INTERVAL?",
	}
	if !slices.Equal(warnings, want) {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(warnings, "\n"), strings.Join(want, "\n"))
	}
	if !reflect.DeepEqual(c, Default()) {
		t.Errorf("settings changed: %+v", c)
	}
}
