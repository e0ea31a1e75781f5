package ui

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/ibkr-tray/ibkr-tray/ui/config"
	"github.com/ibkr-tray/ibkr-tray/ui/runner"
)

// TestSecondCopySaysSoInTheTraysWords: with the profile's lock held (the
// first copy; flock conflicts between two opens in one process too), the
// second copy's sentence names the profile and pid, the app's name in
// lower case and no command-line flag.
func TestSecondCopySaysSoInTheTraysWords(t *testing.T) {
	paths := config.Paths{Profile: "t1", LockFile: filepath.Join(t.TempDir(), "t1.lock")}
	if msg := otherCopy(paths, false); msg != "" {
		t.Fatalf("no copy runs, yet: %s", msg)
	}
	first, err := runner.Lock(paths.LockFile, paths.Profile)
	if err != nil {
		t.Fatalf("the probe kept the lock: %v", err)
	}
	defer first.Release()
	want := fmt.Sprintf("ibkr-tray is already running for profile t1 (pid %d). Use its icon in the tray, or quit it first.", os.Getpid())
	if got := otherCopy(paths, false); got != want {
		t.Errorf("second copy says\n %q\nwant %q", got, want)
	}
	if strings.Contains(otherCopy(paths, false), "--") {
		t.Error("the sentence names a command-line flag")
	}
}

func TestAlreadyRunningWindowSaysItAndOKQuits(t *testing.T) {
	a := &quitRecorder{App: test.NewTempApp(t)}
	w := alreadyRunningWindow(a, "ibkr-tray is already running for profile t1 (pid 7). Use its icon in the tray, or quit it first.")
	w.Show()
	bs := buttons(w.Content())
	if bs["OK"] == nil {
		t.Fatalf("buttons %v; want OK", keys(bs))
	}
	found := false
	for _, l := range labels(w.Content()) {
		if l == "ibkr-tray is already running for profile t1 (pid 7).\nUse its icon in the tray, or quit it first." {
			found = true
		}
	}
	if !found {
		t.Errorf("the window shows %v; want the sentence", labels(w.Content()))
	}
	if sz := w.Content().MinSize(); sz.Height > 200 || sz.Width > 600 {
		t.Errorf("the window needs %v; two lines and a button need less", sz)
	}
	test.Tap(bs["OK"])
	if a.quits.Load() != 1 {
		t.Error("OK did not quit")
	}
}

// TestStartErrorKeepsTheAppsNameLowerCase: the backend's own check came
// out as "Ibkr-tray is already running…".
func TestStartErrorKeepsTheAppsNameLowerCase(t *testing.T) {
	err := &runner.AlreadyRunningError{Profile: "t1", PID: 7}
	if got := capitalise(err.Error()); !strings.HasPrefix(got, "ibkr-tray ") {
		t.Errorf("capitalise gave %q", got)
	}
	if got := capitalise("the gateway exited"); got != "The gateway exited" {
		t.Errorf("capitalise gave %q", got)
	}
}

// labels are the texts of the labels under o.
func labels(o fyne.CanvasObject) []string {
	var out []string
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		switch v := o.(type) {
		case *widget.Label:
			out = append(out, v.Text)
		case *fyne.Container:
			for _, c := range v.Objects {
				walk(c)
			}
		}
	}
	walk(o)
	return out
}
