package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoadMissingFileGivesDefaults(t *testing.T) {
	c, err := Load(filepath.Join(t.TempDir(), "nope.json"))
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
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
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
	_, err := Load(path)
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("want an error naming %s, got %v", path, err)
	}
	if b, _ := os.ReadFile(path); string(b) != "{not json" {
		t.Fatal("a broken settings file must be left as it was")
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
