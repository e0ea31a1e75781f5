package ui

import (
	"os"
	"strings"
	"testing"

	"github.com/ibkr-tray/ibkr-tray/ui/config"
)

// profileHome gives the test its own settings and state folders.
func profileHome(t *testing.T) {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", home+"/config")
	t.Setenv("XDG_STATE_HOME", home+"/state")
	t.Setenv("XDG_RUNTIME_DIR", home+"/runtime")
}

func saveProfile(t *testing.T, name string, c config.Config) {
	t.Helper()
	p, err := config.PathsFor(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Save(p.ConfigFile); err != nil {
		t.Fatal(err)
	}
}

func TestProfilesToRunAreThePickedOrEveryProfileOrTheDefault(t *testing.T) {
	profileHome(t)
	if got, err := profilesToRun(nil, false); err != nil || strings.Join(got, ",") != "default" {
		t.Errorf("with no profile: %v (err %v), want default", got, err)
	}
	live, paper := config.Default(), config.Default()
	live.StatusAddr, paper.StatusAddr = "127.0.0.1:5491", "127.0.0.1:5492"
	saveProfile(t, "paper", paper)
	saveProfile(t, "live", live)
	if got, err := profilesToRun(nil, false); err != nil || strings.Join(got, ",") != "live,paper" {
		t.Errorf("every profile: %v (err %v), want live,paper", got, err)
	}
	var f profileFlag
	for _, s := range []string{"paper", "live", "paper"} {
		_ = f.Set(s)
	}
	if got, _ := profilesToRun(f, false); strings.Join(got, ",") != "paper,live" {
		t.Errorf("--profile paper --profile live --profile paper: %v, want paper,live", got)
	}
}

func TestPickProfilesKeepsACollidingOrRunningProfileStopped(t *testing.T) {
	profileHome(t)
	a, b, c := config.Default(), config.Default(), config.Default()
	a.StatusAddr, b.StatusAddr, c.StatusAddr = "127.0.0.1:5491", "127.0.0.1:5491", "127.0.0.1:5493"
	saveProfile(t, "live", a)
	saveProfile(t, "paper", b)
	saveProfile(t, "work", c)
	other := func(p config.Paths) string {
		if p.Profile == "work" {
			return "ibkr-tray is already running for profile work (pid 9). Use its icon in the tray, or quit it first."
		}
		return ""
	}
	ps, err := pickProfiles([]string{"live", "paper", "work"}, other)
	if err != nil {
		t.Fatal(err)
	}
	if ps[0].Problem != "" {
		t.Errorf("live, the first, has a problem: %s", ps[0].Problem)
	}
	if !strings.Contains(ps[1].Problem, "5491") || !strings.Contains(ps[1].Problem, `"paper"`) {
		t.Errorf("paper, on live's status address, problem %q; want the clash named", ps[1].Problem)
	}
	if !strings.HasPrefix(ps[2].Problem, "ibkr-tray is already running for profile work") {
		t.Errorf("work, run by another copy, problem %q", ps[2].Problem)
	}
	if _, err := pickProfiles([]string{"no/such"}, other); err == nil {
		t.Error("a bad profile name was accepted")
	}
	broken, _ := config.PathsFor("broken")
	// A folder where the file should be: it cannot be read (a file that
	// is not JSON is put aside and the defaults used, with a warning).
	if err := os.MkdirAll(broken.ConfigFile, 0o700); err != nil {
		t.Fatal(err)
	}
	ps, err = pickProfiles([]string{"live", "broken"}, other)
	if err != nil || ps[0].Problem != "" || ps[1].ProblemLine != lineUnreadable || ps[1].Problem == "" {
		t.Errorf("with a broken settings file: %+v (err %v); want live to run and broken to say why not", ps, err)
	}
}
