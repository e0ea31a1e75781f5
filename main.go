// Command ibkr-tray keeps an Interactive Brokers Client Portal Gateway running
// and logged in, from the system tray.
package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/ibkr-tray/ibkr-tray/gateway/sim"
	"github.com/ibkr-tray/ibkr-tray/ui/cli"
	"github.com/ibkr-tray/ibkr-tray/ui/withtray" // the Fyne tray, or a pointer to headless without cgo
)

// command is one subcommand: its name, a line for `help`, and its entry
// point, which parses its own flags and returns the exit status.
type command struct {
	name, summary string
	run           func(args []string) int
}

// commands is filled in init: `help` lists the table it is part of.
var commands []command

func init() {
	commands = []command{
		{"", withtray.Summary, withtray.Main},
		{"headless", "supervise the gateway and keep the session, with no GUI (servers, systemd)", cli.Headless},
		{"status", "print the running app's gateway and session status", cli.Status},
		{"login", "log in now (automated when credentials are stored, else in your browser)", cli.Login},
		{"logout", "end the session", cli.Logout},
		{"profiles", "list the settings profiles; add, rename or remove one", cli.Profiles},
		{"secrets", "store, check or delete the IBKR username, password and TOTP secret", cli.Secrets},
		{"tls", "`tls setup`: a local certificate authority, so your programs can verify the gateway's certificate", cli.TLS},
		{"version", "print the version (also --version)", cli.Version},
		{"sim", "run the gateway simulator (demo mode, testing trading bots); `sim dist DIR` writes a fake gateway folder", sim.Main},
		{"help", "list the commands", help},
	}
}

func main() {
	cli.RecordCrashes()
	name, args := "", os.Args[1:]
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	}
	if name == "" && len(args) == 1 && (args[0] == "--version" || args[0] == "-version") {
		name = "version" // the usual spelling of the command
	}
	for _, c := range commands {
		if c.name == name {
			os.Exit(c.run(args))
		}
	}
	fmt.Fprintf(os.Stderr, "ibkr-tray: unknown command %q\n\n", name)
	help(nil)
	os.Exit(2)
}

func help([]string) int {
	fmt.Println("Usage: ibkr-tray [command] [flags]   (each command takes -h)")
	fmt.Println()
	for _, c := range commands {
		name := c.name
		if name == "" {
			name = "(none)"
		}
		fmt.Printf("  %-9s %s\n", name, c.summary)
	}
	return 0
}
