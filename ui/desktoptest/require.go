package desktoptest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// CheckRequireDesktop proves that the named tests of this test binary need
// their desktop tools through RequireTools: it runs them again in a child
// process that finds no tool on PATH, and reports an error unless each one
// fails, naming a package to install, when IBKR_TRAY_REQUIRE_DESKTOP=1, and
// is skipped (itself, or every subtest it ran) without it. A test that
// skips, returns or passes by itself when a tool is missing would let CI
// pass without running it.
//
// The tests must look for their tools by name (RequireTools(t, "chromium")),
// not by absolute path, since only PATH is emptied.
func CheckRequireDesktop(t testing.TB, tests ...string) {
	t.Helper()
	for _, require := range []bool{true, false} {
		mode := requireEnv + "=1"
		if !require {
			mode = requireEnv + " unset"
		}
		results, out, err := runWithoutTools(t, tests, require)
		if err != nil && (!require || !errors.As(err, new(*exec.ExitError))) {
			t.Errorf("with %s and no tools on PATH, the test binary: %v\n%s", mode, err, out)
			continue
		}
		if require && err == nil {
			t.Errorf("with %s and no tools on PATH, the test binary exited 0:\n%s", mode, out)
		}
		for _, name := range tests {
			if got := outcome(results, name); got != wantOutcome(require) {
				t.Errorf("with %s and no tools on PATH, %s ended %s, want %s:\n%s", mode, name, got, wantOutcome(require), out)
			}
		}
		if require && !strings.Contains(out, "(package ") {
			t.Errorf("with %s, the failures name no package to install:\n%s", mode, out)
		}
	}
}

func wantOutcome(require bool) string {
	if require {
		return "FAIL"
	}
	return "SKIP"
}

// testResult is a "--- PASS: TestName/sub (0.01s)" line of go test -v.
var testResult = regexp.MustCompile(`(?m)^\s*--- (PASS|FAIL|SKIP): (\S+)`)

// runWithoutTools runs the tests in a child test binary whose PATH is an
// empty folder, and returns how each test and subtest ended.
func runWithoutTools(t testing.TB, tests []string, require bool) (map[string]string, string, error) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^("+strings.Join(tests, "|")+")$",
		"-test.v", "-test.count=1", "-test.timeout=2m")
	env := []string{"PATH=" + t.TempDir()}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PATH=") && !strings.HasPrefix(kv, requireEnv+"=") {
			env = append(env, kv)
		}
	}
	if require {
		env = append(env, requireEnv+"=1")
	}
	cmd.Env = env
	b, err := cmd.CombinedOutput()
	results := map[string]string{}
	for _, m := range testResult.FindAllStringSubmatch(string(b), -1) {
		results[m[2]] = m[1]
	}
	return results, string(b), err
}

// outcome is how a test ended: its own result, except that a test that
// passed because all its subtests skipped counts as skipped.
func outcome(results map[string]string, name string) string {
	got, ok := results[name]
	if !ok {
		return "without running (is the name right?)"
	}
	if got != "PASS" {
		return got
	}
	subs := 0
	for sub, r := range results {
		if strings.HasPrefix(sub, name+"/") {
			if r != "SKIP" {
				return fmt.Sprintf("PASS (subtest %s: %s)", sub, r)
			}
			subs++
		}
	}
	if subs > 0 {
		return "SKIP"
	}
	return "PASS"
}
