package secrets

import (
	"context"
	"errors"
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

func TestCredentialsStringHidesValues(t *testing.T) {
	s := testCreds().String()
	for _, secret := range []string{testPassword, pastedSecret, "trader1"} {
		if strings.Contains(s, secret) {
			t.Errorf("String() = %q shows %q", s, secret)
		}
	}
	if !(Credentials{Username: "u", Password: "p"}).Complete() || (Credentials{Username: "u"}).Complete() {
		t.Error("Complete should need both username and password")
	}
}
