//go:build unix

package gateway

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// gatewayRedirect answers like a real gateway's GET /.
var gatewayRedirect = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, "/sso/Login?forwardTo=22&RL=1&ip2loc=US", http.StatusFound)
})

func TestAdoptsARunningGatewayAndLeavesItOnQuit(t *testing.T) {
	port := plainServer(t, gatewayRedirect) // a gateway this app did not start
	pidFile := filepath.Join(t.TempDir(), "child.pid")
	r := startSupervisor(t, fastConfig(t, writeFakeDist(t, port), childEnv+"=fake", "FAKE_PIDFILE="+pidFile))
	st := waitFor(t, r.Supervisor, 10*time.Second, "Adopted", inState(Adopted))
	if st.PID != 0 || !strings.Contains(st.Reason, "already running on port "+strconv.Itoa(port)) {
		t.Errorf("adopted status %+v", st)
	}
	if err := r.quit(t); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(pidFile); err == nil {
		t.Errorf("a second gateway was started next to the adopted one")
	}
	if code := getRoot(t, "http", port); code != http.StatusFound {
		t.Errorf("the adopted gateway answers %d after quit; it must be left running", code)
	}
}

func TestAdoptedGatewayThatGoesAwayIsReplacedByOurOwn(t *testing.T) {
	port := freePort(t)
	// First a gateway started by someone else (by hand, here through a
	// second supervisor), then ours adopts it.
	other := startSupervisor(t, fastConfig(t, writeFakeDist(t, port), childEnv+"=fake"))
	waitFor(t, other.Supervisor, 20*time.Second, "the other gateway Running", inState(Running))
	r := startSupervisor(t, fastConfig(t, writeFakeDist(t, port), childEnv+"=fake"))
	waitFor(t, r.Supervisor, 10*time.Second, "Adopted", inState(Adopted))
	if err := other.quit(t); err != nil {
		t.Fatal(err)
	}
	st := waitFor(t, r.Supervisor, 20*time.Second, "our own Running", inState(Running))
	if st.PID == 0 {
		t.Errorf("running without a pid: %+v", st)
	}
}

func TestPortTakenByAnotherProgramSaysSo(t *testing.T) {
	port := plainServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "AirPlay", http.StatusForbidden) // what AirPlay answers on 5000
	}))
	pidFile := filepath.Join(t.TempDir(), "child.pid")
	r := startSupervisor(t, fastConfig(t, writeFakeDist(t, port), childEnv+"=fake", "FAKE_PIDFILE="+pidFile))
	st := waitFor(t, r.Supervisor, 10*time.Second, "Failed", inState(Failed))
	for _, want := range []string{"port " + strconv.Itoa(port) + " is in use by another program", "403", "choose another port"} {
		if !strings.Contains(st.Reason, want) {
			t.Errorf("reason %q does not say %q", st.Reason, want)
		}
	}
	if _, err := os.Stat(pidFile); err == nil {
		t.Errorf("a gateway was started on a taken port")
	}
}

func TestAnotherPortRunsWithACopyOfTheConf(t *testing.T) {
	taken := plainServer(t, http.NotFoundHandler())
	dir := writeSimDist(t, taken, 0)
	confPath := filepath.Join(dir, "root", "conf.yaml")
	before, err := os.ReadFile(confPath)
	if err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	c := fastConfig(t, dir, childEnv+"=sim")
	c.Port = port
	r := startSupervisor(t, c)
	st := waitFor(t, r.Supervisor, 20*time.Second, "Running", inState(Running))
	if st.Port != port || st.URL != "https://localhost:"+strconv.Itoa(port) {
		t.Errorf("status %+v, want port %d", st, port)
	}
	if code := getRoot(t, "https", port); code != http.StatusFound {
		t.Errorf("GET / on the chosen port answered %d", code)
	}
	after, _ := os.ReadFile(confPath)
	if !bytes.Equal(before, after) {
		t.Errorf("the user's conf.yaml was changed")
	}
	cp, err := os.ReadFile(filepath.Join(dir, "root", PortConf))
	if err != nil {
		t.Fatal(err)
	}
	if want := bytes.Replace(before, []byte("listenPort: "+strconv.Itoa(taken)), []byte("listenPort: "+strconv.Itoa(port)), 1); !bytes.Equal(cp, want) {
		t.Errorf("the copy differs in more than listenPort:\n%s", cp)
	}
}

