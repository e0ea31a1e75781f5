package cli

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ibkr-tray/ibkr-tray/session/secrets"
	"github.com/ibkr-tray/ibkr-tray/ui/config"
)

// TestProfilesCommand adds, lists, renames and removes profiles as a user
// types them, with the credentials in a secrets file.
func TestProfilesCommand(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	var out bytes.Buffer
	stdout = &out
	t.Cleanup(func() { stdout = os.Stdout; stdin = os.Stdin })
	run := func(args ...string) (int, string) {
		t.Helper()
		out.Reset()
		var code int
		errs := stderrOf(t, func() { code = Profiles(args) })
		return code, out.String() + errs
	}

	if code, said := run(); code != 0 || !strings.Contains(said, "No profiles yet") {
		t.Errorf("list with none: %d %q", code, said)
	}
	if code, said := run("add", "paper"); code != 0 || !strings.Contains(said, `Added the profile "paper"`) || !strings.Contains(said, "status address 127.0.0.1:5480") {
		t.Errorf("add: %d %q", code, said)
	}
	if code, said := run("add", "paper"); code != 1 || !strings.Contains(said, `a profile named "paper" already exists`) {
		t.Errorf("add twice: %d %q", code, said)
	}
	// The credentials live in a secrets file the settings name.
	file := filepath.Join(t.TempDir(), "secrets.json")
	p, _ := config.PathsFor("paper")
	c, _, _ := config.Load(p.ConfigFile)
	c.SecretsFile = file
	if err := c.Save(p.ConfigFile); err != nil {
		t.Fatal(err)
	}
	store := secrets.File(file)
	if err := store.Set(context.Background(), "paper", secrets.Credentials{Username: "u", Password: "p"}); err != nil {
		t.Fatal(err)
	}
	if code, said := run("add", "live"); code != 0 || !strings.Contains(said, "status address 127.0.0.1:5482") {
		t.Errorf("second add: %d %q", code, said)
	}
	code, said := run("list")
	if code != 0 || !strings.Contains(said, "PROFILE") || !strings.Contains(said, "live") || !strings.Contains(said, "(not chosen)") || strings.Contains(said, "yes") {
		t.Errorf("list: %d\n%s", code, said)
	}

	if code, said := run("rename", "paper", "practice"); code != 0 || !strings.Contains(said, `Renamed the profile "paper" to "practice"`) {
		t.Errorf("rename: %d %q", code, said)
	}
	if _, err := store.Get(context.Background(), "practice"); err != nil {
		t.Errorf("the credentials did not follow the rename: %v", err)
	}

	stdin = strings.NewReader("n\n")
	if code, said := run("remove", "practice"); code != 0 || !strings.Contains(said, "Nothing was removed.") {
		t.Errorf("remove, answered no: %d %q", code, said)
	}
	stdin = strings.NewReader("y\n")
	if code, said := run("remove", "practice"); code != 0 || !strings.Contains(said, `Removed the profile "practice"`) {
		t.Errorf("remove, answered yes: %d %q", code, said)
	}
	if _, err := store.Get(context.Background(), "practice"); !errors.Is(err, secrets.ErrNotFound) {
		t.Errorf("the credentials stayed after remove: %v", err)
	}
	if code, said := run("remove", "nosuch", "--yes"); code != 1 || !strings.Contains(said, `there is no profile named "nosuch"`) {
		t.Errorf("remove of a missing profile: %d %q", code, said)
	}
	if code, _ := run("rename", "live"); code != 2 {
		t.Errorf("rename with one name: exit %d, want 2", code)
	}
}
