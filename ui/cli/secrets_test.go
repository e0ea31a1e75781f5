package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ibkr-tray/ibkr-tray/session"
	"github.com/ibkr-tray/ibkr-tray/session/login"
	"github.com/ibkr-tray/ibkr-tray/ui/desktoptest"
)

const (
	cliPassword = "pa55-word-not-shown"
	cliSecret   = "jbsw y3dp-ehpk 3pxp jbsw y3dp ehpk 3pxp"
)

// runSecrets runs the command with stdin and returns its exit code and
// outputs.
func runSecrets(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errs bytes.Buffer
	code := secretsCommand(args, secretsIO{in: strings.NewReader(stdin), out: &out, errs: &errs, now: time.Now})
	return code, out.String(), errs.String()
}

func TestSecretsSetCheckDeleteWithAFile(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "secrets.json")

	code, out, errs := runSecrets(t, "trader1\n"+cliPassword+"\n"+cliSecret+"\n", "set", "--file", file, "--profile", "live")
	if code != 0 {
		t.Fatalf("set: exit %d, stderr %q", code, errs)
	}
	if !strings.Contains(out, "Stored the credentials of profile \"live\" in the secrets file "+file) {
		t.Errorf("set output %q should say where they went", out)
	}
	if info, err := os.Stat(file); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("secrets file: %v, %v; want mode 0600", info, err)
	}

	before := time.Now()
	code, out, errs = runSecrets(t, "", "check", "--file", file, "--profile", "live")
	after := time.Now()
	if code != 0 {
		t.Fatalf("check: exit %d, stderr %q", code, errs)
	}
	for _, secret := range []string{cliPassword, "JBSWY3DP", "jbsw", "trader1"} {
		if strings.Contains(out+errs, secret) {
			t.Errorf("check printed %q:\n%s", secret, out)
		}
	}
	for _, want := range []string{"username:     stored (7 chars)", "password:     stored (19 chars)", "TOTP secret:  stored (32 chars)"} {
		if !strings.Contains(out, want) {
			t.Errorf("check output lacks %q:\n%s", want, out)
		}
	}
	m := regexp.MustCompile(`current code: (\d{6}) \(for (\d+ seconds?|less than a second) more\)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("check output has no 6-digit code:\n%s", out)
	}
	c1, _, _, _ := login.Code(cliSecret, before)
	c2, _, _, _ := login.Code(cliSecret, after)
	if m[1] != c1 && m[1] != c2 {
		t.Errorf("check printed code %s, want %s (the stored secret's current code)", m[1], c1)
	}

	code, out, errs = runSecrets(t, "", "delete", "--file", file, "--profile", "live")
	if code != 0 || !strings.Contains(out, "Deleted") {
		t.Fatalf("delete: exit %d, out %q, stderr %q", code, out, errs)
	}
	code, _, errs = runSecrets(t, "", "check", "--file", file, "--profile", "live")
	if code != 1 || !strings.Contains(errs, "No credentials are stored for profile \"live\"") {
		t.Errorf("check after delete: exit %d, stderr %q; want 1 and a sentence", code, errs)
	}
}

func TestSecretsSetWithoutTOTPSecretAndCheckSaysNone(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "secrets.json")
	if code, _, errs := runSecrets(t, "paperuser\n"+cliPassword, "set", "--file", file); code != 0 {
		t.Fatalf("set: exit %d, stderr %q", code, errs)
	}
	code, out, _ := runSecrets(t, "", "check", "--file", file)
	if code != 0 || !strings.Contains(out, "TOTP secret:  none") || strings.Contains(out, "current code") {
		t.Errorf("check: exit %d, output:\n%s", code, out)
	}
}

func TestSecretsSetRefusesBadInputWithASentence(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, stdin, phrase string
	}{
		{"not base32", "u\np\nnot-a-secret-0189\n", "not a base32 activation code"},
		{"no password", "u\n", "input ended"},
		{"nothing", "", "input ended"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "secrets.json")
			code, _, errs := runSecrets(t, tc.stdin, "set", "--file", file)
			if code != 1 || !strings.Contains(errs, tc.phrase) {
				t.Errorf("exit %d, stderr %q; want 1 and %q", code, errs, tc.phrase)
			}
			if _, err := os.Stat(file); err == nil {
				t.Errorf("a refused set wrote the file")
			}
		})
	}
}

func TestSecretsRefusesAFileOthersCanRead(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "secrets.json")
	if err := os.WriteFile(file, []byte(`{"profiles":{}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errs := runSecrets(t, "", "check", "--file", file)
	if code != 1 || !strings.Contains(errs, "chmod 600") {
		t.Errorf("exit %d, stderr %q; want 1 and how to fix the mode", code, errs)
	}
}

func TestSecretsUsageErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		args []string
		exit int
	}{
		{"no action", nil, 2},
		{"unknown action", []string{"show"}, 2},
		{"unknown flag", []string{"check", "--bogus"}, 2},
		{"stray argument", []string{"check", "extra"}, 2},
		{"help", []string{"--help"}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := runSecrets(t, "", tc.args...)
			if code != tc.exit || !strings.Contains(out+errs, "secrets") {
				t.Errorf("exit %d (want %d), output %q %q", code, tc.exit, out, errs)
			}
		})
	}
}

