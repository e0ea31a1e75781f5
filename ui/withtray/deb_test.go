package withtray

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/ibkr-tray/ibkr-tray/ui/version"
)

// TestHeadlessDebHasTheBinaryAndTheUserUnit packages the cgo-free build
// with nfpm as `make deb` does, reads the .deb's fields and files with
// dpkg-deb, and installs it with dpkg into a scratch root: a static binary
// that says its version, and the systemd user unit of docs/headless.md.
func TestHeadlessDebHasTheBinaryAndTheUserUnit(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and a package")
	}
	nfpm := lookTool(t, "nfpm", "make deb installs it")
	dpkgDeb := lookTool(t, "dpkg-deb", "apt-get install dpkg")
	top, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	// nfpm reads the files from its working folder, laid out as make leaves them.
	work := t.TempDir()
	buildCgoFree(t, filepath.Join(work, "ibkr-tray-headless"))
	if err := os.Symlink(filepath.Join(top, ".ci"), filepath.Join(work, ".ci")); err != nil {
		t.Fatal(err)
	}
	deb := filepath.Join(work, "ibkr-tray-headless.deb")
	pack := exec.Command(nfpm, "package", "--config", ".ci/package/nfpm.yaml", "--packager", "deb", "--target", deb)
	pack.Dir = work
	pack.Env = append(os.Environ(), "VERSION="+version.Number, "GOARCH="+runtime.GOARCH)
	if out, err := pack.CombinedOutput(); err != nil {
		t.Fatalf("nfpm: %v\n%s", err, out)
	}

	fields := output(t, dpkgDeb, "-f", deb, "Package", "Version", "Architecture", "Conflicts")
	for _, want := range []string{"Package: ibkr-tray-headless", "Version: " + version.Number, "Architecture: " + runtime.GOARCH, "Conflicts: ibkr-tray"} {
		if !strings.Contains(fields, want+"\n") {
			t.Errorf("the package's fields lack %q:\n%s", want, fields)
		}
	}
	files := output(t, dpkgDeb, "-c", deb)
	for _, want := range []string{"-rwxr-xr-x root/root", "./usr/bin/ibkr-tray\n", "./usr/lib/systemd/user/ibkr-tray.service\n"} {
		if !strings.Contains(files, want) {
			t.Errorf("the package's files lack %q:\n%s", want, files)
		}
	}

	// Installed by dpkg into a scratch root with its own package database.
	dpkg := lookTool(t, "dpkg", "apt-get install dpkg")
	root := t.TempDir()
	for _, d := range []string{"info", "updates"} {
		if err := os.MkdirAll(filepath.Join(root, "var", "lib", "dpkg", d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "var", "lib", "dpkg", "status"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	output(t, dpkg, "--root="+root, "--force-script-chrootless", "--force-not-root", "--log=/dev/null", "-i", deb)
	if status := output(t, dpkg, "--root="+root, "-s", "ibkr-tray-headless"); !strings.Contains(status, "Status: install ok installed") {
		t.Errorf("dpkg does not list the package as installed:\n%s", status)
	}
	bin := filepath.Join(root, "usr", "bin", "ibkr-tray")
	assertStatic(t, bin)
	if out, code := run(t, bin, "--version"); code != 0 || !strings.HasPrefix(out, "ibkr-tray "+version.Number+" (") {
		t.Errorf("the packaged binary's --version: exit %d, %q", code, out)
	}
	unit, err := os.ReadFile(filepath.Join(root, "usr", "lib", "systemd", "user", "ibkr-tray.service"))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile(filepath.Join(top, "docs", "headless.md"))
	if err != nil {
		t.Fatal(err)
	}
	// The page's unit is the packaged one, for a binary in ~/bin.
	byHand := strings.Replace(string(unit), "ExecStart=/usr/bin/ibkr-tray ", "ExecStart=%h/bin/ibkr-tray ", 1)
	if !strings.Contains(string(doc), "```ini\n"+byHand+"```\n") {
		t.Errorf("docs/headless.md's systemd unit is not the packaged one (with ExecStart=%%h/bin/ibkr-tray); the packaged one:\n%s", unit)
	}
}

// lookTool finds a command on the PATH or in ~/go/bin, or skips the test.
func lookTool(t *testing.T, name, install string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	if home, err := os.UserHomeDir(); err == nil {
		if p := filepath.Join(home, "go", "bin", name); exec.Command(p, "--help").Run() == nil {
			return p
		}
	}
	t.Skipf("no %s (%s)", name, install)
	return ""
}

// output runs a command and returns its standard output, failing the test
// with its standard error.
func output(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr)
	}
	return string(out)
}
