package secrets

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	testPassword = "correct horse battery"
	pastedSecret = "jbsw y3dp-ehpk 3pxp"
	cleanSecret  = "JBSWY3DPEHPK3PXP"
)

func testCreds() Credentials {
	return Credentials{Username: "trader1", Password: testPassword, TOTPSecret: pastedSecret}
}

// stores returns every store that needs no desktop, fresh.
func stores(t *testing.T) map[string]Store {
	return map[string]Store{
		"file":   File(filepath.Join(t.TempDir(), "secrets.json")),
		"memory": Memory(Credentials{}),
	}
}

func TestStoresRoundTripAndNormaliseTheTOTPSecret(t *testing.T) {
	ctx := context.Background()
	for name, s := range stores(t) {
		t.Run(name, func(t *testing.T) {
			if err := s.Set(ctx, "default", testCreds()); err != nil {
				t.Fatalf("Set: %v", err)
			}
			got, err := s.Get(ctx, "default")
			if err != nil {
				t.Fatalf("Get: %v", err)
			}
			want := Credentials{Username: "trader1", Password: testPassword, TOTPSecret: cleanSecret}
			if got != want {
				t.Errorf("Get = %+v, want %+v", got, want)
			}
			if err := s.Delete(ctx, "default"); err != nil {
				t.Fatalf("Delete: %v", err)
			}
			if _, err := s.Get(ctx, "default"); !errors.Is(err, ErrNotFound) {
				t.Errorf("Get after Delete: err = %v, want ErrNotFound", err)
			}
		})
	}
}

func TestSetRejectsBadCredentialsWithASentence(t *testing.T) {
	cases := []struct {
		name   string
		c      Credentials
		phrase string
	}{
		{"secret with a digit base32 never uses", Credentials{"u", "p", "JBSWY3DPEHPK3PX1"}, "not one of the letters A-Z"},
		{"secret with punctuation", Credentials{"u", "p", "JBSWY3DP!HPK3PXP"}, "character 9"},
		{"secret too short", Credentials{"u", "p", "JBSWY3DP"}, "too short"},
		{"secret of an impossible length", Credentials{"u", "p", "JBSWY3DPEHPK3PXPJ"}, "length"},
		{"empty username", Credentials{" ", "p", ""}, "username is empty"},
		{"empty password", Credentials{"u", "", ""}, "password is empty"},
	}
	ctx := context.Background()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "secrets.json")
			s := File(path)
			err := s.Set(ctx, "default", tc.c)
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Set: err = %v, want ErrInvalid", err)
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.phrase) || !strings.HasSuffix(msg, ".") {
				t.Errorf("message %q should be a sentence containing %q", msg, tc.phrase)
			}
			if tc.c.TOTPSecret != "" && strings.Contains(msg, tc.c.TOTPSecret) {
				t.Errorf("message %q repeats the secret", msg)
			}
			if _, err := os.Stat(path); err == nil {
				t.Errorf("a rejected Set wrote the file")
			}
		})
	}
}

func TestFileRefusesAFileOthersCanRead(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		mode os.FileMode
		ok   bool
	}{
		{0o600, true}, {0o400, true}, {0o644, false}, {0o640, false}, {0o604, false}, {0o660, false},
	}
	for _, tc := range cases {
		t.Run(tc.mode.String(), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "secrets.json")
			if err := File(path).Set(ctx, "default", testCreds()); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tc.mode); err != nil {
				t.Fatal(err)
			}
			_, err := File(path).Get(ctx, "default")
			if tc.ok {
				if err != nil {
					t.Fatalf("Get with mode %v: %v", tc.mode, err)
				}
				return
			}
			if !errors.Is(err, ErrInsecureFile) {
				t.Fatalf("Get with mode %v: err = %v, want ErrInsecureFile", tc.mode, err)
			}
			if !strings.Contains(err.Error(), "chmod 600") {
				t.Errorf("message %q should say how to fix it", err)
			}
			if err := File(path).Set(ctx, "default", testCreds()); !errors.Is(err, ErrInsecureFile) {
				t.Errorf("Set with mode %v: err = %v, want ErrInsecureFile", tc.mode, err)
			}
		})
	}
}

func TestFileIsCreatedPrivateAndKeepsOtherProfiles(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "secrets.json")
	s := File(path)
	other := Credentials{Username: "paperuser", Password: "pw2"}
	if err := s.Set(ctx, "paper", other); err != nil {
		t.Fatal(err)
	}
	if err := s.Set(ctx, "default", testCreds()); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("new secrets file has mode %04o, want 0600", perm)
	}
	if err := s.Delete(ctx, "default"); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(ctx, "paper")
	if err != nil || got != other {
		t.Errorf("Get(paper) = %+v, %v; want %+v", got, err, other)
	}
}