func TestSecretsSetAndCheckInTheKeyring(t *testing.T) {
	bus := desktoptest.StartBus(t)
	desktoptest.StartKeyring(t, bus, "keyring-password")
	t.Setenv("XDG_CONFIG_HOME", t.TempDir()) // no settings: the keyring is used
	if code, out, errs := runSecrets(t, "trader1\n"+cliPassword+"\n"+cliSecret+"\n", "set"); code != 0 || !strings.Contains(out, "Secret Service") {
		t.Fatalf("set: exit %d, out %q, stderr %q", code, out, errs)
	}
	code, out, errs := runSecrets(t, "", "check")
	if code != 0 || !regexp.MustCompile(`current code: \d{6} `).MatchString(out) {
		t.Fatalf("check: exit %d, out %q, stderr %q", code, out, errs)
	}
	if strings.Contains(out, cliPassword) {
		t.Errorf("check printed the password")
	}
}

func TestSecretsCheckWithoutAKeyringSaysSo(t *testing.T) {
	desktoptest.StartBus(t) // no keyring on it
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	code, _, errs := runSecrets(t, "", "check")
	if code != 1 || !strings.Contains(errs, "No Secret Service is running") {
		t.Errorf("exit %d, stderr %q; want 1 and the missing service named", code, errs)
	}
}

