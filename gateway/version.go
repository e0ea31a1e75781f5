package gateway

import (
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
)

// versionLine matches `version="ibkr-tray-simulator 1.0"` (the simulator's
// slog line) and `Version: 10.25.0m` or `version 1.2.3`.
var versionLine = regexp.MustCompile(`(?i)\bversion\b\s*[=:]?\s*(?:"([^"\n]+)"|([0-9][0-9A-Za-z._-]*))`)

// readVersion finds the gateway's version in its newest logs/gw.DATE.log,
// if it names one ("" when not).
func readVersion(dir string) string {
	files, _ := filepath.Glob(filepath.Join(dir, "logs", "gw.[0-9]*.log"))
	if len(files) == 0 {
		return ""
	}
	sort.Strings(files) // gw.YYYY-MM-DD.log sorts by date
	f, err := os.Open(files[len(files)-1])
	if err != nil {
		return ""
	}
	defer f.Close()
	b, _ := io.ReadAll(io.LimitReader(f, 256<<10))
	if m := versionLine.FindSubmatch(b); m != nil {
		return string(m[1]) + string(m[2])
	}
	return ""
}
