package desktoptest

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestDesktopHelpersFailWithoutTheirTools: every helper that starts a tool
// makes its test fail, not skip, under IBKR_TRAY_REQUIRE_DESKTOP=1 when the
// tool is missing (run in a child test binary with an empty PATH).
func TestDesktopHelpersFailWithoutTheirTools(t *testing.T) {
	CheckRequireDesktop(t,
		"TestStartBusIsPrivateAndActivatesNothing",       // StartBus: dbus-daemon
		"TestStartKeyringUnlocksThenLockLocks",           // StartKeyring: gnome-keyring-daemon
		"TestNotificationServerRecordsAndInvokesActions", // on a bus
		"TestWatcherSeesRegistrationReadsMenuAndClicks",  // on a bus
		"TestXvfbAnswersAndTakesScreenshots",             // StartXvfb, import
	)
}

// selfCheckEnv switches on the tests below that misbehave on purpose, only
// in the child test binaries that TestCheckRequireDesktopCatches... starts.
const selfCheckEnv = "IBKR_TRAY_DESKTOPTEST_SELF_CHECK"

// A test that looks for its tool itself and skips: what the check exists to
// catch.
func TestSelfCheckSkipsByItself(t *testing.T) {
	if os.Getenv(selfCheckEnv) != "1" {
		return
	}
	if _, err := exec.LookPath("Xvfb"); err != nil {
		t.Skip("no Xvfb")
	}
}

// A test that goes through RequireTools: what the check wants.
func TestSelfCheckRequiresXvfb(t *testing.T) {
	if os.Getenv(selfCheckEnv) != "1" {
		return
	}
	RequireTools(t, "Xvfb")
}

// errorRecorder records Errorf instead of failing the test.
type errorRecorder struct {
	testing.TB
	errs []string
}

func (r *errorRecorder) Helper() {}
func (r *errorRecorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func TestCheckRequireDesktopCatchesATestThatSkipsByItself(t *testing.T) {
	t.Setenv(selfCheckEnv, "1")

	good := &errorRecorder{TB: t}
	CheckRequireDesktop(good, "TestSelfCheckRequiresXvfb")
	if len(good.errs) != 0 {
		t.Errorf("a test that calls RequireTools was reported:\n%s", strings.Join(good.errs, "\n"))
	}

	bad := &errorRecorder{TB: t}
	CheckRequireDesktop(bad, "TestSelfCheckSkipsByItself")
	if !strings.Contains(strings.Join(bad.errs, "\n"), "TestSelfCheckSkipsByItself ended SKIP, want FAIL") {
		t.Errorf("a test that skips by itself under %s=1 was not reported as such; reports:\n%s", requireEnv, strings.Join(bad.errs, "\n"))
	}

	missing := &errorRecorder{TB: t}
	CheckRequireDesktop(missing, "TestThereIsNoSuchTest")
	if !strings.Contains(strings.Join(missing.errs, "\n"), "TestThereIsNoSuchTest ended without running") {
		t.Errorf("a test name that matches nothing was not reported; reports:\n%s", strings.Join(missing.errs, "\n"))
	}
}
