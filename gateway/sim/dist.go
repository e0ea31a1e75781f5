package sim

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
)

// DistOptions describe a simulator laid out as a gateway distribution.
type DistOptions struct {
	// Port is listenPort in conf.yaml; 0 means 5000 (use FreePort in tests).
	Port int
	// SSL is listenSsl in conf.yaml. Set it true for the real default: false
	// makes the simulator serve plain HTTP.
	SSL bool
	// Command is the argv run.sh runs, with "--main-class
	// ibgroup.web.core.clientportal.gw.GatewayStart --conf root/conf.yaml"
	// appended; nil means {os.Executable(), "sim"}.
	Command []string
	// Options are written to root/sim.json (mode 0600: it holds passwords
	// and TOTP secrets). Main uses a TermDelay of 2 s here, like java.
	Options Options
}

// GatewayMainClass is the real gateway's Java main class. Tools find the
// gateway's process by it in the command line, so run.sh passes it to the
// simulator as a harmless --main-class argument.
const GatewayMainClass = "ibgroup.web.core.clientportal.gw.GatewayStart"

// Marker is the file whose presence says a distribution is the simulator.
const Marker = "root/SIMULATOR"

// WriteDist writes a distribution to dir that starts like the real one
// (bin/run.sh root/conf.yaml from dir) but runs the simulator:
//
//	bin/run.sh      bash; cd to dir; runs Command --main-class GatewayMainClass
//	                --conf root/conf.yaml as a child
//	root/conf.yaml  real-shaped gateway configuration
//	root/sim.json   the simulator settings, mode 0600
//	root/SIMULATOR  the marker
//
// logs/ is made by the simulator when it runs.
func WriteDist(dir string, o DistOptions) error {
	if o.Port == 0 {
		o.Port = 5000
	}
	return writeDist(dir, o)
}

// writeDist is WriteDist with o.Port as is (0: any free port when run).
func writeDist(dir string, o DistOptions) error {
	cmd := o.Command
	if len(cmd) == 0 {
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("cannot find this program to put in run.sh: %w", err)
		}
		cmd = []string{exe, "sim"}
	}
	for _, d := range []string{"bin", "root"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return fmt.Errorf("cannot make the distribution folder: %w", err)
		}
	}
	st := toSettings(o.Options)
	simJSON, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	files := []struct {
		path string
		mode os.FileMode
		data []byte
	}{
		{"bin/run.sh", 0o755, []byte(runScript(cmd))},
		{"root/conf.yaml", 0o644, []byte(confYAML(o.Port, o.SSL, o.Options.withFallbacks()))},
		{"root/sim.json", 0o600, append(simJSON, '\n')},
		{Marker, 0o644, []byte("This gateway distribution is the ibkr-tray simulator; it needs no Java.\n")},
	}
	for _, f := range files {
		if err := writeFileMode(filepath.Join(dir, f.path), f.data, f.mode); err != nil {
			return fmt.Errorf("cannot write the distribution: %w", err)
		}
	}
	return nil
}

// writeFileMode writes data with exactly mode, also over an existing file.
func writeFileMode(path string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// runScript is bin/run.sh. Like the real one it does not exec: the process
// tree is bash -> simulator, and a SIGTERM to bash alone leaves the
// simulator running. The trailing exit keeps bash from exec'ing the last
// command as an optimisation.
func runScript(cmd []string) string {
	quoted := make([]string, len(cmd))
	for i, a := range cmd {
		quoted[i] = shellQuote(a)
	}
	return `#!/bin/bash
# Client Portal Gateway simulator (ibkr-tray), started like the real gateway:
#   bin/run.sh root/conf.yaml
cd "$(dirname "$0")/.." || exit 1
config_file="${1:-root/conf.yaml}"
echo "running  "
echo " runtime path : ibkr-tray simulator"
echo " config file  : $config_file"
` + strings.Join(quoted, " ") + ` --main-class ` + GatewayMainClass + ` --conf "$config_file"
exit $?
`
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// confYAML is root/conf.yaml with the real file's keys, 4-space indented.
func confYAML(port int, ssl bool, o Options) string {
	return fmt.Sprintf(`ip2loc: %q
proxyRemoteSsl: true
proxyRemoteHost: "https://api.ibkr.com"
listenPort: %d
listenSsl: %t
ccp: false
svcEnvironment: "v1"
sslCert: "vertx.jks"
sslPwd: "mywebapi"
authDelay: %d
portalBaseURL: ""
serverOptions:
    blockedThreadCheckInterval: 1000000
    eventLoopPoolSize: 20
    workerPoolSize: 20
    maxWorkerExecuteTime: 100
    internalBlockingPoolSize: 20
cors:
    origin.allowed: "*"
    allowCredentials: false
webApps:
    -   name: "demo"
        index: "index.html"
ips:
    allow:
        - 192.*
        - 131.216.*
        - 127.0.0.1
    deny:
        - 212.90.324.10
`, o.IP2Loc, port, ssl, o.AuthDelay.Milliseconds())
}

// FreePort asks the system for a free loopback port, for a conf.yaml that
// needs a fixed one. Another program may take it before it is used.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
