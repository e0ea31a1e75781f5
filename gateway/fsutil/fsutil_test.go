package fsutil

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

func TestWriteFileReplacesWithTheModeAsked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(path, []byte("new"), 0o600); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil || string(b) != "new" {
		t.Fatalf("after WriteFile: %q, %v", b, err)
	}
	if runtime.GOOS != "windows" {
		if info, _ := os.Stat(path); info.Mode().Perm() != 0o600 {
			t.Errorf("mode %v, want 0600", info.Mode().Perm())
		}
	}
	if left := leftovers(t, filepath.Dir(path)); len(left) != 1 {
		t.Errorf("the folder holds %v; want only config.json", left)
	}
}

// TestACrashBeforeTheRenameLeavesTheOldFile: the new content reached the
// disk under the temporary name, and the process died before renaming it
// (the hook stops there): the file still holds the old content, whole.
func TestACrashBeforeTheRenameLeavesTheOldFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(path, []byte(`{"gatewayDir": "/home/ann/clientportal.gw"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	crash := errors.New("crashed")
	var tmp string
	beforeRename = func(name string) error {
		tmp = name
		b, err := os.ReadFile(name)
		if err != nil || string(b) != `{"gatewayDir": ""}` {
			t.Errorf("the temporary file holds %q, %v before the rename", b, err)
		}
		return crash
	}
	t.Cleanup(func() { beforeRename = func(string) error { return nil } })
	if err := WriteFile(path, []byte(`{"gatewayDir": ""}`), 0o600); !errors.Is(err, crash) {
		t.Fatalf("WriteFile = %v", err)
	}
	b, err := os.ReadFile(path)
	if err != nil || string(b) != `{"gatewayDir": "/home/ann/clientportal.gw"}` {
		t.Errorf("after a crash before the rename the file holds %q, %v; want the old content", b, err)
	}
	if filepath.Dir(tmp) != filepath.Dir(path) {
		t.Errorf("the temporary file %s is not in the file's folder (a rename across file systems is not atomic)", tmp)
	}
	if _, err := os.Stat(tmp); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the temporary file %s was left behind: %v", tmp, err)
	}
}

func TestWriteFileIntoAMissingFolderFails(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope", "x")
	if err := WriteFile(path, []byte("x"), 0o600); err == nil {
		t.Fatal("no error writing into a missing folder")
	}
}

func leftovers(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}
