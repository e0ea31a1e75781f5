package login

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
)

// browserNames are the Chromium-family browsers to log in with, by
// operating system, most likely first.
func browserNames(goos string) []string {
	switch goos {
	case "darwin":
		return []string{
			"/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
			"/Applications/Chromium.app/Contents/MacOS/Chromium",
			"/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge",
			"/Applications/Brave Browser.app/Contents/MacOS/Brave Browser",
		}
	case "windows":
		var names []string
		for _, env := range []string{"ProgramFiles", "ProgramFiles(x86)", "LocalAppData"} {
			base := os.Getenv(env)
			if base == "" {
				continue
			}
			names = append(names,
				filepath.Join(base, `Google\Chrome\Application\chrome.exe`),
				filepath.Join(base, `Chromium\Application\chrome.exe`),
				filepath.Join(base, `Microsoft\Edge\Application\msedge.exe`),
			)
		}
		return append(names, "chrome.exe", "msedge.exe")
	}
	return []string{
		"chromium", "chromium-browser", "google-chrome", "google-chrome-stable",
		"/snap/bin/chromium", "microsoft-edge", "brave-browser",
	}
}

// noBrowserHelp says what to install, by operating system.
func noBrowserHelp(goos string) string {
	switch goos {
	case "darwin":
		return "install Google Chrome or Chromium"
	case "windows":
		return "install Google Chrome or Microsoft Edge"
	}
	return "install the package chromium (Debian, Ubuntu, Fedora, Arch) or google-chrome-stable"
}

// FindBrowser returns the Chromium or Chrome to log in with, or a sentence
// saying what to install.
func FindBrowser() (string, error) {
	for _, name := range browserNames(runtime.GOOS) {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", &Error{Kind: NoBrowser, Msg: fmt.Sprintf(
		"No Chromium or Chrome browser was found to log in with; %s, or set the browser's path in the settings.",
		noBrowserHelp(runtime.GOOS))}
}

// browserPath checks the configured browser, or finds one.
func browserPath(configured string) (string, error) {
	if configured == "" {
		return FindBrowser()
	}
	p, err := exec.LookPath(configured)
	if err != nil {
		return "", &Error{Kind: NoBrowser, Msg: fmt.Sprintf(
			"The browser set in the settings (%s) cannot be run (%v); fix its path, clear it to use an installed Chromium or Chrome, or %s.",
			configured, unwrapExec(err), noBrowserHelp(runtime.GOOS))}
	}
	return p, nil
}

// unwrapExec drops exec's repetition of the name.
func unwrapExec(err error) error {
	if e, ok := err.(*exec.Error); ok {
		return e.Err
	}
	return err
}
