package desktoptest

import (
	"bufio"
	"fmt"
	"image"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Display is a private X server (Xvfb) for one test.
type Display struct {
	// Name is the DISPLAY value, ":N".
	Name string

	cmd    *exec.Cmd
	stderr *Buffer
}

// StartXvfb starts Xvfb on a free display number (Xvfb picks it: -displayfd),
// waits until xdpyinfo answers on it, and stops it at cleanup. It does not
// set DISPLAY: pass Name to the processes that need it.
func StartXvfb(t testing.TB) *Display {
	t.Helper()
	RequireTools(t, "Xvfb", "xdpyinfo")
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	d := &Display{stderr: &Buffer{}}
	// fd 3 in the child is the write end: Xvfb writes the display number
	// there once it listens.
	d.cmd = exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", fmt.Sprintf("%dx%dx24", screenWidth, screenHeight), "-nolisten", "tcp")
	d.cmd.ExtraFiles = []*os.File{w}
	d.cmd.Stderr = d.stderr
	err = d.cmd.Start()
	w.Close()
	if err != nil {
		r.Close()
		t.Fatalf("start Xvfb: %v", err)
	}
	t.Cleanup(func() { stopProcess(d.cmd); r.Close() })

	num := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(r).ReadString('\n')
		num <- strings.TrimSpace(line)
	}()
	select {
	case n := <-num:
		if n == "" {
			t.Fatalf("Xvfb printed no display number; its output: %s", d.stderr)
		}
		d.Name = ":" + n
	case <-time.After(15 * time.Second):
		t.Fatalf("Xvfb did not start within 15 s; its output: %s", d.stderr)
	}
	d.waitReady(t, 15*time.Second)
	return d
}

// waitReady polls xdpyinfo until the server answers.
func (d *Display) waitReady(t testing.TB, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if exec.Command("xdpyinfo", "-display", d.Name).Run() == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("Xvfb %s does not answer xdpyinfo after %v; its output: %s", d.Name, timeout, d.stderr)
		}
		<-tick.C
	}
}

// Screenshot writes the whole screen, or one window (by X window id or
// name, as xwininfo takes it), as PNG with ImageMagick's import.
func (d *Display) Screenshot(path, window string) error {
	if window == "" {
		window = "root"
	}
	out, err := exec.Command("import", "-display", d.Name, "-window", window, path).CombinedOutput()
	if err != nil {
		return fmt.Errorf("import -window %s: %v: %s", window, err, out)
	}
	return nil
}

// WindowID finds a top-level window by its exact title with xdotool or
// xwininfo; "" when there is none.
func (d *Display) WindowID(title string) string {
	out, err := exec.Command("xwininfo", "-display", d.Name, "-name", title).Output()
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(out), "\n") {
		if i := strings.Index(line, "Window id: "); i >= 0 {
			f := strings.Fields(line[i+len("Window id: "):])
			if len(f) > 0 {
				return f[0]
			}
		}
	}
	return ""
}

// Geometry is where a top-level window (by exact title) is on the screen,
// as xwininfo reports it; false when there is none.
func (d *Display) Geometry(title string) (image.Rectangle, bool) {
	out, err := exec.Command("xwininfo", "-display", d.Name, "-name", title).Output()
	if err != nil {
		return image.Rectangle{}, false
	}
	v := map[string]int{}
	for _, line := range strings.Split(string(out), "\n") {
		k, val, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok {
			continue
		}
		if n, err := strconv.Atoi(strings.TrimSpace(val)); err == nil {
			v[k] = n
		}
	}
	x, y := v["Absolute upper-left X"], v["Absolute upper-left Y"]
	w, h := v["Width"], v["Height"]
	if w == 0 || h == 0 {
		return image.Rectangle{}, false
	}
	return image.Rect(x, y, x+w, y+h), true
}

// The size of StartXvfb's screen.
const screenWidth, screenHeight = 1280, 800

// Size is the screen's size.
func (d *Display) Size() image.Point { return image.Pt(screenWidth, screenHeight) }
