package cli

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/ibkr-tray/ibkr-tray/gateway"
	"github.com/ibkr-tray/ibkr-tray/ui/config"
	"github.com/ibkr-tray/ibkr-tray/ui/profiles"
)

const profilesSynopsis = "profiles [list | add NAME | rename OLD NEW | remove NAME [--yes]]"

// stdin is where `profiles remove` reads the user's yes (tests replace it).
var stdin io.Reader = os.Stdin

// Profiles is `ibkr-tray profiles`: list the settings profiles, add,
// rename and remove them.
func Profiles(args []string) int {
	fs := flag.NewFlagSet("profiles", flag.ContinueOnError)
	fs.Usage = usage(fs, profilesSynopsis,
		"Lists the settings profiles: each one's gateway folder, port, status address\n"+
			"and whether it runs. A profile is one gateway with its own settings,\n"+
			"credentials and state; `ibkr-tray headless --profile A --profile B` runs\n"+
			"several in one process.\n\n"+
			"  add NAME          make a profile with the default settings and a status\n"+
			"                    address of its own; then choose its gateway folder\n"+
			"  rename OLD NEW    move its settings, logs, start-at-login entry and stored\n"+
			"                    credentials\n"+
			"  remove NAME       delete its settings, logs and stored credentials\n"+
			"                    (asks first; --yes does not)\n"+
			"Renaming and removing refuse while the profile runs.")
	yes := fs.Bool("yes", false, "with remove: do not ask")
	if err := fs.Parse(args); err != nil {
		return flagExit(err)
	}
	// --yes may follow the subcommand too: remove NAME --yes.
	var rest []string
	for _, a := range fs.Args() {
		if a == "--yes" || a == "-yes" {
			*yes = true
			continue
		}
		rest = append(rest, a)
	}
	sub := "list"
	if len(rest) > 0 {
		sub, rest = rest[0], rest[1:]
	}
	want := map[string]int{"list": 0, "add": 1, "rename": 2, "remove": 1}
	n, ok := want[sub]
	if !ok || len(rest) != n {
		fmt.Fprintf(os.Stderr, "Usage: ibkr-tray %s\n", profilesSynopsis)
		return 2
	}
	var err error
	switch sub {
	case "list":
		err = listProfiles(stdout)
	case "add":
		err = addProfile(stdout, rest[0])
	case "rename":
		err = renameProfile(stdout, rest[0], rest[1])
	case "remove":
		err = removeProfile(stdout, rest[0], *yes)
	}
	if err != nil {
		return fail(err)
	}
	return 0
}

func listProfiles(w io.Writer) error {
	names, err := profiles.List()
	if err != nil {
		return err
	}
	if len(names) == 0 {
		def, _ := config.PathsFor(config.DefaultProfile)
		fmt.Fprintf(w, "No profiles yet: the default one starts with the default settings (%s).\nAdd another with `ibkr-tray profiles add NAME`.\n", def.ConfigFile)
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PROFILE\tGATEWAY FOLDER\tPORT\tSTATUS ADDRESS\tRUNS")
	var all []profiles.Profile
	for _, name := range names {
		paths, err := config.PathsFor(name)
		if err != nil {
			return err
		}
		// Load, not Open: listing leaves a damaged file where it is.
		c, _, lerr := config.Load(paths.ConfigFile)
		dir, port := "(not chosen)", "-"
		if c.GatewayDir != "" {
			dir = c.GatewayDir
		}
		if c.GatewayURL != "" {
			dir, port = "(remote: "+c.GatewayURL+")", "-"
		} else if p := effectivePort(c); p > 0 {
			port = strconv.Itoa(p)
		}
		addr := c.StatusAddr
		if addr == "" {
			addr = config.DefaultStatusAddr
		}
		runs := "no"
		if r, _ := profiles.Running(paths); r {
			runs = "yes"
		}
		if lerr != nil {
			runs += " (settings unreadable: " + lerr.Error() + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", name, dir, port, addr, runs)
		all = append(all, profiles.Profile{Paths: paths, Config: c})
	}
	tw.Flush()
	if clashes := profiles.CheckApart(all); len(clashes) > 0 {
		fmt.Fprintf(w, "\nThese profiles cannot run at the same time:\n  %s\n", strings.Join(clashes, "\n  "))
	}
	return nil
}

// effectivePort is the port the profile's gateway listens on: its port
// setting, else its conf.yaml's (0 when neither is known).
func effectivePort(c config.Config) int {
	if c.Port != 0 {
		return c.Port
	}
	if c.GatewayDir == "" {
		return 0
	}
	d, err := gateway.CheckDist(c.GatewayDir)
	if err != nil {
		return 0
	}
	return d.Port
}

func addProfile(w io.Writer, name string) error {
	c, err := profiles.Add(name)
	if err != nil {
		return err
	}
	paths, _ := config.PathsFor(name)
	fmt.Fprintf(w, "Added the profile %q (settings: %s; status address %s).\n", name, paths.ConfigFile, c.StatusAddr)
	fmt.Fprintf(w, "Next: choose its gateway folder (gatewayDir in that file, or the tray's settings; the same folder as another profile works with another \"port\"), then store its credentials with `ibkr-tray secrets set --profile %s`.\n", name)
	return nil
}

func renameProfile(w io.Writer, from, to string) error {
	p, _, err := profiles.Open(from)
	if err != nil {
		return err
	}
	if err := profiles.Rename(from, to, profiles.StoreFor(p.Config)); err != nil {
		return err
	}
	fmt.Fprintf(w, "Renamed the profile %q to %q: its settings, logs, start-at-login entry and stored credentials moved.\n", from, to)
	fmt.Fprintf(w, "Start it with --profile %s from now on.\n", to)
	return nil
}

func removeProfile(w io.Writer, name string, yes bool) error {
	p, _, err := profiles.Open(name)
	if err != nil {
		return err
	}
	if _, err := os.Stat(p.Paths.ConfigFile); err != nil {
		return fmt.Errorf("there is no profile named %q (no settings file %s); `ibkr-tray profiles` lists them", name, p.Paths.ConfigFile)
	}
	store := profiles.StoreFor(p.Config)
	if !yes {
		fmt.Fprintf(w, "Remove the profile %q: its settings (%s), its logs (%s) and its credentials in %s? [y/N] ", name, p.Paths.ConfigFile, p.Paths.StateDir, store.Where())
		line, _ := bufio.NewReader(stdin).ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(line)); a != "y" && a != "yes" {
			fmt.Fprintln(w, "Nothing was removed.")
			return nil
		}
	}
	if err := profiles.Remove(name, store); err != nil {
		return err
	}
	fmt.Fprintf(w, "Removed the profile %q.\n", name)
	return nil
}
