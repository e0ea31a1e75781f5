package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoadMissingFileGivesDefaults(t *testing.T) {
	c, _, err := Load(filepath.Join(t.TempDir(), "nope.json"))
	if err != nil {
		t.Fatal(err)
	}
	if c.MaxFailedLoginsInRow != 3 || c.MaxFailedLoginsPerDay != 10 || c.StatusAddr != DefaultStatusAddr || !c.Notifications {
		t.Fatalf("defaults not applied: %+v", c)
	}
}

func TestSaveThenLoadRoundTrips(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "config.json")
	want := Default()
	want.GatewayDir = "/opt/clientportal.gw"
	want.Port = 5001
	want.TickleInterval = Duration(7 * time.Second)
	if err := want.Save(path); err != nil {
		t.Fatal(err)
	}
	got, warnings, err := Load(path)
	if err != nil || len(warnings) != 0 {
		t.Fatal(err, warnings)
	}
	if got.GatewayDir != want.GatewayDir || got.Port != 5001 || got.TickleInterval != want.TickleInterval {
		t.Fatalf("round trip lost values: got %+v", got)
	}
	b, _ := os.ReadFile(path)
	if !strings.Contains(string(b), `"tickleInterval": "7s"`) {
		t.Fatalf("durations should be written as text, file is:\n%s", b)
	}
}

func TestLoadBrokenFileNamesTheFileAndKeepsIt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(path, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err := Load(path)
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("want an error naming %s, got %v", path, err)
	}
	if b, _ := os.ReadFile(path); string(b) != "{not json" {
		t.Fatal("a broken settings file must be left as it was")
	}
}

// TestOpenSetsADamagedFileAsideAndSaysSo: the app starts with the defaults,
// the user's file is kept under a new name where no save can overwrite it,
// and one sentence says where it went.
func TestOpenSetsADamagedFileAsideAndSaysSo(t *testing.T) {
	for name, content := range map[string]string{
		"half written":   `{"gatewayDir": "/home/ann/clientportal.gw", "port": 50`,
		"a value's type": `{"gatewayDir": "/home/ann/clientportal.gw", "port": "five thousand"}`,
		"not an object":  `["gatewayDir"]`,
		"a bad duration": `{"tickleInterval": "four seconds"}`,
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "config.json")
			if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			c, warnings, err := Open(path)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if c.GatewayDir != "" || c.MaxFailedLoginsInRow != Default().MaxFailedLoginsInRow {
				t.Errorf("Open gave %+v; want the defaults", c)
			}
			kept, _ := filepath.Glob(path + ".bad-*")
			if len(kept) != 1 {
				t.Fatalf("kept copies %v; want one config.json.bad-TIME", kept)
			}
			if b, _ := os.ReadFile(kept[0]); string(b) != content {
				t.Errorf("the kept file holds %q; want the user's %q", b, content)
			}
			if len(warnings) != 1 || strings.Count(warnings[0], ". ") != 0 || !strings.Contains(warnings[0], kept[0]) || !strings.Contains(warnings[0], "default settings") {
				t.Errorf("warnings %q; want one sentence naming %s", warnings, kept[0])
			}
			// A save now writes config.json anew; the kept copy stays.
			if err := c.Save(path); err != nil {
				t.Fatal(err)
			}
			if b, _ := os.ReadFile(kept[0]); string(b) != content {
				t.Errorf("a save changed the kept file")
			}
		})
	}
}

func TestSetAsideNeverOverwritesAnEarlierCopy(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.json")
	now := time.Date(2026, 12, 1, 21, 44, 0, 0, time.UTC)
	for i, content := range []string{"first", "second"} {
		os.WriteFile(path, []byte(content), 0o600)
		kept, err := setAside(path, now)
		if err != nil {
			t.Fatal(err)
		}
		want := path + ".bad-20261201-214400"
		if i == 1 {
			want += "-2"
		}
		if kept != want {
			t.Errorf("kept as %s, want %s", kept, want)
		}
		if b, _ := os.ReadFile(kept); string(b) != content {
			t.Errorf("%s holds %q, want %q", kept, b, content)
		}
	}
}

func TestUnknownKeysAreReportedByNameAndFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(path, []byte(`{"takeBackCompetting": true, "paper": true, "maxFailedLoginsInRow": 2, "colour": "blue"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	c, warnings, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Paper || c.MaxFailedLoginsInRow != 2 || c.TakeBackCompeting {
		t.Errorf("the known keys were not read as written: %+v", c)
	}
	want := []string{
		`The settings file ` + path + ` has a setting ibkr-tray does not know, "colour"; it is ignored (check its spelling).`,
		`The settings file ` + path + ` has a setting ibkr-tray does not know, "takeBackCompetting"; it is ignored (check its spelling).`,
	}
	if strings.Join(warnings, "\n") != strings.Join(want, "\n") {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(warnings, "\n"), strings.Join(want, "\n"))
	}
	// Every key the app writes is one it knows.
	if err := Default().Save(path); err != nil {
		t.Fatal(err)
	}
	if _, warnings, _ := Load(path); len(warnings) != 0 {
		t.Errorf("a file the app wrote has unknown keys: %q", warnings)
	}
}

func TestValidateRejectsRiskyValues(t *testing.T) {
	cases := []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"port out of range", func(c *Config) { c.Port = 70000 }, "not a TCP port"},
		{"zero cap", func(c *Config) { c.MaxFailedLoginsInRow = 0 }, "at least 1"},
		{"cap that risks a lockout", func(c *Config) { c.MaxFailedLoginsInRow = 8 }, "locking"},
		{"tickle too fast for IBKR", func(c *Config) { c.TickleInterval = Duration(100 * time.Millisecond) }, "tickle interval"},
		{"tickle too slow to keep the session", func(c *Config) { c.TickleInterval = Duration(10 * time.Minute) }, "tickle interval"},
		{"a second factor the app does not know", func(c *Config) { c.SecondFactor = "sms" }, "not one of auto, totp"},
		{"an approval wait too short to reach the phone", func(c *Config) { c.ApprovalWait = Duration(10 * time.Second) }, "between 30s and 10m"},
		{"an approval wait longer than IBKR keeps the login", func(c *Config) { c.ApprovalWait = Duration(time.Hour) }, "between 30s and 10m"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := Default()
			tc.change(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want error containing %q, got %v", tc.want, err)
			}
		})
	}
	if err := Default().Validate(); err != nil {
		t.Fatalf("defaults must be valid: %v", err)
	}
	for _, f := range []string{"", "auto", "totp", "IBKey", "none"} {
		c := Default()
		c.SecondFactor, c.ApprovalWait = f, Duration(MinApprovalWait)
		if err := c.Validate(); err != nil {
			t.Errorf("second factor %q with a %v approval wait: %v", f, MinApprovalWait, err)
		}
	}
}

func TestPathsFollowXDGAndProfiles(t *testing.T) {
	home := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, "cfg"))
	t.Setenv("XDG_STATE_HOME", filepath.Join(home, "state"))
	t.Setenv("XDG_RUNTIME_DIR", filepath.Join(home, "run"))

	p, err := PathsFor("")
	if err != nil {
		t.Fatal(err)
	}
	if p.ConfigFile != filepath.Join(home, "cfg", "ibkr-tray", "config.json") {
		t.Errorf("config file: %s", p.ConfigFile)
	}
	if p.StateDir != filepath.Join(home, "state", "ibkr-tray", "default") {
		t.Errorf("state dir: %s", p.StateDir)
	}
	if p.LockFile != filepath.Join(home, "run", "ibkr-tray", "default.lock") {
		t.Errorf("lock file: %s", p.LockFile)
	}

	paper, err := PathsFor("paper")
	if err != nil {
		t.Fatal(err)
	}
	if paper.ConfigFile == p.ConfigFile || paper.StateDir == p.StateDir || paper.LockFile == p.LockFile {
		t.Errorf("profiles must not share files: %+v vs %+v", paper, p)
	}

	if _, err := PathsFor("../etc"); err == nil {
		t.Error("a profile name with a path in it must be refused")
	}
}
