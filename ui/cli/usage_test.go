package cli

import (
	"os"
	"strings"
	"testing"
)

// stderrOf runs f with os.Stderr going to a file and returns what it wrote.
func stderrOf(t *testing.T, f func()) string {
	t.Helper()
	file, err := os.CreateTemp(t.TempDir(), "stderr")
	if err != nil {
		t.Fatal(err)
	}
	real := os.Stderr
	os.Stderr = file
	f()
	os.Stderr = real
	b, _ := os.ReadFile(file.Name())
	return string(b)
}

// TestRemoteCommandsHelpListTheirFlags: `status -h` did not show
// --profile and --socket in its usage line.
func TestRemoteCommandsHelpListTheirFlags(t *testing.T) {
	for name, cmd := range map[string]func([]string) int{"status": Status, "login": Login, "logout": Logout} {
		var code int
		help := stderrOf(t, func() { code = cmd([]string{"-h"}) })
		first, _, _ := strings.Cut(help, "\n")
		if code != 0 || !strings.Contains(first, "--profile NAME") || !strings.Contains(first, "--socket PATH") {
			t.Errorf("%s -h: exit %d, usage line %q; want --profile and --socket in it", name, code, first)
		}
		for _, flag := range []string{"  -profile NAME\n", "  -socket PATH\n"} {
			if !strings.Contains(help, flag) {
				t.Errorf("%s -h lacks %q:\n%s", name, flag, help)
			}
		}
	}
}
