// Package simtest lets tests run the simulator as a gateway distribution,
// with the test binary itself playing the simulator when run.sh starts it
// (os/exec's own tests do the same). The simulator package cannot hold this:
// it ships in the app and imports no testing package.
package simtest

import (
	"os"
	"testing"

	"github.com/ibkr-tray/ibkr-tray/gateway/sim"
)

// ChildEnv, set to "sim" in run.sh's environment (it inherits the
// supervisor's), makes the test binary run as `ibkr-tray sim`.
const ChildEnv = "IBKR_TRAY_TEST_CHILD"

// ChildEnvVar is ChildEnv=sim, for gateway.Config.Env or exec.Cmd.Env.
const ChildEnvVar = ChildEnv + "=sim"

// RunChild turns the test binary into the simulator when run.sh started
// it; call it first in TestMain.
func RunChild() {
	if os.Getenv(ChildEnv) == "sim" {
		os.Exit(sim.Main(os.Args[2:]))
	}
}

// Dist writes a simulator distribution listening on port whose bin/run.sh
// runs this test binary as the simulator, and returns its folder.
func Dist(t testing.TB, port int, o sim.Options) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := sim.WriteDist(dir, sim.DistOptions{Port: port, SSL: true, Command: []string{exe, "sim"}, Options: o}); err != nil {
		t.Fatal(err)
	}
	return dir
}

// FreeDist is Dist on a free loopback port, which it returns too.
func FreeDist(t testing.TB, o sim.Options) (dir string, port int) {
	t.Helper()
	port, err := sim.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return Dist(t, port, o), port
}
