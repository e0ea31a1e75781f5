//go:build unix

package runner

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ibkr-tray/ibkr-tray/gateway/sim"
	"github.com/ibkr-tray/ibkr-tray/session"
)

// TestTCPTellsOnlyStatesAndTakesNoCommands: the loopback TCP address
// answers any local user, so its /status carries no user name, account or
// machine fact, /readyz no reason in words, and no command is served there;
// the same requests over the control socket have them all.
func TestTCPTellsOnlyStatesAndTakesNoCommands(t *testing.T) {
	so := sim.DefaultOptions()
	so.TermDelay = 0
	so.Authenticated = true
	so.Accounts = []sim.Account{{Username: "jdoe42", Password: "pw", AccountIDs: []string{"U9753102", "U8642013"}}}
	secretsOf := []string{"jdoe42", "U9753102", "U8642013"}
	r := simRunnerOf(t, so, nil)
	run(t, r)
	waitStatus(t, r, "the session authenticated", func(st Status) bool { return st.Session.State == session.Authenticated })

	code, body := get(t, r, "GET", "/status")
	if code != http.StatusOK || !strings.Contains(body, `"state": "Authenticated"`) || !strings.Contains(body, `"state": "Running"`) {
		t.Fatalf("TCP /status = %d %s; want the states", code, body)
	}
	for _, s := range secretsOf {
		if strings.Contains(body, s) {
			t.Errorf("TCP /status shows %q:\n%s", s, body)
		}
	}
	for _, field := range []string{"MAC", "hardware", "serverName", "reason", "pid", "dir"} {
		if strings.Contains(strings.ToLower(body), strings.ToLower(`"`+field)) {
			t.Errorf("TCP /status has a %s field:\n%s", field, body)
		}
	}
	if code, body := get(t, r, "GET", "/readyz"); code != http.StatusOK || body != "ok\n" {
		t.Errorf("TCP /readyz = %d %q", code, body)
	}
	_, full := ctl(t, r, "GET", "/status")
	for _, s := range secretsOf {
		if !strings.Contains(full, s) {
			t.Errorf("the control socket's /status lacks %q (so the search above proves nothing):\n%s", s, full)
		}
	}

	for _, path := range []string{"/logout", "/login", "/restart", "/retry", "/login-browser", "/cancel-login", "/credentials-changed", "/select-account?account=U8642013"} {
		if code, body := get(t, r, "POST", path); code != http.StatusNotFound && code != http.StatusMethodNotAllowed {
			t.Errorf("TCP POST %s = %d %s; want 404 or 405", path, code, body)
		}
	}
	if st := r.Status(); st.Session.State != session.Authenticated || st.Gateway.Restarts != 0 {
		t.Fatalf("a command over TCP acted: session %s, %d restarts", st.Session.State, st.Gateway.Restarts)
	}
	if code, body := ctl(t, r, "POST", "/select-account"); code != http.StatusBadRequest {
		t.Errorf("POST /select-account with no account = %d %s, want 400", code, body)
	}
	if code, _ := ctl(t, r, "POST", "/logout"); code != http.StatusAccepted {
		t.Errorf("POST /logout over the control socket = %d", code)
	}
	waitStatus(t, r, "logged out", func(st Status) bool { return st.Session.State != session.Authenticated })
	if code, body := get(t, r, "GET", "/readyz"); code != http.StatusServiceUnavailable || strings.Contains(body, "jdoe42") {
		t.Errorf("TCP /readyz after logout = %d %q", code, body)
	}
}

