package ui

import (
	"encoding/json"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ibkr-tray/ibkr-tray/gateway"
	"github.com/ibkr-tray/ibkr-tray/ui/desktoptest"
	"github.com/ibkr-tray/ibkr-tray/ui/runner"
)

// TestTrayStopsTheGatewayOnSIGHUP runs the real tray app (Main) and
// closes its terminal, as it were: SIGHUP quits it like Quit, leaving no
// process of the gateway's group.
func TestTrayStopsTheGatewayOnSIGHUP(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Xvfb, a bus and the simulator")
	}
	desktoptest.RequireTools(t, "Xvfb", "xdpyinfo", "dbus-daemon")
	bus := desktoptest.StartBus(t)
	watcher := desktoptest.StartWatcher(t, bus)
	display := desktoptest.StartXvfb(t)
	w := newTrayWorld(t, display.Name, bus.Address, worldOptions{authenticated: true})
	c := startChildWith(t, w.env)
	watcher.WaitItem(t, 30*time.Second)
	waitFor(t, "the gateway Running", 30*time.Second, func() bool {
		resp, err := loopbackClient.Get(w.statusURL + "/status")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		var st runner.Status
		return json.NewDecoder(resp.Body).Decode(&st) == nil && st.Gateway.State == gateway.Running
	})
	group := append([]int{c.cmd.Process.Pid}, desktoptest.Descendants(c.cmd.Process.Pid)...)
	var gw []int
	for _, pid := range group[1:] {
		if strings.Contains(desktoptest.CommandLine(pid), "run.sh") || strings.Contains(desktoptest.CommandLine(pid), "--conf") {
			gw = append(gw, pid)
		}
	}
	if len(gw) < 2 {
		t.Fatalf("did not find run.sh and the simulator below the app %d: %v", c.cmd.Process.Pid, group)
	}

	if err := c.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-c.exit:
		if err != nil {
			t.Errorf("the tray app exited with %v after SIGHUP, want 0", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the tray app did not exit within 30 s of SIGHUP")
	}
	for _, pid := range gw {
		if desktoptest.Alive(pid) {
			t.Errorf("gateway process %d (%s) outlived the tray app", pid, desktoptest.CommandLine(pid))
		}
	}
}
