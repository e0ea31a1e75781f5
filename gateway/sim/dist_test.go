package sim

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

func TestWriteDistLayout(t *testing.T) {
	dir := t.TempDir()
	port, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	o := DefaultOptions()
	o.AuthDelay = 1500 * time.Millisecond
	o.TermDelay = 2 * time.Second
	if err := WriteDist(dir, DistOptions{Port: port, SSL: true, Command: []string{"/opt/it's here/ibkr-tray", "sim"}, Options: o}); err != nil {
		t.Fatal(err)
	}

	run, err := os.ReadFile(filepath.Join(dir, "bin/run.sh"))
	if err != nil {
		t.Fatal(err)
	}
	script := string(run)
	for _, want := range []string{"#!/bin/bash\n", `cd "$(dirname "$0")/.."`, `'/opt/it'\''s here/ibkr-tray' 'sim' --main-class ibgroup.web.core.clientportal.gw.GatewayStart --conf "$config_file"`} {
		if !strings.Contains(script, want) {
			t.Errorf("run.sh lacks %q:\n%s", want, script)
		}
	}
	if strings.Contains(script, "exec ") {
		t.Errorf("run.sh must run the simulator as a child, not exec it:\n%s", script)
	}
	if fi, _ := os.Stat(filepath.Join(dir, "bin/run.sh")); fi.Mode().Perm()&0o111 == 0 {
		t.Errorf("run.sh mode %v, want executable", fi.Mode())
	}

	confBytes, err := os.ReadFile(filepath.Join(dir, "root/conf.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var conf map[string]any
	if err := yaml.Unmarshal(confBytes, &conf); err != nil {
		t.Fatalf("conf.yaml: %v", err)
	}
	if conf["listenPort"] != port || conf["listenSsl"] != true || conf["ip2loc"] != "US" || conf["sslCert"] != "vertx.jks" || conf["authDelay"] != 1500 {
		t.Errorf("conf.yaml = %v", conf)
	}
	allow := conf["ips"].(map[string]any)["allow"].([]any)
	if len(allow) != 3 || allow[2] != "127.0.0.1" {
		t.Errorf("ips.allow = %v", allow)
	}
	if !strings.Contains(string(confBytes), "\n    allow:\n        - 192.*\n") {
		t.Errorf("conf.yaml is not 4-space indented:\n%s", confBytes)
	}

	fi, err := os.Stat(filepath.Join(dir, "root/sim.json"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("sim.json mode %v, want 0600 (it holds passwords and TOTP secrets)", fi.Mode().Perm())
	}
	st := settings{}
	if err := readSettingsFile(filepath.Join(dir, "root/sim.json"), &st, false); err != nil {
		t.Fatal(err)
	}
	back, err := st.options()
	if err != nil {
		t.Fatal(err)
	}
	if back.AuthDelay != o.AuthDelay || back.TermDelay != 2*time.Second || len(back.Accounts) != len(DemoAccounts()) || back.Accounts[0].TOTPSecret != DemoTOTPSecret {
		t.Errorf("sim.json does not round-trip: %+v", back)
	}
	if _, err := os.Stat(filepath.Join(dir, Marker)); err != nil {
		t.Errorf("no marker: %v", err)
	}
}

func TestWriteDistPortZeroMeans5000(t *testing.T) {
	dir := t.TempDir()
	if err := WriteDist(dir, DistOptions{SSL: true, Command: []string{"x"}, Options: DefaultOptions()}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "root/conf.yaml"))
	if !strings.Contains(string(b), "listenPort: 5000\n") {
		t.Errorf("conf.yaml:\n%s", b)
	}
}

func TestServeSettingsPrecedence(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "conf.yaml")
	os.WriteFile(conf, []byte("ip2loc: \"EU\"\nlistenPort: 5123\nlistenSsl: false\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "sim.json"), []byte(`{"authDelay":"7s","speed":2,"pageVersion":"2022","rateLimits":false}`), 0o600)
	accounts := filepath.Join(dir, "accounts.json")
	os.WriteFile(accounts, []byte(`[{"username":"alice","password":"pw","totpSecret":"JBSWY3DPEHPK3PXP"}]`), 0o600)

	for _, tc := range []struct {
		name  string
		args  []string
		check func(t *testing.T, o Options, f serveFlags)
	}{
		{"conf and sim.json", []string{"--conf", conf}, func(t *testing.T, o Options, f serveFlags) {
			if f.addr != "127.0.0.1:5123" || !o.PlainHTTP || o.IP2Loc != "EU" || o.AuthDelay != 7*time.Second || o.Speed != 2 || o.PageVersion != Page2022 || o.RateLimits {
				t.Errorf("addr %s options %+v", f.addr, o)
			}
		}},
		{"flags win over files", []string{"--conf", conf, "--speed", "3", "--auth-delay", "1s", "--addr", "127.0.0.1:0", "--page", "current"}, func(t *testing.T, o Options, f serveFlags) {
			if f.addr != "127.0.0.1:0" || o.Speed != 3 || o.AuthDelay != time.Second || o.PageVersion != PageCurrent || o.AuthDelay == 7*time.Second {
				t.Errorf("addr %s options %+v", f.addr, o)
			}
		}},
		{"defaults without conf", nil, func(t *testing.T, o Options, f serveFlags) {
			if f.addr != "127.0.0.1:5000" || o.PlainHTTP || !o.RateLimits || o.AuthDelay != 3*time.Second || len(o.Accounts) != len(DemoAccounts()) {
				t.Errorf("addr %s options %+v", f.addr, o)
			}
		}},
		{"IB Key switches", []string{"--push-lifetime", "45s", "--ibkey-promo"}, func(t *testing.T, o Options, f serveFlags) {
			if o.PushLifetime != 45*time.Second || !o.IBKeyPromo {
				t.Errorf("push lifetime %v, promo %v; want 45s and on", o.PushLifetime, o.IBKeyPromo)
			}
		}},
		{"accounts file and switches", []string{"--accounts", accounts, "--no-rate-limits", "--port", "5999", "--reset-at", "", "--authenticated"}, func(t *testing.T, o Options, f serveFlags) {
			if len(o.Accounts) != 1 || o.Accounts[0].Username != "alice" || o.RateLimits || f.addr != "127.0.0.1:5999" || o.ResetAt != "" || !o.Authenticated {
				t.Errorf("addr %s options %+v", f.addr, o)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, f, code, err := loadServeSettings(tc.args, &bytes.Buffer{})
			if err != nil || code != 0 {
				t.Fatalf("code %d err %v", code, err)
			}
			tc.check(t, o, f)
		})
	}
}

func TestSimCommandUsageAndBadFlags(t *testing.T) {
	for _, tc := range []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"help", []string{"-h"}, 0, "-auth-delay time"},
		{"unknown flag", []string{"--nope"}, 2, "flag provided but not defined"},
		{"bad duration", []string{"--auth-delay", "soon"}, 2, "soon"},
		{"bad page", []string{"--page", "1999", "--addr", "127.0.0.1:0"}, 1, "unknown login page version"},
		{"dist help", []string{"dist", "-h"}, 0, "-port int"},
		{"dist without folder", []string{"dist"}, 2, "name the folder"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			var code int
			if len(tc.args) > 0 && tc.args[0] == "dist" {
				code = mainDist(tc.args[1:], &out, &errb)
			} else {
				code = mainServe(tc.args, &out, &errb)
			}
			if code != tc.wantCode || !strings.Contains(errb.String(), tc.wantErr) {
				t.Errorf("code %d stderr %q, want %d and %q", code, errb.String(), tc.wantCode, tc.wantErr)
			}
		})
	}
}

func TestSimDistCommandWritesSettings(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "gw")
	var out, errb bytes.Buffer
	code := mainDist([]string{dir, "--port", "0", "--ssl=false", "--term-delay", "1s", "--speed", "60"}, &out, &errb)
	if code != 0 {
		t.Fatalf("code %d: %s", code, errb.String())
	}
	conf, _ := os.ReadFile(filepath.Join(dir, "root/conf.yaml"))
	if !strings.Contains(string(conf), "listenPort: 0\n") || !strings.Contains(string(conf), "listenSsl: false\n") {
		t.Errorf("conf.yaml:\n%s", conf)
	}
	var st map[string]any
	b, _ := os.ReadFile(filepath.Join(dir, "root/sim.json"))
	if err := json.Unmarshal(b, &st); err != nil || st["termDelay"] != "1s" || st["speed"] != 60.0 {
		t.Errorf("sim.json = %s", b)
	}
	if strings.Contains(out.String()+errb.String(), DemoTOTPSecret) {
		t.Error("sim dist printed the TOTP secret")
	}
}
