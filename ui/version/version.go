// Package version is ibkr-tray's version: `ibkr-tray --version` prints it
// and the gateway client sends it in its User-Agent.
//
// The number is the one in FyneApp.toml, which `fyne package` reads for
// the packages. It is a constant here, kept equal to the file by a test,
// rather than set with -ldflags -X by the Makefile: a plain `go build` or
// `go install` then gets it right too, with nothing to forget. (go:embed
// cannot reach FyneApp.toml from a package below the top folder, and
// main.go holds no logic.)
package version

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// Number is [Details] Version in FyneApp.toml.
const Number = "0.1.0"

// String is the number with what the build knows about itself, for
// --version: "0.1.0 (commit 406f1b5a2c3d, modified, go1.26.0, linux/amd64,
// without cgo: no tray)". The commit is there when the binary was built
// from a git checkout.
func String() string {
	var settings []debug.BuildSetting
	if info, ok := debug.ReadBuildInfo(); ok {
		settings = info.Settings
	}
	details := append(buildDetails(settings), runtime.Version(), runtime.GOOS+"/"+runtime.GOARCH)
	if cgo, _ := setting(settings, "CGO_ENABLED"); cgo == "0" {
		details = append(details, "without cgo: no tray")
	}
	return fmt.Sprintf("%s (%s)", Number, strings.Join(details, ", "))
}

// buildDetails are the commit and whether the tree had changes.
func buildDetails(s []debug.BuildSetting) []string {
	var d []string
	if rev, ok := setting(s, "vcs.revision"); ok {
		d = append(d, "commit "+rev[:min(12, len(rev))])
		if mod, _ := setting(s, "vcs.modified"); mod == "true" {
			d = append(d, "modified")
		}
	}
	return d
}

func setting(s []debug.BuildSetting, key string) (string, bool) {
	for _, kv := range s {
		if kv.Key == key {
			return kv.Value, true
		}
	}
	return "", false
}
