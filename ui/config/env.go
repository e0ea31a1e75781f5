package config

import (
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// The environment layer lets a container or a systemd unit give every
// setting as an IBKR_TRAY_* variable, so that no settings file has to be
// mounted: the variables override the file, and the command's flags
// override the variables. The variables come from Config's fields, so a
// new setting has one at once (and the docs table test asks for its row).
//
// Credentials are not settings and have no variable: a process's
// environment is inherited by every child (the gateway, the browser,
// hooks) and readable by other programs of the user. They stay in the OS
// keyring or the 0600 secrets file.

// EnvPrefix begins the name of every setting's environment variable.
const EnvPrefix = "IBKR_TRAY_"

// EnvSetting is a setting that an environment variable can give.
type EnvSetting struct {
	Key  string // the settings file's key, e.g. gatewayDir
	Var  string // its variable, e.g. IBKR_TRAY_GATEWAY_DIR
	Kind string // how to write the value, in words
	// field is the index of the Config field.
	field int
}

// EnvSettings are every setting, in the settings file's order.
func EnvSettings() []EnvSetting { return slices.Clone(envSettings) }

var envSettings = func() []EnvSetting {
	var s []EnvSetting
	t := reflect.TypeFor[Config]()
	for i := range t.NumField() {
		f := t.Field(i)
		key, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || key == "" || key == "-" {
			continue
		}
		s = append(s, EnvSetting{Key: key, Var: EnvPrefix + envName(key), Kind: kindOf(f.Type), field: i})
	}
	return s
}()

// envName spells a settings key as a variable: gatewayURL is GATEWAY_URL,
// maxFailedLoginsInRow MAX_FAILED_LOGINS_IN_ROW.
func envName(key string) string {
	r := []rune(key)
	var b strings.Builder
	for i, c := range r {
		if i > 0 && unicode.IsUpper(c) {
			prevLower := unicode.IsLower(r[i-1]) || unicode.IsDigit(r[i-1])
			nextLower := i+1 < len(r) && unicode.IsLower(r[i+1])
			if prevLower || (unicode.IsUpper(r[i-1]) && nextLower) {
				b.WriteByte('_')
			}
		}
		b.WriteRune(unicode.ToUpper(c))
	}
	return b.String()
}

var textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()

// kindOf says in words how a value of type t is written.
func kindOf(t reflect.Type) string {
	switch {
	case t == reflect.TypeFor[Duration]():
		return "duration, like 90s or 1m30s"
	case reflect.PointerTo(t).Implements(textUnmarshaler):
		return "text"
	case t == reflect.TypeFor[json.RawMessage]():
		return "JSON"
	}
	switch t.Kind() {
	case reflect.String:
		return "text"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "whole number"
	case reflect.Slice:
		if t.Elem().Kind() == reflect.String {
			return "list, comma-separated (or a JSON array)"
		}
	}
	return "JSON"
}

// FromEnv lays the IBKR_TRAY_* variables of environ (os.Environ's form)
// over c. An empty variable counts as unset. A value that cannot be read
// is an error naming the variable; a variable that looks like a
// credential, or like a misspelt setting, is ignored with a warning that
// says why (never with its value).
func FromEnv(c Config, environ []string) (Config, []string, error) {
	byVar := map[string]EnvSetting{}
	for _, s := range envSettings {
		byVar[s.Var] = s
	}
	var warnings []string
	var errs []error
	v := reflect.ValueOf(&c).Elem()
	for _, kv := range sortedEnv(environ) {
		name, value, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, EnvPrefix) {
			continue
		}
		s, ok := byVar[name]
		switch {
		case ok && value == "": // unset: a compose file's "IBKR_TRAY_PORT=" means no value
		case ok:
			if err := setField(v.Field(s.field), value); err != nil {
				errs = append(errs, fmt.Errorf("the environment variable %s (the setting %s) %v; fix or unset it", name, s.Key, err))
			}
		case looksLikeCredential(name):
			warnings = append(warnings, fmt.Sprintf("The environment variable %s is ignored: ibkr-tray takes the IBKR username, password and authenticator secret only from the OS keyring or a secrets file of mode 0600 (run `ibkr-tray secrets set`), never from the environment, which every program it starts inherits; unset it.", name))
		default:
			if near := nearestSetting(name); near != "" {
				warnings = append(warnings, fmt.Sprintf("The environment variable %s is not a setting ibkr-tray knows, so it is ignored; did you mean %s?", name, near))
			}
		}
	}
	return c, warnings, errors.Join(errs...)
}

