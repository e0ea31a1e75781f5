package cli

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ibkr-tray/ibkr-tray/gateway"
	"github.com/ibkr-tray/ibkr-tray/gateway/sim"
	"github.com/ibkr-tray/ibkr-tray/session"
	"github.com/ibkr-tray/ibkr-tray/session/secrets"
	"github.com/ibkr-tray/ibkr-tray/ui/config"
	"github.com/ibkr-tray/ibkr-tray/ui/desktoptest"
	"github.com/ibkr-tray/ibkr-tray/ui/runner"
)

// saveProfile writes a profile's settings file with a gateway folder and a
// status address of its own.
func saveProfile(t *testing.T, name, dir, statusAddr string, edit func(*config.Config)) {
	t.Helper()
	c := config.Default()
	c.GatewayDir, c.StatusAddr = dir, statusAddr
	if edit != nil {
		edit(&c)
	}
	p, err := config.PathsFor(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Save(p.ConfigFile); err != nil {
		t.Fatal(err)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	port, err := sim.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return "127.0.0.1:" + strconv.Itoa(port)
}

// startHeadlessAll is startHeadless for several profiles: it returns every
// runner once all of them listen.
func startHeadlessAll(t *testing.T, n int, args ...string) (*inProcess, []*runner.Runner) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	h := &inProcess{t: t, log: &desktoptest.Buffer{}, cancel: cancel, exit: make(chan int, 1)}
	started := make(chan *runner.Runner, n)
	go func() {
		h.exit <- headless(ctx, args, h.log, func(r *runner.Runner) { started <- r })
	}()
	var rs []*runner.Runner
	for len(rs) < n {
		select {
		case r := <-started:
			rs = append(rs, r)
		case code := <-h.exit:
			t.Fatalf("headless %v exited %d: %s", args, code, h.log.String())
		case <-time.After(30 * time.Second):
			t.Fatalf("headless %v did not start within 30s", args)
		}
	}
	return h, rs
}

// TestHeadlessRunsTwoProfilesSideBySide: one process, a live and a paper
// profile on two simulator gateways; both log in (Chromium), each serves
// its own /readyz and /metrics, the log names the profile, and stopping
// leaves no gateway process behind.
func TestHeadlessRunsTwoProfilesSideBySide(t *testing.T) {
	if testing.Short() {
		t.Skip("drives Chromium against two simulators")
	}
	browserLoginEnv(t)

	secretsFile := filepath.Join(t.TempDir(), "secrets.json")
	store := secrets.File(secretsFile)
	ctx := context.Background()
	if err := store.Set(ctx, "live", secrets.Credentials{Username: "demo", Password: "demo", TOTPSecret: sim.DemoTOTPSecret}); err != nil {
		t.Fatal(err)
	}
	if err := store.Set(ctx, "paper", secrets.Credentials{Username: "demopaper", Password: "demo"}); err != nil {
		t.Fatal(err)
	}
	liveDir, livePort := simDist(t)
	paperDir, paperPort := simDist(t)
	addrs := map[string]string{"live": freeAddr(t), "paper": freeAddr(t)}
	saveProfile(t, "live", liveDir, addrs["live"], func(c *config.Config) { c.SecretsFile = secretsFile })
	saveProfile(t, "paper", paperDir, addrs["paper"], func(c *config.Config) { c.SecretsFile, c.Paper = secretsFile, true })

	h, rs := startHeadlessAll(t, 2, "--profile", "paper", "--profile", "live")
	byName := map[string]*runner.Runner{}
	for _, r := range rs {
		byName[r.Status().Profile] = r
	}
	if byName["live"] == nil || byName["paper"] == nil {
		t.Fatalf("runners %v; want live and paper", byName)
	}
	ports := map[string]int{"live": livePort, "paper": paperPort}
	for name, r := range byName {
		poll(t, 60*time.Second, name+" authenticated", func() bool { return r.Status().Session.State == session.Authenticated })
		if got := r.Addr(); got != addrs[name] {
			t.Errorf("%s's status endpoint is on %s, want %s", name, got, addrs[name])
		}
		if st := r.Status().Gateway; st.Port != ports[name] {
			t.Errorf("%s's gateway runs on port %d, want %d", name, st.Port, ports[name])
		}
	}
	var pgids []int
	for name, r := range byName {
		base := "http://" + addrs[name]
		poll(t, 10*time.Second, name+" /readyz 200", func() bool { code, _ := httpGet(base + "/readyz"); return code == http.StatusOK })
		code, body := httpGet(base + "/metrics")
		if code != http.StatusOK || !strings.Contains(string(body), "ibkr_tray_authenticated 1") {
			t.Errorf("%s /metrics = %d:\n%.400s", name, code, body)
		}
		if _, status := httpGet(base + "/status"); !strings.Contains(string(status), `"ready": true`) {
			t.Errorf("%s /status = %s", name, status)
		}
		pgid := r.Status().Gateway.PID
		killGroupAtCleanup(t, pgid)
		pgids = append(pgids, pgid)
	}
	// Each profile logged in with its own account.
	if a := byName["paper"].Status().Session.SelectedAccount; !strings.HasPrefix(a, "DU") {
		t.Errorf("paper's account %q, want the paper account", a)
	}
	if a := byName["live"].Status().Session.SelectedAccount; !strings.HasPrefix(a, "U") {
		t.Errorf("live's account %q, want a live account", a)
	}

	// status with no --profile names both; profiles says both run.
	var said bytes.Buffer
	stdout = &said
	t.Cleanup(func() { stdout = os.Stdout })
	if code := Status(nil); code != exitAuthenticated {
		t.Errorf("status exit %d with both authenticated:\n%s", code, said.String())
	}
	for _, want := range []string{"live: Authenticated as demo · live; gateway running on port " + strconv.Itoa(livePort), "paper: Authenticated as demopaper · paper; gateway running on port " + strconv.Itoa(paperPort)} {
		if !strings.Contains(said.String(), want) {
			t.Errorf("status lacks %q:\n%s", want, said.String())
		}
	}
	var code int
	errs := stderrOf(t, func() { code = Logout(nil) })
	if code != exitError || !strings.Contains(errs, "several profiles run (live, paper); name one with --profile") {
		t.Errorf("logout with no --profile: exit %d, said %q", code, errs)
	}
	said.Reset()
	if code := Profiles(nil); code != 0 || strings.Count(said.String(), "  yes") != 2 || !strings.Contains(said.String(), paperDir) {
		t.Errorf("profiles: exit %d:\n%s", code, said.String())
	}
	said.Reset()
	if code := Profiles([]string{"remove", "paper", "--yes"}); code != exitError {
		t.Errorf("remove of a running profile: exit %d", code)
	}

	h.stop()
	for _, pgid := range pgids {
		if left := groupMembers(pgid); len(left) > 0 {
			t.Errorf("gateway group %d still has %v after headless stopped", pgid, left)
		}
	}
	out := h.log.String()
	for _, want := range []string{"msg=status profile=live session=Authenticated", "msg=status profile=paper session=Authenticated", `msg="ibkr-tray headless stopped"`} {
		if !strings.Contains(out, want) {
			t.Errorf("the log lacks %q:\n%s", want, out)
		}
	}
}

// TestHeadlessSeveralProfilesRefusals: flags meant for one profile, clashing
// settings, and a profile that cannot start (its status address taken),
// which stops the one that did.
func TestHeadlessSeveralProfilesRefusals(t *testing.T) {
	headlessEnv(t)
	dir, _ := simDist(t)
	other, _ := simDist(t)
	shared := freeAddr(t)
	saveProfile(t, "a", dir, shared, nil)
	saveProfile(t, "b", dir, shared, nil)

	var out desktoptest.Buffer
	code := headless(context.Background(), []string{"--profile", "a", "--profile", "b", "--port", "5002"}, &out, nil)
	if code != 2 || !strings.Contains(out.String(), "apply to one profile; set them in each profile's settings") {
		t.Errorf("flags with two profiles: exit %d, said %q", code, out.String())
	}
	out = desktoptest.Buffer{}
	code = headless(context.Background(), []string{"--profile", "a", "--profile", "a"}, &out, nil)
	if code != 2 || !strings.Contains(out.String(), `profile "a" is given twice`) {
		t.Errorf("a profile twice: exit %d, said %q", code, out.String())
	}
	out = desktoptest.Buffer{}
	code = headless(context.Background(), []string{"--profile", "a", "--profile", "b"}, &out, nil)
	said := out.String()
	if code != 1 || !strings.Contains(said, "these profiles cannot run side by side") ||
		!strings.Contains(said, `Profiles "a" and "b" both use the status address port`) ||
		!strings.Contains(said, `Profiles "a" and "b" both run the gateway in `+dir) {
		t.Errorf("clashing profiles: exit %d, said %q", code, said)
	}

	// b's status address is taken by another program: b cannot start, and
	// a, which did, is stopped with its gateway.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	saveProfile(t, "a", dir, freeAddr(t), nil)
	saveProfile(t, "b", other, l.Addr().String(), nil)
	out = desktoptest.Buffer{}
	exit := make(chan int, 1)
	go func() {
		exit <- headless(context.Background(), []string{"--profile", "a", "--profile", "b"}, &out, nil)
	}()
	select {
	case code = <-exit:
	case <-time.After(60 * time.Second):
		t.Fatal("headless did not give up within 60s")
	}
	said = out.String()
	if code != 1 || !strings.Contains(said, "ibkr-tray headless: profile b: the status endpoint cannot listen on "+l.Addr().String()) {
		t.Errorf("a profile that cannot start: exit %d, said %q", code, said)
	}
	pa, _ := config.PathsFor("a")
	if _, err := os.Stat(filepath.Join(pa.StateDir, gateway.RecordFile)); err == nil {
		t.Errorf("profile a's gateway record is still there: its gateway was not stopped")
	}
}

// TestHeadlessSeveralProfilesStopOnSIGTERM: the app as its own process,
// two profiles on one shared gateway folder (two ports); SIGTERM stops
// both gateways and exits 0.
func TestHeadlessSeveralProfilesStopOnSIGTERM(t *testing.T) {
	settings := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", settings) // where saveProfile writes
	dir, _ := simDist(t)
	p1, _ := sim.FreePort()
	p2, _ := sim.FreePort()
	saveProfile(t, "one", dir, "127.0.0.1:0", func(c *config.Config) { c.Port = p1 })
	saveProfile(t, "two", dir, "127.0.0.1:0", func(c *config.Config) { c.Port = p2 })
	a := startApp(t, []string{"XDG_CONFIG_HOME=" + settings}, "--profile", "one", "--profile", "two")
	a.waitLine(t, 30*time.Second, "msg=status profile=")
	var groups []int
	poll(t, 30*time.Second, "two gateways running", func() bool {
		return strings.Count(a.output(), "gateway=Running") == 2
	})
	for _, pid := range allPIDs() {
		if ppid, pgid, ok := procStat(pid); ok && ppid == a.cmd.Process.Pid && pgid == pid {
			groups = append(groups, pid)
			killGroupAtCleanup(t, pid)
		}
	}
	if len(groups) != 2 {
		t.Fatalf("the app runs %d gateway groups, want 2:\n%s", len(groups), a.output())
	}
	for _, port := range []int{p1, p2} {
		if code, _ := httpGet("https://127.0.0.1:" + strconv.Itoa(port) + "/"); code != http.StatusFound {
			t.Errorf("the gateway on port %d answers %d", port, code)
		}
	}
	if err := a.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := a.waitExit(t, 30*time.Second); code != 0 {
		t.Errorf("exit status %d after SIGTERM, want 0:\n%s", code, a.output())
	}
	for _, g := range groups {
		if left := groupMembers(g); len(left) > 0 {
			t.Errorf("processes %v of gateway group %d outlived the app", left, g)
		}
	}
	for _, name := range []string{"conf.ibkr-tray-one.yaml", "conf.ibkr-tray-two.yaml"} {
		if _, err := os.Stat(filepath.Join(dir, "root", name)); err != nil {
			t.Errorf("no %s: %v", name, err)
		}
	}
}