// TestControlSocketIsTheOwnersOnly: the socket's folder is 0700 and the
// socket 0600, and another user (nobody, in a child process) is refused
// by the kernel, by the folder and, were the folder opened, by the socket.
func TestControlSocketIsTheOwnersOnly(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root, to run a child process as another user")
	}
	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Fatalf("no user nobody to test with: %v", err)
	}
	uid, _ := strconv.Atoi(nobody.Uid)
	gid, _ := strconv.Atoi(nobody.Gid)
	runtime := shortDir(t)
	// Everything above the app's folder is open, as /run/user is not
	// always: only the app's own modes can keep nobody out.
	if err := os.Chmod(runtime, 0o755); err != nil {
		t.Fatal(err)
	}
	r := simRunner(t, &fakeKeeper{ch: make(chan struct{}, 1)}, func(o *Options) {
		o.Paths.ControlSocket = filepath.Join(runtime, "ibkr-tray", "test.sock")
	})
	// A folder left too open by someone is closed again at start.
	if err := os.MkdirAll(filepath.Join(runtime, "ibkr-tray"), 0o777); err != nil {
		t.Fatal(err)
	}
	os.Chmod(filepath.Join(runtime, "ibkr-tray"), 0o777)
	run(t, r)
	sock := r.ControlSocket()
	if info, err := os.Stat(filepath.Dir(sock)); err != nil || info.Mode().Perm() != 0o700 {
		t.Fatalf("the socket's folder: %v, mode %v; want 0700", err, info.Mode().Perm())
	}
	if info, err := os.Lstat(sock); err != nil || info.Mode().Type() != fs.ModeSocket || info.Mode().Perm() != 0o600 {
		t.Fatalf("the socket: %v, %v; want a socket of mode 0600", err, info.Mode())
	}
	if code, _ := ctl(t, r, "GET", "/status"); code != http.StatusOK {
		t.Fatalf("the owner's GET /status = %d", code)
	}

	// The child is this test binary, copied where nobody may run it.
	bin := filepath.Join(shortDir(t), "dial")
	exe, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, exe, 0o755); err != nil {
		t.Fatal(err)
	}
	os.Chmod(filepath.Dir(bin), 0o755)
	dialAs := func(what string) {
		t.Helper()
		cmd := exec.Command(bin)
		cmd.Dir = "/"
		cmd.Env = []string{dialEnv + "=" + sock}
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != dialRefused {
			t.Errorf("%s: nobody's connect: %v, %s; want permission denied", what, err, out)
		}
	}
	dialAs("the folder closed")
	// With the folder opened (someone chmods it), the socket's own mode
	// still refuses.
	if err := os.Chmod(filepath.Dir(sock), 0o755); err != nil {
		t.Fatal(err)
	}
	dialAs("the folder opened")
}

// dialEnv makes the test binary a child that connects to a socket and
// exits 0 (connected), dialRefused (permission denied) or 1.
const (
	dialEnv     = "IBKR_TRAY_TEST_DIAL"
	dialRefused = 13
)

func dialChild() {
	path := os.Getenv(dialEnv)
	if path == "" {
		return
	}
	c, err := net.DialTimeout("unix", path, 5*time.Second)
	switch {
	case err == nil:
		c.Close()
		fmt.Println("connected")
		os.Exit(0)
	case errors.Is(err, syscall.EACCES):
		fmt.Println(err)
		os.Exit(dialRefused)
	}
	fmt.Println(err)
	os.Exit(1)
}

// TestAStaleSocketIsReplacedAndALiveOneKept: a socket left by a crash does
// not stop the next start; one that answers means another copy runs.
func TestAStaleSocketIsReplacedAndALiveOneKept(t *testing.T) {
	dir := filepath.Join(shortDir(t), "ibkr-tray")
	path := filepath.Join(dir, "p.sock")
	os.MkdirAll(dir, 0o700)
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := listenControl(path); err == nil || !strings.Contains(err.Error(), "another copy of ibkr-tray answers") {
		t.Errorf("a live socket: %v; want another copy named", err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close() // as a crash leaves it: the file stays, nobody answers
	l2, err := listenControl(path)
	if err != nil {
		t.Fatalf("a stale socket: %v", err)
	}
	l2.Close()
	if _, err := os.Lstat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the socket is still there after its listener closed: %v", err)
	}
}
