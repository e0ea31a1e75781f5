//go:build unix

package gateway

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// realConf is shaped like the real root/conf.yaml.
const realConf = `ip2loc: "US"
proxyRemoteSsl: true
proxyRemoteHost: "https://api.ibkr.com"
listenPort: 5000
listenSsl: true
ccp: false
svcEnvironment: "v1"
sslCert: "vertx.jks"
sslPwd: "mywebapi"
authDelay: 3000
portalBaseURL: ""
serverOptions:
    blockedThreadCheckInterval: 1000000
    eventLoopPoolSize: 20
webApps:
    -   name: "demo"
        index: "index.html"
ips:
    allow:
        - 192.*
        - 127.0.0.1
`

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestCheckDistSaysWhatIsMissing(t *testing.T) {
	runSh := "#!/bin/bash\n"
	tests := []struct {
		name  string
		files map[string]string // nil: the folder does not exist
		sub   string            // check this sub-path instead of the folder
		want  []string          // the error names these (nil: no error)
	}{
		{"missing folder", nil, "", []string{"does not exist", "interactivebrokers.com"}},
		{"a file, not a folder", map[string]string{"x.zip": "zip"}, "x.zip", []string{"is a file, not a folder"}},
		{"no run.sh", map[string]string{"root/conf.yaml": realConf}, "", []string{"has no bin/run.sh", "not a Client Portal Gateway folder", "interactivebrokers.com"}},
		{"no conf.yaml", map[string]string{"bin/run.sh": runSh}, "", []string{"has no root/conf.yaml"}},
		{"conf is not YAML", map[string]string{"bin/run.sh": runSh, "root/conf.yaml": "listenPort: [5000\n"}, "", []string{"conf.yaml", "not valid YAML"}},
		{"conf without listenPort", map[string]string{"bin/run.sh": runSh, "root/conf.yaml": "listenSsl: true\n"}, "", []string{"has no listenPort"}},
		{"conf with a bad port", map[string]string{"bin/run.sh": runSh, "root/conf.yaml": "listenPort: 70000\n"}, "", []string{"70000 is not a TCP port"}},
		{"unreadable conf (a folder)", map[string]string{"bin/run.sh": runSh, "root/conf.yaml/x": ""}, "", []string{"cannot read", "conf.yaml"}},
		{"real-shaped distribution", map[string]string{"bin/run.sh": runSh, "root/conf.yaml": realConf}, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "clientportal.gw")
			if tt.files != nil {
				dir = writeFiles(t, tt.files)
			}
			dir = filepath.Join(dir, tt.sub)
			d, err := CheckDist(dir)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("CheckDist: %v", err)
				}
				if d.Port != 5000 || !d.SSL || d.Simulator || d.Dir != dir {
					t.Errorf("CheckDist = %+v", d)
				}
				return
			}
			if err == nil {
				t.Fatalf("CheckDist accepted it: %+v", d)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if !strings.Contains(err.Error(), dir) && tt.name != "missing folder" {
				t.Errorf("error %q does not name the folder %s", err, dir)
			}
		})
	}
}

func TestCheckDistFindsTheSimulatorMarker(t *testing.T) {
	dir := writeSimDist(t, 5001, 0)
	d, err := CheckDist(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !d.Simulator || d.Port != 5001 || !d.SSL {
		t.Errorf("CheckDist = %+v, want the simulator on 5001 with TLS", d)
	}
}

func TestPortConfChangesOnlyListenPort(t *testing.T) {
	tests := []struct{ name, conf, wantLine string }{
		{"real conf", realConf, "listenPort: 5001\n"},
		{"quoted port with a comment", "a: 1\nlistenPort: \"5000\" # moved\nb: 2\n", "listenPort: \"5001\" # moved\n"},
		{"indented with CRLF", "a: 1\r\n  listenPort: 5000\r\nb: 2\r\n", "  listenPort: 5001\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeFiles(t, map[string]string{"bin/run.sh": "#!/bin/bash\n", "root/conf.yaml": tt.conf})
			d := Dist{Dir: dir, Conf: filepath.Join("root", "conf.yaml")}
			rel, err := writePortConf(d, "", 5001)
			if err != nil {
				t.Fatal(err)
			}
			if rel != filepath.Join("root", "conf.ibkr-tray.yaml") {
				t.Errorf("copy at %s", rel)
			}
			orig, _ := os.ReadFile(filepath.Join(dir, "root", "conf.yaml"))
			if !bytes.Equal(orig, []byte(tt.conf)) {
				t.Errorf("the user's conf.yaml changed:\n%s", orig)
			}
			got, _ := os.ReadFile(filepath.Join(dir, rel))
			want := strings.Replace(tt.conf, "5000", "5001", 1)
			if string(got) != want || !strings.Contains(string(got), tt.wantLine) {
				t.Errorf("copy =\n%q\nwant\n%q", got, want)
			}
		})
	}
}

func TestPortConfRefusesAmbiguousConf(t *testing.T) {
	dir := writeFiles(t, map[string]string{"root/conf.yaml": "listenPort: 5000\nx:\n    listenPort: 6000\n"})
	_, err := writePortConf(Dist{Dir: dir, Conf: "root/conf.yaml"}, "", 5001)
	if err == nil || !strings.Contains(err.Error(), "exactly one listenPort") {
		t.Errorf("err = %v", err)
	}
}

func TestOverlayNamePerProfileAndKeystoreFallback(t *testing.T) {
	for profile, want := range map[string]string{"": PortConf, "default": PortConf, "paper": "conf.ibkr-tray-paper.yaml"} {
		if got := OverlayName(profile); got != want {
			t.Errorf("OverlayName(%q) = %q, want %q", profile, got, want)
		}
	}
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "root"), 0o700)
	os.WriteFile(filepath.Join(dir, "root", "conf.yaml"), []byte("listenPort: 5000\n"), 0o600)
	d := Dist{Dir: dir, Conf: filepath.Join("root", "conf.yaml"), Port: 5000}
	if _, err := WriteOverlay(d, 5000, &Keystore{File: "default.jks", Password: "a"}); err != nil {
		t.Fatal(err)
	}
	// A profile without its own overlay serves the default's keystore...
	if ks, err := ReadProfileOverlayKeystore(d, "paper"); err != nil || ks.File != "default.jks" {
		t.Errorf("fallback = %+v, %v", ks, err)
	}
	// ...and its own once it has one, leaving the default's as it was.
	if _, err := WriteProfileOverlay(d, "paper", 5002, &Keystore{File: "paper.jks", Password: "b"}); err != nil {
		t.Fatal(err)
	}
	if ks, err := ReadProfileOverlayKeystore(d, "paper"); err != nil || ks.File != "paper.jks" {
		t.Errorf("own = %+v, %v", ks, err)
	}
	if ks, err := ReadOverlayKeystore(d); err != nil || ks.File != "default.jks" {
		t.Errorf("default after the profile's = %+v, %v", ks, err)
	}
}
