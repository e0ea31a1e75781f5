package ui

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/ibkr-tray/ibkr-tray/session/login"
	"github.com/ibkr-tray/ibkr-tray/session/secrets"
	"github.com/ibkr-tray/ibkr-tray/ui/config"
)

// testDeps uses the real TOTP code and a folder check that accepts only
// /home/ann/clientportal.gw, with credentials in memory, and no Java check.
func testDeps() Deps {
	d := defaultDeps("")
	d.CheckDist = func(dir string) (int, error) {
		if dir == "/home/ann/clientportal.gw" {
			return 5001, nil
		}
		return 0, errNotGateway
	}
	d.Secrets = secrets.Memory(secrets.Credentials{})
	d.Now = fixedNow
	// No java -version in window tests: its answer would come after the
	// test ended, into the next test's app.
	d.FindJava = nil
	return d
}

// RFC 6238's SHA-1 test secret, base32: "12345678901234567890".
const rfcSecret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"

func validInput() settingsInput {
	return settingsInput{GatewayDir: "/home/ann/clientportal.gw", MaxInRow: "3", MaxPerDay: "10"}
}

func TestSettingsValidation(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(*settingsInput)
		field string
		says  string
	}{
		{"bad folder gets the supervisor's sentence", func(in *settingsInput) { in.GatewayDir = "/tmp/x" }, fieldGatewayDir, "has no bin/run.sh"},
		{"bad TOTP secret is explained", func(in *settingsInput) { in.Username, in.TOTPSecret = "ann", "not-a-secret-1890" }, fieldTOTP, "not a base32 activation code"},
		{"short TOTP secret is explained", func(in *settingsInput) { in.Username, in.TOTPSecret = "ann", "ABCD" }, fieldTOTP, "too short"},
		{"port out of range", func(in *settingsInput) { in.Port = "80" }, fieldPort, "from 1024 to 65535"},
		{"port not a number", func(in *settingsInput) { in.Port = "fivethousand" }, fieldPort, "not a port"},
		{"caps not numbers", func(in *settingsInput) { in.MaxInRow = "three" }, fieldCaps, "whole numbers"},
		{"too many failures in a row", func(in *settingsInput) { in.MaxInRow = "9" }, fieldCaps, "More than 5 failed logins"},
		{"password without username", func(in *settingsInput) { in.Password = "pw" }, fieldUsername, "username"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := validInput()
			tc.edit(&in)
			_, _, err := in.apply(config.Default(), testDeps())
			var fe fieldErrors
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v, want field errors", err)
			}
			if !strings.Contains(fe[tc.field], tc.says) {
				t.Errorf("field %s says %q, want it to contain %q (all: %v)", tc.field, fe[tc.field], tc.says, fe)
			}
			if strings.Contains(err.Error(), "not-a-secret") {
				t.Error("the error repeats the secret")
			}
		})
	}
}

func TestSettingsApplyNormalisesTheSecretAndKeepsTheRest(t *testing.T) {
	in := validInput()
	in.Port, in.Paper, in.TakeBack, in.Username = "5001", true, true, "ann"
	in.TOTPSecret = "gezd gnbv-gy3t qojq gezd gnbv gy3t qojq"
	c, secret, err := in.apply(config.Default(), testDeps())
	if err != nil {
		t.Fatal(err)
	}
	if secret != rfcSecret {
		t.Errorf("secret normalised to %q", secret)
	}
	if c.Port != 5001 || !c.Paper || !c.TakeBackCompeting || c.GatewayDir != "/home/ann/clientportal.gw" {
		t.Errorf("config %+v", c)
	}
}

func TestSettingsSaveCredentialsKeepsStoredValuesForEmptyFields(t *testing.T) {
	store := secrets.Memory(secrets.Credentials{Username: "ann", Password: "old", TOTPSecret: rfcSecret})
	in := settingsInput{Username: "ann", Password: "new"}
	changed, err := in.saveCredentials(context.Background(), store, "default", "")
	if err != nil || !changed {
		t.Fatalf("changed=%v err=%v", changed, err)
	}
	got, _ := store.Get(context.Background(), "default")
	if got.Password != "new" || got.TOTPSecret != rfcSecret {
		t.Errorf("stored %v; want the new password and the old secret", got)
	}
}

func TestSettingsWindowGolden(t *testing.T) {
	test.NewTempApp(t)
	c := config.Default()
	c.GatewayDir = "/home/ann/clientportal.gw"
	c.Paper = true
	v := newSettingsView(c, testPaths, true, testDeps(), nil, nil)
	w := test.NewTempWindow(t, v.content)
	w.Resize(fyne.NewSize(620, 900))
	test.AssertRendersToMarkup(t, "settings.xml", w.Canvas())
	capture(t, w, "settings.xml")
}

