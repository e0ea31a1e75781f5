//go:build !darwin && !windows

package autostart

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// autostartFile is $XDG_CONFIG_HOME/autostart/NAME.desktop.
func (a Entry) autostartFile() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("cannot find your settings folder for the autostart entry: %w", err)
	}
	return filepath.Join(dir, "autostart", a.name()+".desktop"), nil
}

func (a Entry) installed() bool {
	path, err := a.autostartFile()
	if err != nil {
		return false
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	// Desktops switch an entry off with Hidden=true or
	// X-GNOME-Autostart-enabled=false rather than deleting it.
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		switch strings.TrimSpace(sc.Text()) {
		case "Hidden=true", "X-GNOME-Autostart-enabled=false":
			return false
		}
	}
	return true
}

func (a Entry) install() error {
	path, err := a.autostartFile()
	if err != nil {
		return err
	}
	args, err := a.args()
	if err != nil {
		return err
	}
	quoted := make([]string, len(args))
	for i, s := range args {
		quoted[i] = desktopQuote(s)
	}
	entry := "[Desktop Entry]\n" +
		"Type=Application\n" +
		"Name=ibkr-tray\n" +
		"Comment=Keeps the IBKR Client Portal Gateway running and logged in\n" +
		"Exec=" + strings.Join(quoted, " ") + "\n" +
		"Icon=" + DesktopEntryID + "\n" +
		"Terminal=false\n" +
		"X-GNOME-Autostart-enabled=true\n"
	return writeEntry(path, "the autostart entry", []byte(entry))
}

func (a Entry) remove() error {
	path, err := a.autostartFile()
	if err != nil {
		return err
	}
	return removeEntry(path, "the autostart entry")
}

// desktopQuote quotes an Exec argument as the Desktop Entry spec asks.
func desktopQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n\"'\\><~|&;$*?#()`%=") {
		return s
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "`", "\\`", `$`, `\$`, `%`, `%%`)
	return `"` + r.Replace(s) + `"`
}
