//go:build !darwin && !windows

package autostart

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAutostartInstallReadRemove(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", dir)
	a := Entry{Profile: "work", Exe: "/opt/ibkr tray/ibkr-tray"}
	if a.Installed() {
		t.Fatal("Installed before Install")
	}
	if err := a.Install(); err != nil {
		t.Fatal(err)
	}
	if !a.Installed() {
		t.Fatal("not Installed after Install")
	}
	b, err := os.ReadFile(filepath.Join(dir, "autostart", "ibkr-tray-work.desktop"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "\nExec=\"/opt/ibkr tray/ibkr-tray\" --profile work\n") {
		t.Errorf("Exec line wrong in:\n%s", b)
	}
	if err := a.Remove(); err != nil {
		t.Fatal(err)
	}
	if a.Installed() {
		t.Error("Installed after Remove")
	}
	if err := a.Remove(); err != nil {
		t.Errorf("removing twice: %v", err)
	}
}

func TestAutostartSwitchedOffByTheDesktopIsNotInstalled(t *testing.T) {
	for _, line := range []string{"Hidden=true", "X-GNOME-Autostart-enabled=false"} {
		t.Run(line, func(t *testing.T) {
			dir := t.TempDir()
			t.Setenv("XDG_CONFIG_HOME", dir)
			a := Entry{Exe: "/usr/bin/ibkr-tray"}
			if err := a.Install(); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, "autostart", "ibkr-tray.desktop")
			b, _ := os.ReadFile(path)
			b = []byte(strings.Replace(string(b), "X-GNOME-Autostart-enabled=true", line, 1))
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
			if a.Installed() {
				t.Errorf("Installed with %s", line)
			}
		})
	}
}

func TestDesktopQuote(t *testing.T) {
	for in, want := range map[string]string{
		"/usr/bin/ibkr-tray": "/usr/bin/ibkr-tray",
		"/a b/c":             `"/a b/c"`,
		`/a"$b`:              `"/a\"\$b"`,
		"50%":                `"50%%"`,
	} {
		if got := desktopQuote(in); got != want {
			t.Errorf("desktopQuote(%q) = %s, want %s", in, got, want)
		}
	}
}
