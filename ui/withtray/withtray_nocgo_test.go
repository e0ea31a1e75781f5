//go:build !cgo

package withtray

import (
	"strings"
	"testing"
)

func TestWithoutCgoTheTrayPointsToHeadless(t *testing.T) {
	cases := []struct {
		name, want string
		args       []string
	}{
		{"no flags", "run `ibkr-tray headless` instead", nil},
		{"the demo", "run `ibkr-tray headless --demo` instead", []string{"--demo"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out strings.Builder
			if code := noTray(tc.args, &out); code != 2 {
				t.Errorf("exit %d, want 2", code)
			}
			msg := out.String()
			if !strings.Contains(msg, "this build has no tray app") || !strings.Contains(msg, tc.want) {
				t.Errorf("message %q does not say there is no tray and %q", msg, tc.want)
			}
			if strings.Count(msg, "\n") != 1 || strings.Count(strings.TrimSuffix(msg, ".\n"), ". ") != 0 {
				t.Errorf("message %q is not one sentence on one line", msg)
			}
		})
	}
}
