package sim

import (
	"os"
	"testing"
)

// helperEnv makes the test binary run as the simulator (`ibkr-tray sim ...`)
// instead of the tests, so dist tests get a real process tree.
const helperEnv = "IBKR_TRAY_SIM_HELPER"

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "1" {
		args := os.Args[1:]
		if len(args) > 0 && args[0] == "sim" {
			args = args[1:]
		}
		os.Exit(Main(args))
	}
	os.Exit(m.Run())
}
