package withtray

import (
	"bytes"
	"debug/elf"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ibkr-tray/ibkr-tray/ui/version"
)

// TestCgoFreeBuildIsStaticAndHasEveryCommandButTheTray builds ibkr-tray
// with CGO_ENABLED=0, as `make headless` does, and checks what a server
// or container user meets: a static executable, every command, a clear
// refusal of the tray, and a headless demo whose gateway (the simulator,
// started by the same binary) comes up and which stops cleanly on SIGTERM.
func TestCgoFreeBuildIsStaticAndHasEveryCommandButTheTray(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	if runtime.GOOS != "linux" {
		t.Skip("checks a Linux ELF executable")
	}
	bin := filepath.Join(t.TempDir(), "ibkr-tray")
	buildCgoFree(t, bin)

	t.Run("static", func(t *testing.T) { assertStatic(t, bin) })
	t.Run("help lists every command", func(t *testing.T) {
		out, code := run(t, bin, "help")
		if code != 0 {
			t.Fatalf("help: exit %d\n%s", code, out)
		}
		for _, name := range []string{"headless", "status", "login", "logout", "secrets", "sim", "version"} {
			if !strings.Contains(out, "\n  "+name+" ") {
				t.Errorf("help does not list %s:\n%s", name, out)
			}
			if out, code := run(t, bin, name, "-h"); code != 0 {
				t.Errorf("%s -h: exit %d\n%s", name, code, out)
			}
		}
	})
	t.Run("no tray", func(t *testing.T) {
		out, code := run(t, bin)
		if code != 2 || !strings.Contains(out, "this build has no tray app") || !strings.Contains(out, "ibkr-tray headless") {
			t.Errorf("exit %d, output %q; want 2 and a pointer to headless", code, out)
		}
	})
	t.Run("version", func(t *testing.T) {
		for _, args := range [][]string{{"--version"}, {"version"}} {
			out, code := run(t, bin, args...)
			if want := "ibkr-tray " + version.Number + " ("; code != 0 || !strings.HasPrefix(out, want) || !strings.Contains(out, "without cgo: no tray") {
				t.Errorf("%v: exit %d, %q; want 0 and %q... without cgo", args, code, out, want)
			}
		}
	})
	t.Run("headless demo", func(t *testing.T) { headlessDemo(t, bin) })
}

// buildCgoFree builds ibkr-tray as `make headless` does, into bin.
func buildCgoFree(t *testing.T, bin string) {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build with")
	}
	build := exec.Command(goTool, "build", "-o", bin, ".")
	build.Dir = filepath.Join("..", "..")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("CGO_ENABLED=0 go build: %v\n%s", err, out)
	}
}

// assertStatic checks that the executable names no program interpreter
// (ld.so) and no shared library: what `file` calls statically linked and
// `ldd` "not a dynamic executable".
func assertStatic(t *testing.T, bin string) {
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("the executable has a %v program header: it is dynamically linked", p.Type)
		}
	}
	libs, err := f.ImportedLibraries()
	if err != nil {
		t.Fatal(err)
	}
	if len(libs) > 0 {
		t.Errorf("the executable needs shared libraries %v", libs)
	}
}

// run runs the binary with a private home and returns its output and exit
// status.
func run(t *testing.T, bin string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = privateEnv(t)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return string(out), exit.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(out), 0
}

// privateEnv keeps the binary away from the user's settings, state,
// keyring and session bus.
func privateEnv(t *testing.T) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "IBKR_TRAY_") {
			env = append(env, kv)
		}
	}
	return append(env, "XDG_CONFIG_HOME="+t.TempDir(), "XDG_STATE_HOME="+t.TempDir(),
		"XDG_RUNTIME_DIR="+t.TempDir(), "DBUS_SESSION_BUS_ADDRESS=disabled:")
}

// headlessDemo runs `headless --demo` until the status endpoint reports
// the simulated gateway running, then stops it with SIGTERM.
func headlessDemo(t *testing.T, bin string) {
	addr := freeAddr(t)
	var stderr bytes.Buffer
	cmd := exec.Command(bin, "headless", "--demo", "--fault-every", "0", "--status-addr", addr)
	cmd.Env, cmd.Stderr = privateEnv(t), &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-exited
		}
	}()

	deadline := time.Now().Add(60 * time.Second)
	var last string
	for {
		last = gatewayState(addr)
		if last == "Running" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the demo's gateway is %q after 60s, want Running; its log:\n%s", last, &stderr)
		}
		select {
		case err := <-exited:
			t.Fatalf("headless --demo exited (%v) before its gateway ran; its log:\n%s", err, &stderr)
		case <-time.After(100 * time.Millisecond):
		}
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("headless --demo after SIGTERM: %v, want exit 0; its log:\n%s", err, &stderr)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("headless --demo still runs 30s after SIGTERM; its log:\n%s", &stderr)
	}
}

// gatewayState is .gateway.state of GET /status, or what went wrong.
func gatewayState(addr string) string {
	resp, err := http.Get("http://" + addr + "/status")
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	var st struct {
		Gateway struct{ State string } `json:"gateway"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		return fmt.Sprintf("undecodable status (%v)", err)
	}
	return st.Gateway.State
}

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
