package gateway

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestRingKeepsTheNewestLines(t *testing.T) {
	tests := []struct {
		name  string
		add   int
		n     int
		first string
		count int
	}{
		{"fewer than capacity, all", 3, 0, "line 0", 3},
		{"over capacity, the newest five", 12, 0, "line 7", 5},
		{"last two of many", 12, 2, "line 10", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRing(5)
			for i := range tt.add {
				r.add(fmt.Sprintf("line %d", i))
			}
			got := r.last(tt.n)
			if len(got) != tt.count || got[0] != tt.first || got[len(got)-1] != fmt.Sprintf("line %d", tt.add-1) {
				t.Errorf("last(%d) = %q", tt.n, got)
			}
		})
	}
}

func TestRotatingFileRotatesKeepingThree(t *testing.T) {
	path := filepath.Join(t.TempDir(), "logs", "gateway.log")
	f, err := openRotating(path, 100, 3)
	if err != nil {
		t.Fatal(err)
	}
	line := strings.Repeat("x", 39) + "\n" // 40 bytes: two fit in a file
	for i := range 12 {
		if _, err := fmt.Fprintf(f, "%02d%s", i, line[2:]); err != nil {
			t.Fatal(err)
		}
	}
	f.Close()
	names, _ := filepath.Glob(path + "*")
	slices.Sort(names)
	want := []string{path, path + ".1", path + ".2", path + ".3"}
	if !slices.Equal(names, want) {
		t.Fatalf("files %q, want %q", names, want)
	}
	cur, _ := os.ReadFile(path)
	if !strings.HasPrefix(string(cur), "10") || len(cur) != 80 {
		t.Errorf("current file holds %q, want lines 10 and 11", cur)
	}
	old, _ := os.ReadFile(path + ".3")
	if !strings.HasPrefix(string(old), "04") {
		t.Errorf("oldest kept file holds %q, want lines 04 and 05", old)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Errorf("log file mode %v, want 0600", st.Mode().Perm())
	}
}

func TestReadVersionFromTheGatewayLog(t *testing.T) {
	tests := []struct {
		name, log, want string
	}{
		{"simulator slog line", `time=2026-11-02T10:00:00Z level=INFO msg="Client Portal Gateway simulator starting" version="ibkr-tray-simulator 1.0"` + "\n", "ibkr-tray-simulator 1.0"},
		{"plain version line", "INFO  Gateway Version: 10.25.0m started\n", "10.25.0m"},
		{"no version line", "INFO starting\n", ""},
		{"no log at all", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.log != "" {
				os.MkdirAll(filepath.Join(dir, "logs"), 0o755)
				os.WriteFile(filepath.Join(dir, "logs", "gw.2026-11-01.log"), []byte("old\n"), 0o644)
				os.WriteFile(filepath.Join(dir, "logs", "gw.2026-11-02.log"), []byte(tt.log), 0o644)
				os.WriteFile(filepath.Join(dir, "logs", "gw.message.2026-11-02.log"), []byte("version 9.9\n"), 0o644)
			}
			if got := readVersion(dir); got != tt.want {
				t.Errorf("readVersion = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestUptimeCountsOnlyWhileUp(t *testing.T) {
	start := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	now := start.Add(90 * time.Minute)
	tests := []struct {
		name string
		st   Status
		want time.Duration
	}{
		{"running", Status{State: Running, Started: start}, 90 * time.Minute},
		{"unresponsive still counts", Status{State: Unresponsive, Started: start}, 90 * time.Minute},
		{"restarting is down", Status{State: Restarting, Started: start}, 0},
		{"never started", Status{State: Running}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.st.Uptime(now); got != tt.want {
				t.Errorf("Uptime = %v, want %v", got, tt.want)
			}
		})
	}
}
