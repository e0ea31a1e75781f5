package ui

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"

	"github.com/ibkr-tray/ibkr-tray/gateway/sim"
	"github.com/ibkr-tray/ibkr-tray/ui/autostart"
	"github.com/ibkr-tray/ibkr-tray/ui/config"
	"github.com/ibkr-tray/ibkr-tray/ui/runner"
)

// childCommand is one line from the parent.
type childCommand struct {
	Status  *runner.Status `json:"status,omitempty"`
	Output  []string       `json:"output,omitempty"`
	Capture string         `json:"capture,omitempty"` // show "status", "settings" or "menu" for a screenshot
	Quit    bool           `json:"quit,omitempty"`    // quit as the menu's Quit does
}

// sayer writes one line at a time to stdout, the parent's feed.
func sayer() func(format string, args ...any) {
	var mu sync.Mutex
	return func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Printf(format+"\n", args...)
	}
}

// e2eChild runs the tray with a fake backend that the parent drives.
func e2eChild() int {
	say := sayer()
	fb := newFakeBackend(stoppedStatus("starting"))
	fb.onCall = func(c string) { say("CALL %s", c) }

	// A real child process stands in for the gateway: Quit must leave none.
	gw := exec.Command("sleep", "600")
	if err := gw.Start(); err != nil {
		say("ERROR %v", err)
		return 1
	}
	say("GATEWAY %d", gw.Process.Pid)
	done := make(chan struct{})
	start := func(ctx context.Context, _ BackendOptions) (Started, error) {
		go func() {
			<-ctx.Done()
			_ = gw.Process.Kill()
			_ = gw.Wait()
			close(done)
		}()
		return Started{Backend: fb, Done: done}, nil
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := config.Default()
	cfg.GatewayDir = "/home/ann/clientportal.gw"
	cfg.Paper = true
	// As run does: Fyne logs through the standard logger, less its noise
	// (fynelog.go), which TestQuitWithAFreshConfigFolderLogsNoPreferencesError
	// checks.
	installQuietFyneLog(os.Stderr)
	a := newFyneApp()
	tr := newTrayApp(ctx, a, trayOptions{
		Paths:     testPaths, // shown in the settings window; nothing saves in this test
		Config:    cfg,
		Deps:      testDeps(),
		Autostart: autostart.Entry{Profile: "e2e-unused"},
		Log:       slog.New(slog.NewTextHandler(os.Stderr, nil)),
		NoTray:    trayMissing(),
		Start:     start,
		OnShow:    func(w string) { say("SHOWN %s", w) },
	})
	go serveCommands(tr, fb, say)
	tr.setup()
	a.Lifecycle().SetOnStarted(func() {
		tr.start()
		say("STARTED")
	})
	a.Run()
	code := tr.shutdown()
	say("EXIT %d", code)
	return code
}

// serveCommands follows the parent's commands on stdin until it closes.
// fb is nil when the backend is the real runner.
func serveCommands(tr *trayApp, fb *fakeBackend, say func(string, ...any)) {
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var c childCommand
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			say("ERROR bad command: %v", err)
			continue
		}
		switch {
		case c.Status != nil && fb != nil:
			fb.setOutput(c.Output...)
			fb.set(*c.Status)
		case c.Quit:
			fyne.Do(tr.quit)
		case c.Capture != "":
			var err error
			fyne.DoAndWait(func() { _, err = tr.showForCapture(c.Capture) })
			say("CAPTURED %s %v", c.Capture, err)
		}
	}
}

// simGateEnv names a file the simulator waits for before it starts, so a
// test sees the gateway's "starting" state for as long as it needs.
const simGateEnv = "IBKR_TRAY_E2E_SIM_GATE"

// simChild is the simulator as the distribution's run.sh starts it.
func simChild(args []string) int {
	if gate := os.Getenv(simGateEnv); gate != "" && !waitForFile(gate, 2*time.Minute) {
		fmt.Fprintln(os.Stderr, "sim: the test never opened the gate", gate)
		return 3
	}
	return sim.Main(args)
}

func waitForFile(path string, d time.Duration) bool {
	deadline := time.Now().Add(d)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if _, err := os.Stat(path); err == nil {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		<-tick.C
	}
}

// childArgsEnv holds the real child's command-line flags, space-separated.
const childArgsEnv = "IBKR_TRAY_E2E_ARGS"

// realChild runs the app as a user starts it (Main: settings file, real
// runner, real keyring), and adds only the window reports and captures.
func realChild() int {
	say := sayer()
	trayHook = func(t *trayApp) {
		t.o.OnShow = func(w string) { say("SHOWN %s", w) }
		go serveCommands(t, nil, say)
	}
	code := Main(strings.Fields(os.Getenv(childArgsEnv)))
	say("EXIT %d", code)
	return code
}

// bareTray is the baseline: a Fyne app with a one-item tray menu and
// nothing else, run from the same test binary.
func bareTray() int {
	a := app.NewWithID(AppID + ".bare")
	desk := a.(desktop.App)
	desk.SetSystemTrayMenu(fyne.NewMenu("bare", fyne.NewMenuItem("Hello", nil)))
	icon, err := trayIcon(IconOK) // the same pixels as ours
	if err != nil {
		return 1
	}
	desk.SetSystemTrayIcon(icon)
	a.Run()
	return 0
}

// painted reports whether an image has more than one colour.
func painted(img image.Image) bool {
	b := img.Bounds()
	first := img.At(b.Min.X, b.Min.Y)
	r0, g0, b0, _ := first.RGBA()
	for y := b.Min.Y; y < b.Max.Y; y += 3 {
		for x := b.Min.X; x < b.Max.X; x += 3 {
			r, g, bb, _ := img.At(x, y).RGBA()
			if r != r0 || g != g0 || bb != b0 {
				return true
			}
		}
	}
	return false
}

// capturedMenu is the window the last "menu" capture showed. UI goroutine.
var capturedMenu fyne.Window

// showForCapture shows a window to capture (UI goroutine). "menu" shows
// the tray menu as Fyne draws a menu: no tray host runs under Xvfb.
func (t *trayApp) showForCapture(which string) (fyne.Window, error) {
	if capturedMenu != nil { // it would hide what is captured next
		capturedMenu.Close()
		capturedMenu = nil
	}
	switch which {
	case "status":
		t.showStatus()
		return t.statusWin, nil
	case "settings":
		t.showSettings()
		return t.settings, nil
	case "menu":
		w := t.app.NewWindow("ibkr-tray menu")
		menu := t.menu
		if t.inShell() {
			menu = t.shell.menu
		}
		m := widget.NewMenu(menu)
		w.SetContent(m)
		w.Resize(m.MinSize())
		w.Show()
		capturedMenu = w
		return w, nil
	}
	return nil, fmt.Errorf("no window %q", which)
}