func TestMissingDistributionAfterStartFailsWithTheReason(t *testing.T) {
	port := freePort(t)
	dir := writeFakeDist(t, port)
	r := startSupervisor(t, fastConfig(t, dir, childEnv+"=fake"))
	waitFor(t, r.Supervisor, 20*time.Second, "Running", inState(Running))
	if err := os.Remove(filepath.Join(dir, "bin", "run.sh")); err != nil {
		t.Fatal(err)
	}
	r.Restart()
	st := waitFor(t, r.Supervisor, 20*time.Second, "Failed", inState(Failed))
	if !strings.Contains(st.Reason, "has no bin/run.sh") {
		t.Errorf("reason %q", st.Reason)
	}
}

func TestAdoptedGatewayThatStopsAnsweringIsUnresponsiveNotRestarted(t *testing.T) {
	var hang atomic.Bool
	port := plainServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hang.Load() {
			<-r.Context().Done()
			return
		}
		gatewayRedirect(w, r)
	}))
	pidFile := filepath.Join(t.TempDir(), "child.pid")
	c := fastConfig(t, writeFakeDist(t, port), childEnv+"=fake", "FAKE_PIDFILE="+pidFile)
	c.HealthTimeout = 100 * time.Millisecond
	r := startSupervisor(t, c)
	waitFor(t, r.Supervisor, 10*time.Second, "Adopted", inState(Adopted))
	hang.Store(true)
	st := waitFor(t, r.Supervisor, 10*time.Second, "Unresponsive", inState(Unresponsive))
	if !strings.Contains(st.Reason, "not started by this app") {
		t.Errorf("reason %q", st.Reason)
	}
	hang.Store(false)
	waitFor(t, r.Supervisor, 10*time.Second, "Adopted again", inState(Adopted))
	if _, err := os.Stat(pidFile); err == nil {
		t.Errorf("a gateway was started while the adopted one held the port")
	}
}

// Two profiles share one gateway folder with two ports: each runs with its
// own copy of conf.yaml, neither overwrites the other's, and both stop.
func TestTwoProfilesShareOneFolderOnTwoPorts(t *testing.T) {
	dir := writeSimDist(t, freePort(t), 0)
	var rs []*running
	ports := map[string]int{"": freePort(t), "paper": freePort(t)}
	for _, profile := range []string{"", "paper"} {
		c := fastConfig(t, dir, childEnv+"=sim")
		c.Port, c.Profile, c.StateDir = ports[profile], profile, t.TempDir()
		rs = append(rs, startSupervisor(t, c))
	}
	var pids []int
	for i, r := range rs {
		st := waitFor(t, r.Supervisor, 30*time.Second, "Running", inState(Running))
		if want := []int{ports[""], ports["paper"]}[i]; st.Port != want || st.PID == 0 {
			t.Fatalf("supervisor %d: %+v, want port %d with a pid", i, st, want)
		}
		pids = append(pids, st.PID)
	}
	for name, port := range ports {
		if code := getRoot(t, "https", port); code != http.StatusFound {
			t.Errorf("profile %q: GET / on port %d answered %d", name, port, code)
		}
		b, err := os.ReadFile(filepath.Join(dir, "root", OverlayName(name)))
		if err != nil || !bytes.Contains(b, []byte("listenPort: "+strconv.Itoa(port)+"\n")) {
			t.Errorf("profile %q: its conf copy %s: %v\n%s", name, OverlayName(name), err, b)
		}
	}
	for _, r := range rs {
		if err := r.quit(t); err != nil {
			t.Errorf("quit: %v", err)
		}
	}
	for _, pid := range pids {
		if processAlive(pid) || groupAlive(pid) {
			t.Errorf("gateway pid %d (or its group) still runs after its supervisor stopped", pid)
		}
	}
	for name, port := range ports {
		if code := getRoot(t, "https", port); code != 0 {
			t.Errorf("profile %q: port %d still answers %d after stop", name, port, code)
		}
	}
}
