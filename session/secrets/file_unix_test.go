//go:build !windows

package secrets

import (
	"os"
	"path/filepath"
	"testing"
)

// A link swapped in after read's Lstat is still not followed: the open
// itself refuses it.
func TestOpenNoFollowRefusesALink(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real.json")
	if err := os.WriteFile(real, []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.json")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	if f, err := openNoFollow(link); !isSymlinkError(err) {
		if f != nil {
			f.Close()
		}
		t.Fatalf("openNoFollow(link): err = %v, want a symlink error", err)
	}
	f, err := openNoFollow(real)
	if err != nil {
		t.Fatalf("openNoFollow(file): %v", err)
	}
	f.Close()
}
