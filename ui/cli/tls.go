package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/ibkr-tray/ibkr-tray/gateway"
	"github.com/ibkr-tray/ibkr-tray/gateway/localca"
	"github.com/ibkr-tray/ibkr-tray/ui/config"
)

// TLS is `ibkr-tray tls setup`: it makes (or renews) the local certificate
// authority and the gateway's certificate, writes the gateway's keystore,
// and says how programs verify the gateway with the CA file.
func TLS(args []string) int {
	return runTLS(args, os.Stdout, os.Stderr, time.Now)
}

func runTLS(args []string, stdout, stderr io.Writer, now func() time.Time) int {
	fs := flag.NewFlagSet("tls", flag.ContinueOnError)
	fs.SetOutput(stderr)
	profile := fs.String("profile", config.DefaultProfile, "settings `profile` whose gateway gets the certificate")
	dir := fs.String("gateway-dir", "", "the gateway `folder` (default: gatewayDir in the profile's settings)")
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: ibkr-tray tls setup [--profile P] [--gateway-dir DIR]

Makes a local certificate authority in the profile's state folder, a
certificate for localhost, 127.0.0.1 and ::1 signed by it, and a keystore
the gateway serves it from (root/`+localca.KeystoreName+`, named with its random
password in root/`+gateway.PortConf+`; your conf.yaml is not changed). Run
it again to renew the certificate: it is replaced when less than 30 days
are left. Programs then verify the gateway with the CA file it prints.

Flags:
`)
		fs.PrintDefaults()
	}
	if len(args) == 0 || args[0] != "setup" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			fs.Usage()
			return 0
		}
		fmt.Fprintln(stderr, "ibkr-tray tls: say what to do: ibkr-tray tls setup (see ibkr-tray tls -h)")
		return 2
	}
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "ibkr-tray tls setup: unexpected argument %q; see ibkr-tray tls -h\n", fs.Arg(0))
		return 2
	}
	if err := tlsSetup(*profile, *dir, stdout, stderr, now()); err != nil {
		fmt.Fprintln(stderr, "ibkr-tray tls setup:", err)
		return 1
	}
	return 0
}

func tlsSetup(profile, dir string, stdout, stderr io.Writer, now time.Time) error {
	paths, err := config.PathsFor(profile)
	if err != nil {
		return err
	}
	c, warnings, err := config.Load(paths.ConfigFile)
	if err != nil {
		return err
	}
	for _, w := range warnings {
		fmt.Fprintln(stderr, "ibkr-tray tls setup:", w)
	}
	if dir == "" {
		dir = c.GatewayDir
	}
	if dir == "" {
		return fmt.Errorf("no gateway folder is configured; pass --gateway-dir DIR or set gatewayDir in %s", paths.ConfigFile)
	}
	d, err := gateway.CheckDist(dir)
	if err != nil {
		return err
	}
	res, err := localca.Setup(paths.StateDir, filepath.Join(d.Dir, "root"), now)
	if err != nil {
		return err
	}
	if err := checkKeystore(res, now); err != nil {
		return fmt.Errorf("the keystore just written does not serve a certificate the CA vouches for (%v); this is a bug in ibkr-tray, please report it", err)
	}
	port := c.Port
	if port == 0 {
		port = d.Port
	}
	conf, err := gateway.WriteProfileOverlay(d, paths.Profile, port, &gateway.Keystore{File: localca.KeystoreName, Password: res.Password})
	if err != nil {
		return err
	}
	describeTLSSetup(stdout, res, d, conf, port, c.LocalCA, paths.ConfigFile)
	return nil
}

// checkKeystore opens the keystore as the gateway will and checks its
// certificate against the CA for every loopback name.
func checkKeystore(res localca.Result, now time.Time) error {
	cert, err := localca.LoadKeystore(res.Keystore, res.Password)
	if err != nil {
		return err
	}
	caPEM, err := os.ReadFile(res.CAFile)
	if err != nil {
		return err
	}
	return localca.Verify(caPEM, cert.Leaf, now)
}

func describeTLSSetup(w io.Writer, res localca.Result, d gateway.Dist, conf string, port int, enabled bool, configFile string) {
	switch {
	case res.NewCA:
		fmt.Fprintf(w, "Made a local certificate authority and a certificate for localhost, 127.0.0.1 and ::1, valid until %s.\n", res.NotAfter.Format("2 January 2006"))
	case res.Renewed:
		fmt.Fprintf(w, "Renewed the gateway's certificate; it is valid until %s.\n", res.NotAfter.Format("2 January 2006"))
	default:
		fmt.Fprintf(w, "The gateway's certificate is valid until %s; it is renewed by this command when less than 30 days are left.\n", res.NotAfter.Format("2 January 2006"))
	}
	fmt.Fprintf(w, "Wrote the gateway's keystore %s and %s (conf.yaml is unchanged).\n", res.Keystore, filepath.Join(d.Dir, conf))
	fmt.Fprintf(w, "\nThe CA file: %s\n", res.CAFile)
	base := "https://localhost:" + strconv.Itoa(port)
	fmt.Fprintf(w, "Your programs verify the gateway with it:\n")
	fmt.Fprintf(w, "  curl --cacert %s %s/v1/api/tickle\n", res.CAFile, base)
	fmt.Fprintf(w, "  Python: requests.post(\"%s/v1/api/tickle\", verify=\"%s\")\n", base, res.CAFile)
	if res.NewCA {
		fmt.Fprintln(w, "This is a new CA: give programs that had an older ca.pem this one.")
	}
	if !enabled {
		fmt.Fprintf(w, "\nTo have ibkr-tray run the gateway with it, set \"localCA\": true in %s and restart ibkr-tray.\n", configFile)
	} else {
		fmt.Fprintln(w, "\nRestart ibkr-tray (or the gateway) for the gateway to serve the new keystore.")
	}
}
