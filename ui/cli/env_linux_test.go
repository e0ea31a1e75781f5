package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ibkr-tray/ibkr-tray/gateway"
)

// TestHeadlessRunsFromTheEnvironmentAlone: no settings file and no
// --gateway-dir, as in a container; a flag still beats its variable, and a
// password or username put in the environment is refused with a warning and kept from
// the gateway's environment.
func TestHeadlessRunsFromTheEnvironmentAlone(t *testing.T) {
	headlessEnv(t)
	dir, port := simDist(t)
	t.Setenv("IBKR_TRAY_GATEWAY_DIR", dir)
	t.Setenv("IBKR_TRAY_STATUS_ADDR", "0.0.0.0:5480") // refused if used: the flag must win
	t.Setenv("IBKR_TRAY_READY_TIMEOUT", "45s")
	t.Setenv("IBKR_TRAY_PASSWORD", "pw-from-the-environment")
	t.Setenv("IBKR_TRAY_USERNAME", "user-from-the-environment") // the gateway's own filter lets this one by
	h := startHeadless(t, "--status-addr", "127.0.0.1:0")
	var pid int
	poll(t, 20*time.Second, "the gateway Running", func() bool {
		st := h.r.Status().Gateway
		pid = st.PID
		return st.State == gateway.Running && st.Port == port
	})
	environ, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "environ"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(environ, []byte("IBKR_TRAY_GATEWAY_DIR=")) {
		t.Fatalf("the gateway's environment (pid %d) does not look inherited", pid)
	}
	for _, leak := range []string{"IBKR_TRAY_PASSWORD", "pw-from-the-environment", "IBKR_TRAY_USERNAME", "user-from-the-environment"} {
		if bytes.Contains(environ, []byte(leak)) {
			t.Errorf("the gateway's environment has %s", leak)
		}
	}
	h.stop()
	out := h.log.String()
	if !strings.Contains(out, "ibkr-tray headless: The environment variable IBKR_TRAY_PASSWORD is ignored") ||
		!strings.Contains(out, "ibkr-tray headless: The environment variable IBKR_TRAY_USERNAME is ignored") ||
		strings.Contains(out, "pw-from-the-environment") || strings.Contains(out, "user-from-the-environment") {
		t.Errorf("want the variable named and its value not shown:\n%s", out)
	}
}

func TestHeadlessNamesAnEnvironmentValueItCannotRead(t *testing.T) {
	headlessEnv(t)
	dir, _ := simDist(t)
	t.Setenv("IBKR_TRAY_PORT", "fivethousand")
	var out bytes.Buffer
	code := headless(t.Context(), []string{"--gateway-dir", dir}, &out, nil)
	want := `ibkr-tray headless: the environment variable IBKR_TRAY_PORT (the setting port) is "fivethousand", which is not a whole number; fix or unset it`
	if code != exitError || !strings.Contains(out.String(), want) {
		t.Errorf("exit %d, said %q; want %d and %q", code, out.String(), exitError, want)
	}
}

func TestSecretsUsesTheSecretsFileFromTheEnvironment(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir()) // no settings file
	file := filepath.Join(t.TempDir(), "from-env.json")
	t.Setenv("IBKR_TRAY_SECRETS_FILE", file)
	code, out, errs := runSecrets(t, "trader1\n"+cliPassword+"\n\n", "set")
	if code != 0 || !strings.Contains(out, file) {
		t.Fatalf("set: exit %d, out %q, stderr %q; want the file from IBKR_TRAY_SECRETS_FILE", code, out, errs)
	}
	if _, err := os.Stat(file); err != nil {
		t.Errorf("the secrets file was not written: %v", err)
	}
}
