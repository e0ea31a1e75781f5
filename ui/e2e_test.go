package ui

import (
	"bufio"
	"encoding/json"
	"image"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ibkr-tray/ibkr-tray/ui/desktoptest"
)

// The end-to-end tests run the tray app (GLFW driver, real systray over
// D-Bus) as a child: the test binary re-run with childEnv set, since Fyne's
// driver must own the main goroutine, which only TestMain has. childEnv is
// "real" for the app as users run it (Main, the real runner; see
// e2e_sim_linux_test.go), "1" for the tray with a fake backend the parent
// drives over stdin (one JSON command a line), "bare" for a bare Fyne tray
// app (the benchmarks' baseline). The child reports on stdout ("SHOWN
// status", "CAPTURED menu <nil>", ...).
const childEnv = "IBKR_TRAY_E2E_CHILD"

// screenshotsEnv names a folder to write the screenshots to (docs/ when
// refreshing the committed ones); otherwise they go to a temp folder.
const screenshotsEnv = "IBKR_TRAY_SCREENSHOTS"

// simEnv marks processes of an end-to-end test: with it, `TESTBINARY sim
// ...` (what the simulator distribution's run.sh runs) is the simulator.
// The gateway inherits the tray's environment, so the argument, not the
// variable, tells the two apart.
const simEnv = "IBKR_TRAY_E2E_SIM"

func TestMain(m *testing.M) {
	if os.Getenv(simEnv) == "1" && len(os.Args) > 1 && os.Args[1] == "sim" {
		os.Exit(simChild(os.Args[2:]))
	}
	switch os.Getenv(childEnv) {
	case "1":
		os.Exit(e2eChild())
	case "real":
		os.Exit(realChild())
	case "bare":
		os.Exit(bareTray())
	}
	os.Exit(m.Run())
}

// child is the running tray app as the parent sees it.
type child struct {
	t     testing.TB
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan string
	exit  chan error
	// exited closes once the child has exited and been reaped.
	exited chan struct{}
	log    *desktoptest.Buffer
}

// startChild runs the tray app with the fake backend the parent drives.
func startChild(t *testing.T, display, busAddr string) *child {
	home := t.TempDir()
	return startChildWith(t, []string{
		childEnv + "=1", "DISPLAY=" + display, "DBUS_SESSION_BUS_ADDRESS=" + busAddr,
		"LANG=en_US.UTF-8", "HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
		"XDG_STATE_HOME=" + filepath.Join(home, ".local/state"), "XDG_RUNTIME_DIR=" + home,
		"PATH=" + os.Getenv("PATH"), "GOCOVERDIR=" + os.Getenv("GOCOVERDIR"),
	})
}

// startChildWith runs this test binary as a child with exactly env; it is
// killed at cleanup if still running.
func startChildWith(t testing.TB, env []string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = env
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	c := &child{t: t, cmd: cmd, stdin: stdin, lines: make(chan string, 1000), exit: make(chan error, 1),
		exited: make(chan struct{}), log: &desktoptest.Buffer{}}
	cmd.Stderr = c.log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			c.lines <- sc.Text()
		}
		close(c.lines)
		err := cmd.Wait()
		close(c.exited)
		c.exit <- err
	}()
	t.Cleanup(func() {
		select {
		case <-c.exited:
		default:
			_ = cmd.Process.Kill()
			<-c.exited
		}
		if t.Failed() {
			var rest []string
			for len(c.lines) > 0 {
				rest = append(rest, <-c.lines)
			}
			t.Logf("child's log:\n%s\nunread output: %q", c.log, rest)
		}
	})
	return c
}

// expect waits for a line with this prefix and returns the rest.
func (c *child) expect(prefix string, timeout time.Duration) string {
	c.t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case l, ok := <-c.lines:
			if !ok {
				c.t.Fatalf("the tray app exited while waiting for %q", prefix)
			}
			if strings.HasPrefix(l, prefix) {
				return strings.TrimSpace(strings.TrimPrefix(l, prefix))
			}
			if strings.HasPrefix(l, "ERROR") {
				c.t.Fatalf("tray app: %s", l)
			}
		case <-deadline:
			c.t.Fatalf("the tray app did not say %q within %v", prefix, timeout)
		}
	}
}

func (c *child) send(cmd childCommand) {
	c.t.Helper()
	b, _ := json.Marshal(cmd)
	if _, err := c.stdin.Write(append(b, '\n')); err != nil {
		c.t.Fatal(err)
	}
}

const menuTail = "-|Status…|Settings…|Start at login|-|Quit and stop the gateway|"

func hasAction(n desktoptest.Notification, key string) bool {
	for i := 0; i+1 < len(n.Actions); i += 2 {
		if n.Actions[i] == key {
			return true
		}
	}
	return false
}

// grabWindow screenshots a window of the Xvfb display once it is drawn.
func grabWindow(t *testing.T, d *desktoptest.Display, title, path string) {
	t.Helper()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var last error
	for range 100 {
		if id := d.WindowID(title); id != "" {
			if last = d.Screenshot(path, id); last == nil && painted(readPNG(t, path)) {
				return
			}
		}
		<-tick.C
	}
	t.Fatalf("no drawn %q window on the display after 10 s (last error %v)", title, last)
}

func readPNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return img
}

func checkPNG(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if b := img.Bounds(); b.Dx() < 100 || b.Dy() < 100 {
		t.Errorf("%s is only %v", path, b)
	}
}

func TestTrayWithoutATrayShowsTheStatusWindow(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: starts Xvfb, a bus and the tray app")
	}
	desktoptest.RequireTools(t, "Xvfb", "xdpyinfo", "dbus-daemon", "import", "xwininfo")
	bus := desktoptest.StartBus(t) // no StatusNotifierWatcher on it
	display := desktoptest.StartXvfb(t)
	c := startChild(t, display.Name, bus.Address)
	c.expect("SHOWN status", 20*time.Second)
	c.expect("STARTED", 10*time.Second)
	eventuallyLog(t, c.log, "no system tray; showing the status window instead")
	grabWindow(t, display, "ibkr-tray status", filepath.Join(t.TempDir(), "status.png"))
}

// eventuallyLog waits until the child's log holds a line.
func eventuallyLog(t *testing.T, log *desktoptest.Buffer, want string) {
	t.Helper()
	eventually(t, "log says "+want, func() bool { return strings.Contains(log.String(), want) })
}