func TestSettingsWindowShowsFieldErrorsAndSavesNothing(t *testing.T) {
	test.NewTempApp(t)
	saved := false
	v := newSettingsView(config.Default(), testPaths, false, testDeps(), func(config.Config, bool) error { saved = true; return nil }, nil)
	w := test.NewTempWindow(t, v.content)
	w.Resize(fyne.NewSize(620, 900))
	test.Type(v.dir, "/tmp/x")
	test.Type(v.username, "ann")
	test.Type(v.totp, "0000 1111")
	v.save()
	if saved {
		t.Fatal("saved despite errors")
	}
	if !v.dirErr.Visible() || !strings.Contains(v.dirErr.Text, "no bin/run.sh") {
		t.Errorf("folder error %q visible=%v", v.dirErr.Text, v.dirErr.Visible())
	}
	if !v.totpErr.Visible() || !strings.Contains(v.totpErr.Text, "base32") {
		t.Errorf("TOTP error %q visible=%v", v.totpErr.Text, v.totpErr.Visible())
	}
	test.AssertRendersToMarkup(t, "settings_errors.xml", w.Canvas())
	capture(t, w, "settings_errors.xml")
}

func TestSettingsCheckShowsTheCurrentCode(t *testing.T) {
	test.NewTempApp(t)
	d := testDeps()
	v := newSettingsView(config.Default(), testPaths, false, d, nil, nil)
	v.ticks = noTicks
	test.Type(v.totp, rfcSecret)
	v.checkCode()
	defer v.closed()
	want, _, _, err := login.Code(rfcSecret, fixedNow())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(v.code.Text, want[:3]+" "+want[3:]) {
		t.Errorf("code line %q does not show %s", v.code.Text, want)
	}
}

func TestSettingsSaveWritesSecretsOffTheUIGoroutineAndClearsTheFields(t *testing.T) {
	test.NewTempApp(t)
	d := testDeps()
	var savedCfg config.Config
	ui := &serialUI{}
	v := newSettingsView(config.Default(), testPaths, false, d, func(c config.Config, _ bool) error { savedCfg = c; return nil }, nil)
	v.do = ui.do
	test.Type(v.dir, "/home/ann/clientportal.gw")
	test.Type(v.username, "ann")
	test.Type(v.password, "hunter2")
	test.Type(v.totp, rfcSecret)
	ui.do(v.save)
	eventually(t, "credentials stored", func() bool {
		c, err := d.Secrets.Get(context.Background(), "default")
		return err == nil && c.Password == "hunter2" && c.TOTPSecret == rfcSecret
	})
	eventually(t, "password field cleared", func() bool {
		var empty bool
		ui.do(func() { empty = v.password.Text == "" && v.totp.Text == "" })
		return empty
	})
	if savedCfg.GatewayDir != "/home/ann/clientportal.gw" {
		t.Errorf("saved config %+v", savedCfg)
	}
	_ = time.Second
}

// Defect 2 of issue 8: new credentials saved in Settings must reach the
// keeper, which refuses the rejected ones until they change.
func TestSettingsSavingNewCredentialsTellsTheKeeperOnce(t *testing.T) {
	test.NewTempApp(t)
	d := testDeps()
	ui := &serialUI{}
	v := newSettingsView(config.Default(), testPaths, false, d, func(config.Config, bool) error { return nil }, nil)
	v.do = ui.do
	told := make(chan struct{}, 8)
	v.onCredentials = func() { told <- struct{}{} }
	test.Type(v.dir, "/home/ann/clientportal.gw")
	test.Type(v.username, "ann")
	test.Type(v.password, "hunter3")
	ui.do(v.save)
	select {
	case <-told:
	case <-time.After(5 * time.Second):
		t.Fatal("saving a new password did not tell the keeper")
	}
	eventually(t, "saved", func() bool {
		var done bool
		ui.do(func() { done = v.result.Text == "Saved." })
		return done
	})
	// The same credentials again change nothing: nothing to tell.
	ui.do(func() { v.password.SetText("hunter3") })
	ui.do(v.save)
	eventually(t, "saved again", func() bool {
		var done bool
		ui.do(func() { done = v.result.Text == "Saved." && v.password.Text == "" })
		return done
	})
	if n := len(told); n != 0 {
		t.Errorf("saving unchanged credentials told the keeper %d times", n)
	}
}

var testPaths = config.Paths{Profile: "default", ConfigFile: "/home/ann/.config/ibkr-tray/config.json"}
