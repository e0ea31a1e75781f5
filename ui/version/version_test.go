package version

import (
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
)

// TestNumberIsFyneAppTomls: the packages (fyne package reads FyneApp.toml)
// and the binary say the same version.
func TestNumberIsFyneAppTomls(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "FyneApp.toml"))
	if err != nil {
		t.Fatal(err)
	}
	_, details, ok := strings.Cut(string(b), "[Details]")
	if !ok {
		t.Fatal("FyneApp.toml has no [Details] section")
	}
	details, _, _ = strings.Cut(details, "\n[")
	m := regexp.MustCompile(`(?m)^\s*Version\s*=\s*"([^"]+)"`).FindStringSubmatch(details)
	if m == nil {
		t.Fatal("FyneApp.toml's [Details] has no Version")
	}
	if m[1] != Number {
		t.Errorf("FyneApp.toml says version %s, ui/version.Number %s; set Number to %q", m[1], Number, m[1])
	}
}

func TestBuildDetailsNameTheCommit(t *testing.T) {
	cases := []struct {
		name     string
		settings []debug.BuildSetting
		want     []string
	}{
		{"clean checkout", []debug.BuildSetting{{Key: "vcs.revision", Value: "406f1b5a2c3d4e5f60718293a4b5c6d7e8f90a1b"}, {Key: "vcs.modified", Value: "false"}}, []string{"commit 406f1b5a2c3d"}},
		{"changed tree", []debug.BuildSetting{{Key: "vcs.revision", Value: "406f1b5a2c3d4e5f"}, {Key: "vcs.modified", Value: "true"}}, []string{"commit 406f1b5a2c3d", "modified"}},
		{"no git", []debug.BuildSetting{{Key: "CGO_ENABLED", Value: "1"}}, nil},
	}
	for _, tc := range cases {
		if got := buildDetails(tc.settings); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
	if s := String(); !strings.HasPrefix(s, Number+" (") || !strings.Contains(s, "go1.") {
		t.Errorf("String() = %q", s)
	}
}