func TestFileErrorsNeverQuoteTheContent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secrets.json")
	if err := os.WriteFile(path, []byte(`{"profiles": {"default": {"password": "`+testPassword+`" oops`), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := File(path).Get(context.Background(), "default")
	if err == nil {
		t.Fatal("a broken file was read without error")
	}
	if strings.Contains(err.Error(), testPassword) || strings.Contains(err.Error(), "oops") {
		t.Errorf("error %q quotes the file's content", err)
	}
}

func TestMissingEntriesAreErrNotFoundSentences(t *testing.T) {
	ctx := context.Background()
	cases := map[string]Store{
		"file that does not exist":   File(filepath.Join(t.TempDir(), "none.json")),
		"memory without credentials": Memory(Credentials{}),
	}
	path := filepath.Join(t.TempDir(), "secrets.json")
	if err := File(path).Set(ctx, "other", testCreds()); err != nil {
		t.Fatal(err)
	}
	cases["file without the profile"] = File(path)
	for name, s := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := s.Get(ctx, "default")
			if !errors.Is(err, ErrNotFound) {
				t.Fatalf("err = %v, want ErrNotFound", err)
			}
			if !strings.HasSuffix(err.Error(), ".") {
				t.Errorf("message %q is not a sentence", err)
			}
			if err := s.Delete(ctx, "default"); !errors.Is(err, ErrNotFound) {
				t.Errorf("Delete: err = %v, want ErrNotFound", err)
			}
		})
	}
}

func TestCredentialsNeverShowTheirValues(t *testing.T) {
	c := testCreds()
	type embedding struct {
		Credentials
		Note string
	}
	type holding struct {
		Profile string
		Creds   Credentials
	}
	shown := map[string]string{}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d", "%10.3v"} {
		shown["fmt "+verb] = fmt.Sprintf(verb, c)
		shown["fmt "+verb+" of a pointer"] = fmt.Sprintf(verb, &c)
		shown["fmt "+verb+" of a struct embedding it"] = fmt.Sprintf(verb, embedding{c, "note"})
		shown["fmt "+verb+" of a struct holding it"] = fmt.Sprintf(verb, holding{"default", c})
	}
	shown["fmt Println"] = fmt.Sprintln(c, &c)
	logWith := func(name string, h func(io.Writer) slog.Handler) {
		for what, v := range map[string]any{"value": c, "pointer": &c, "struct embedding it": embedding{c, "note"}} {
			var b bytes.Buffer
			slog.New(h(&b)).Info("login", "creds", v)
			shown["slog "+name+" handler, "+what] = b.String()
		}
	}
	logWith("text", func(w io.Writer) slog.Handler { return slog.NewTextHandler(w, nil) })
	logWith("JSON", func(w io.Writer) slog.Handler { return slog.NewJSONHandler(w, nil) })

	for how, out := range shown {
		for _, secret := range []string{testPassword, pastedSecret, "trader1", "correct", "horse"} {
			if strings.Contains(out, secret) {
				t.Errorf("%s shows %q: %s", how, secret, out)
			}
		}
		if !strings.Contains(out, "stored") {
			t.Errorf("%s = %q; want it to say the values are stored", how, out)
		}
	}
	if got := fmt.Sprintf("%#v", Credentials{Username: "u"}); got != "secrets.Credentials{Username: stored, Password: none, TOTPSecret: none}" {
		t.Errorf("%%#v = %s", got)
	}
	if !(Credentials{Username: "u", Password: "p"}).Complete() || (Credentials{Username: "u"}).Complete() {
		t.Error("Complete should need both username and password")
	}
}

func TestFileRefusesASymbolicLink(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	real := filepath.Join(dir, "real.json")
	if err := File(real).Set(ctx, "default", testCreds()); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(real)
	for _, tc := range []struct{ name, target string }{
		{"a link to a private file", real},
		{"a link to nothing", filepath.Join(dir, "missing.json")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			link := filepath.Join(t.TempDir(), "secrets.json")
			if err := os.Symlink(tc.target, link); err != nil {
				t.Skipf("cannot make a symbolic link here: %v", err)
			}
			_, err := File(link).Get(ctx, "default")
			if !errors.Is(err, ErrInsecureFile) {
				t.Fatalf("Get through a link: err = %v, want ErrInsecureFile", err)
			}
			for _, want := range []string{"symbolic link", tc.target, "Name the file itself"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("message %q lacks %q", err, want)
				}
			}
			if err := File(link).Set(ctx, "default", Credentials{Username: "u", Password: "p"}); !errors.Is(err, ErrInsecureFile) {
				t.Errorf("Set through a link: err = %v, want ErrInsecureFile", err)
			}
			if err := File(link).Delete(ctx, "default"); !errors.Is(err, ErrInsecureFile) {
				t.Errorf("Delete through a link: err = %v, want ErrInsecureFile", err)
			}
			if after, _ := os.ReadFile(real); !bytes.Equal(after, before) {
				t.Error("the file behind the link was changed")
			}
			if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
				t.Error("the link was replaced")
			}
			if _, err := os.Lstat(filepath.Join(dir, "missing.json")); err == nil {
				t.Error("a file was created where the link points")
			}
		})
	}
}
