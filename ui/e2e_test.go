package ui

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ibkr-tray/ibkr-tray/gateway"
	"github.com/ibkr-tray/ibkr-tray/session"
	"github.com/ibkr-tray/ibkr-tray/ui/desktoptest"
	"github.com/ibkr-tray/ibkr-tray/ui/runner"
)

// The end-to-end test runs the real tray app (GLFW driver, real systray
// over D-Bus) as a child: the test binary re-run with childEnv set. Fyne's
// driver must own the main goroutine, which only TestMain has. The parent
// drives the child's fake backend over stdin (one JSON command a line) and
// reads what the child reports on stdout ("CALL Login", "SHOWN status", ...).
const childEnv = "IBKR_TRAY_E2E_CHILD"

// screenshotsEnv names a folder to write the screenshots to (docs/ when
// refreshing the committed ones); otherwise they go to a temp folder.
const screenshotsEnv = "IBKR_TRAY_SCREENSHOTS"

func TestMain(m *testing.M) {
	switch os.Getenv(childEnv) {
	case "1":
		os.Exit(e2eChild())
	case "bare":
		os.Exit(bareTray())
	}
	os.Exit(m.Run())
}

// child is the running tray app as the parent sees it.
type child struct {
	t     *testing.T
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan string
	exit  chan error
	log   *syncBuffer
	gwPID int
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func startChild(t *testing.T, display, busAddr string) *child {
	home := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = []string{
		childEnv + "=1", "DISPLAY=" + display, "DBUS_SESSION_BUS_ADDRESS=" + busAddr,
		"LANG=en_US.UTF-8", "HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
		"XDG_STATE_HOME=" + filepath.Join(home, ".local/state"), "XDG_RUNTIME_DIR=" + home,
		"PATH=" + os.Getenv("PATH"), "GOCOVERDIR=" + os.Getenv("GOCOVERDIR"),
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	c := &child{t: t, cmd: cmd, stdin: stdin, lines: make(chan string, 100), exit: make(chan error, 1), log: &syncBuffer{}}
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
		c.exit <- cmd.Wait()
	}()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
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

func (c *child) setStatus(st runner.Status, output ...string) {
	c.send(childCommand{Status: &st, Output: output})
}

const menuTail = "-|Status…|Settings…|Start at login|-|Quit|"

func TestTrayEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: starts Xvfb, a bus and the tray app")
	}
	desktoptest.RequireTools(t, "Xvfb", "xdpyinfo", "dbus-daemon")
	bus := desktoptest.StartBus(t)
	watcher := desktoptest.StartWatcher(t, bus)
	notes := desktoptest.StartNotificationServer(t, bus)
	display := desktoptest.StartXvfb(t)

	began := time.Now()
	c := startChild(t, display.Name, bus.Address)
	item := watcher.WaitItem(t, 20*time.Second)
	t.Logf("cold start to tray registered: %v", time.Since(began).Round(time.Millisecond))
	c.gwPID, _ = atoi(c.expect("GATEWAY", 5*time.Second))
	c.expect("STARTED", 10*time.Second)
	if w, h, err := item.IconSize(); err != nil || w != trayIconPixels || h != trayIconPixels {
		t.Errorf("tray icon %dx%d (err %v); want %d px pixels", w, h, err, trayIconPixels)
	}

	// The menu follows the snapshots, read over dbusmenu as a tray host does.
	c.setStatus(snap(gateway.Starting, session.GatewayDown))
	item.WaitMenu(t, "(Gateway starting…)|-|(Log in)|(Open gateway page)|(Restart gateway)|"+menuTail, 10*time.Second)

	lost := snap(gateway.Running, session.NeedsManualLogin)
	lost.Session.Reason = "IBKR ended the session"
	c.setStatus(lost)
	m := item.WaitMenu(t, "(Login needed)|-|Log in|Open gateway page|Restart gateway|"+menuTail, 10*time.Second)
	need := notes.Wait(t, "login needed", func(n desktoptest.Notification) bool { return n.Summary == "IBKR login needed" }, 10*time.Second)
	if need.Urgency != 2 || !strings.Contains(need.Body, "IBKR ended the session. Click Log in") || !hasAction(need, "login") {
		t.Errorf("login needed notification %+v; want urgent, with what to do and a Log in button", need)
	}
	c.expect("SHOWN popup", 10*time.Second)

	// Log in, clicked in the tray menu, reaches the backend.
	login, _ := m.Find(labelLogin)
	if err := item.Click(login.ID); err != nil {
		t.Fatal(err)
	}
	c.expect("CALL Login", 10*time.Second)
	// So does the notification's Log in button.
	if err := notes.Invoke(need.ID, "login"); err != nil {
		t.Fatal(err)
	}
	c.expect("CALL Login", 10*time.Second)

	c.setStatus(loginRunning(snap(gateway.Running, session.LoggingIn)))
	item.WaitMenu(t, "(Logging in…)|-|(Log in)|Open gateway page|Restart gateway|"+menuTail, 10*time.Second)

	st := richStatus()
	st.Session.SSOExpires = time.Now().Add(6 * time.Hour)
	st.Session.LastTickle = time.Now()
	st.Session.LastLogin = time.Now()
	st.Gateway.Started = time.Now().Add(-2 * time.Hour)
	c.setStatus(st, "Open https://localhost:5000 to login", "App demo is available after you login under: https://localhost:5000/demo#/")
	item.WaitMenu(t, "(Authenticated as U1234567 · paper)|-|(Log in)|Open gateway page|Restart gateway|"+menuTail, 10*time.Second)
	back := notes.Wait(t, "restored", func(n desktoptest.Notification) bool { return n.Summary == "IBKR session restored" }, 15*time.Second)
	if !strings.HasPrefix(back.Body, "Session restored after ") || back.ReplacesID != need.ID {
		t.Errorf("restored notification %+v; want it to say how long and replace the login-needed one (%d)", back, need.ID)
	}

	// A left click on the icon opens the status window.
	if err := item.Activate(); err != nil {
		t.Fatal(err)
	}
	c.expect("SHOWN status", 10*time.Second)

	dir := os.Getenv(screenshotsEnv)
	if dir == "" {
		dir = t.TempDir()
	}
	for _, w := range []struct{ name, title string }{
		{"status", "ibkr-tray status"}, {"settings", "ibkr-tray settings"}, {"menu", "ibkr-tray menu"},
	} {
		path := filepath.Join(dir, "screenshot-"+w.name+".png")
		c.send(childCommand{Capture: w.name})
		if res := c.expect("CAPTURED "+w.name, 10*time.Second); res != "<nil>" {
			t.Fatalf("capture %s: %s", w.name, res)
		}
		grabWindow(t, display, w.title, path)
		checkPNG(t, path)
	}

	// Quit exits and leaves no gateway process.
	m, err := item.Menu()
	if err != nil {
		t.Fatal(err)
	}
	quit, ok := m.Find(labelQuit)
	if !ok {
		t.Fatalf("no Quit in %s", m.Lines())
	}
	if err := item.Click(quit.ID); err != nil {
		t.Fatal(err)
	}
	c.expect("EXIT 0", 20*time.Second)
	select {
	case err := <-c.exit:
		if err != nil {
			t.Errorf("the tray app exited with %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the tray app did not exit after Quit")
	}
	if err := syscall.Kill(c.gwPID, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("the gateway process %d is still there after Quit (kill 0: %v)", c.gwPID, err)
	}
}

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

func atoi(s string) (int, error) {
	var n int
	_, err := fmt.Sscan(s, &n)
	return n, err
}

func TestTrayWithoutATrayShowsTheStatusWindow(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: starts Xvfb, a bus and the tray app")
	}
	desktoptest.RequireTools(t, "Xvfb", "xdpyinfo", "dbus-daemon")
	bus := desktoptest.StartBus(t) // no StatusNotifierWatcher on it
	display := desktoptest.StartXvfb(t)
	c := startChild(t, display.Name, bus.Address)
	c.expect("SHOWN status", 20*time.Second)
	c.expect("STARTED", 10*time.Second)
	eventuallyLog(t, c.log, "no system tray; showing the status window instead")
	grabWindow(t, display, "ibkr-tray status", filepath.Join(t.TempDir(), "status.png"))
}

// eventuallyLog waits until the child's log holds a line.
func eventuallyLog(t *testing.T, log *syncBuffer, want string) {
	t.Helper()
	eventually(t, "log says "+want, func() bool { return strings.Contains(log.String(), want) })
}