// sortedEnv orders the variables by name, so warnings and errors come in
// the same order at every start.
func sortedEnv(environ []string) []string {
	s := slices.Clone(environ)
	slices.Sort(s)
	return s
}

// setField reads value into the field f as the settings file would hold it.
func setField(f reflect.Value, value string) error {
	if u, ok := f.Addr().Interface().(encoding.TextUnmarshaler); ok {
		if err := u.UnmarshalText([]byte(value)); err != nil {
			return fmt.Errorf("is not valid: %v", err)
		}
		return nil
	}
	switch {
	case f.Type() == reflect.TypeFor[json.RawMessage](): // a []byte, but JSON: below
	case f.Kind() == reflect.String:
		f.SetString(value)
		return nil
	case f.Kind() == reflect.Bool:
		b, err := strconv.ParseBool(value)
		if err != nil {
			return fmt.Errorf("is %q, which is not true or false", value)
		}
		f.SetBool(b)
		return nil
	case f.CanInt():
		n, err := strconv.ParseInt(value, 10, f.Type().Bits())
		if err != nil {
			return fmt.Errorf("is %q, which is not a whole number", value)
		}
		f.SetInt(n)
		return nil
	case f.Kind() == reflect.Slice && f.Type().Elem().Kind() == reflect.String && !strings.HasPrefix(strings.TrimSpace(value), "["):
		list := reflect.MakeSlice(f.Type(), 0, 0)
		for item := range strings.SplitSeq(value, ",") {
			if item = strings.TrimSpace(item); item != "" {
				list = reflect.Append(list, reflect.ValueOf(item).Convert(f.Type().Elem()))
			}
		}
		f.Set(list)
		return nil
	}
	if err := json.Unmarshal([]byte(value), f.Addr().Interface()); err != nil {
		return fmt.Errorf("is not the JSON this setting takes (%v)", err)
	}
	return nil
}

// looksLikeCredential says whether a person may have meant the variable
// to carry the username, password or TOTP secret.
func looksLikeCredential(name string) bool {
	rest := strings.TrimPrefix(name, EnvPrefix)
	for _, w := range []string{"PASS", "PWD", "TOTP", "USER", "SECRET", "CREDENTIAL"} {
		if strings.Contains(rest, w) {
			return true
		}
	}
	return false
}

// nearestSetting is the setting variable that name is most likely a
// misspelling of (two letters off, or the same letters with other
// underscores), or "". Other IBKR_TRAY_* variables are not settings (the
// ones the app gives its hooks, tests' switches) and pass silently.
func nearestSetting(name string) string {
	rest := strings.TrimPrefix(name, EnvPrefix)
	for _, s := range envSettings {
		want := strings.TrimPrefix(s.Var, EnvPrefix)
		if strings.ReplaceAll(rest, "_", "") == strings.ReplaceAll(want, "_", "") ||
			(len(rest) >= 4 && editDistance(rest, want) <= 2) {
			return s.Var
		}
	}
	return ""
}

// editDistance is the Levenshtein distance of two ASCII names.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// OpenWithEnv is Open with the IBKR_TRAY_* environment laid over the file:
// the settings `headless` runs with. It also removes the variables that
// look like credentials from this process's environment, so that the
// gateway, the browser and hooks never inherit them.
func OpenWithEnv(path string) (Config, []string, error) { return withEnv(Open, path) }

// LoadWithEnv is Load with the IBKR_TRAY_* environment laid over the file
// (`ibkr-tray secrets` reads secretsFile with it), and removes the
// variables that look like credentials as OpenWithEnv does.
func LoadWithEnv(path string) (Config, []string, error) { return withEnv(Load, path) }

func withEnv(load func(string) (Config, []string, error), path string) (Config, []string, error) {
	c, warnings, err := load(path)
	if err != nil {
		return c, warnings, err
	}
	environ := os.Environ()
	c, more, err := FromEnv(c, environ)
	warnings = append(warnings, more...)
	for _, kv := range environ {
		if name, _, _ := strings.Cut(kv, "="); strings.HasPrefix(name, EnvPrefix) && looksLikeCredential(name) && !isSetting(name) {
			_ = os.Unsetenv(name)
		}
	}
	if err != nil {
		return c, warnings, err
	}
	if err := c.Validate(); err != nil {
		return c, warnings, fmt.Errorf("with the %s* environment variables laid over the settings file %s: %w", EnvPrefix, path, err)
	}
	return c, warnings, nil
}

func isSetting(name string) bool {
	return slices.ContainsFunc(envSettings, func(s EnvSetting) bool { return s.Var == name })
}
