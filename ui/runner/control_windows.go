package runner

import (
	"fmt"
	"os"
)

// makePrivate checks that dir is a folder. Its privacy comes from where it
// is: under %LocalAppData%, whose access list admits only the user, the
// system and administrators, and which new folders inherit. File modes
// mean nothing to Windows.
func makePrivate(dir string) error {
	info, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("cannot check the folder of the control socket %s: %w", dir, err)
	}
	if !info.IsDir() {
		return fmt.Errorf("%s should be a folder for ibkr-tray's control socket but is a link or a file; remove it and start again", dir)
	}
	return nil
}

// privateSocket does nothing: the socket inherits the folder's access list.
func privateSocket(string) error { return nil }
