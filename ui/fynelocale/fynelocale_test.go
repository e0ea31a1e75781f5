package fynelocale

import "testing"

func TestFixSetsEnglishOnlyForCDotCharset(t *testing.T) {
	cases := []struct {
		name string
		env  map[string]string
		want string // LANGUAGE afterwards
	}{
		{"C.UTF-8 in LANG", map[string]string{"LANG": "C.UTF-8"}, "en"},
		{"C.utf8 in LC_ALL wins over LANG", map[string]string{"LC_ALL": "C.utf8", "LANG": "de_DE.UTF-8"}, "en"},
		{"a real locale is left alone", map[string]string{"LANG": "de_DE.UTF-8"}, ""},
		{"plain C is handled by go-locale", map[string]string{"LANG": "C"}, ""},
		{"LANGUAGE already chosen", map[string]string{"LANG": "C.UTF-8", "LANGUAGE": "fr"}, "fr"},
		{"nothing set", map[string]string{}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range tc.env {
				env[k] = v
			}
			fix(func(k string) string { return env[k] }, func(k, v string) error { env[k] = v; return nil })
			if env["LANGUAGE"] != tc.want {
				t.Fatalf("LANGUAGE = %q, want %q", env["LANGUAGE"], tc.want)
			}
		})
	}
}
