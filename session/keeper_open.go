package session

import (
	"fmt"
	"os/exec"
	"runtime"
)

// openInBrowser opens url in the user's default browser. The URL is the
// gateway's login page: no secret is ever passed here.
func openInBrowser(url string) error {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.Command("open", url)
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", url)
	default:
		cmd = exec.Command("xdg-open", url)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("could not open a web browser (%v); open %s in your browser yourself", err, url)
	}
	go cmd.Wait() //nolint:errcheck // the opener's exit says nothing about the login
	return nil
}