func TestSecretsUsesTheSecretsFileFromTheSettings(t *testing.T) {
	home := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", home)
	file := filepath.Join(t.TempDir(), "from-settings.json")
	if err := os.MkdirAll(filepath.Join(home, "ibkr-tray"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, "ibkr-tray", "config.json"), []byte(`{"secretsFile": "`+file+`"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runSecrets(t, "trader1\n"+cliPassword+"\n\n", "set")
	if code != 0 || !strings.Contains(out, file) {
		t.Fatalf("set: exit %d, out %q, stderr %q; want the file from the settings", code, out, errs)
	}
	if _, err := os.Stat(file); err != nil {
		t.Errorf("the settings' secrets file was not written: %v", err)
	}
}

// Defect 2 of issue 8: after `secrets set` the running app must hear of
// the new credentials (it refuses the rejected ones until they change).
func TestSecretsSetTellsTheRunningApp(t *testing.T) {
	f, r := startFakeApp(t, inState(session.NeedsManualLogin))
	file := filepath.Join(t.TempDir(), "secrets.json")
	var out, errs bytes.Buffer
	var told []string
	tell := func(ctx context.Context, profile string) error {
		told = append(told, profile)
		return r.command(ctx, "credentials-changed")
	}
	code := secretsCommand([]string{"set", "--file", file, "--profile", "live"},
		secretsIO{in: strings.NewReader("trader1\n" + cliPassword + "\n\n"), out: &out, errs: &errs, now: time.Now, tell: tell})
	if code != 0 {
		t.Fatalf("set: exit %d, stderr %q", code, errs.String())
	}
	if strings.Join(told, ",") != "live" || strings.Join(f.commands, ",") != "/credentials-changed" {
		t.Errorf("told %v, posted %v; want profile live told once", told, f.commands)
	}
	if !strings.Contains(out.String(), "Told the running ibkr-tray") {
		t.Errorf("output %q", out.String())
	}
}

func TestSecretsSetWithNoAppRunningSaysItWillUseThemAtItsStart(t *testing.T) {
	file := filepath.Join(t.TempDir(), "secrets.json")
	var out, errs bytes.Buffer
	r := notRunning(t)
	tell := func(ctx context.Context, _ string) error { return r.command(ctx, "credentials-changed") }
	code := secretsCommand([]string{"set", "--file", file},
		secretsIO{in: strings.NewReader("trader1\n" + cliPassword + "\n\n"), out: &out, errs: &errs, now: time.Now, tell: tell})
	if code != 0 || errs.Len() != 0 {
		t.Fatalf("set: exit %d, stderr %q; no app running is no error", code, errs.String())
	}
	if !strings.Contains(out.String(), "ibkr-tray is not running; it will use them at its next start.") {
		t.Errorf("output %q", out.String())
	}
}

// TestSecretsSetChecksEachAnswerAtItsPromptAndAsksAgain: a bad answer was
// found only after all three prompts, and everything typed was lost. At a
// terminal each answer is checked as it is given and asked again.
func TestSecretsSetChecksEachAnswerAtItsPromptAndAsksAgain(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "secrets.json")
	var out, errs bytes.Buffer
	// empty username, then a good one; empty password, then a good one; a
	// bad secret, then a good one (spaces and lower case, as pasted).
	stdin := "\ntrader1\n\n" + cliPassword + "\nnot-a-secret-0189\n" + cliSecret + "\n"
	code := secretsCommand([]string{"set", "--file", file, "--profile", "t1"},
		secretsIO{in: strings.NewReader(stdin), out: &out, errs: &errs, now: time.Now, askAgain: true})
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errs.String())
	}
	for _, want := range []string{"The username is empty. Try again (2 of 3).", "The password is empty. Try again (2 of 3).",
		"not a base32 activation code", "Try again (2 of 3)."} {
		if !strings.Contains(errs.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, errs.String())
		}
	}
	if strings.Contains(errs.String()+out.String(), cliPassword) {
		t.Error("the password was printed")
	}
	if !strings.Contains(out.String(), "`ibkr-tray secrets check --profile t1`") {
		t.Errorf("the suggestion forgets the profile:\n%s", out.String())
	}
	code, checkOut, _ := runSecrets(t, "", "check", "--file", file, "--profile", "t1")
	if code != 0 || !strings.Contains(checkOut, "TOTP secret:  stored (32 chars)") {
		t.Errorf("check after the retries: exit %d\n%s", code, checkOut)
	}
}

func TestSecretsSetGivesUpAfterThreeTries(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "secrets.json")
	var out, errs bytes.Buffer
	code := secretsCommand([]string{"set", "--file", file},
		secretsIO{in: strings.NewReader("\n\n\nnever-read\n"), out: &out, errs: &errs, now: time.Now, askAgain: true})
	if code != 1 || !strings.Contains(errs.String(), "the username is empty") {
		t.Errorf("exit %d, stderr %q; want 1 and the reason", code, errs.String())
	}
	if n := strings.Count(errs.String(), "Try again"); n != 2 {
		t.Errorf("asked again %d times; want 2 (three tries)", n)
	}
}

func TestSecretsSetSuggestsCheckWithoutAProfileForTheDefault(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "secrets.json")
	code, out, errs := runSecrets(t, "trader1\n"+cliPassword+"\n"+cliSecret+"\n", "set", "--file", file)
	if code != 0 || !strings.Contains(out, "`ibkr-tray secrets check`") {
		t.Errorf("exit %d (%s), out %q", code, errs, out)
	}
}
