//go:build unix

package cli

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ibkr-tray/ibkr-tray/session"
)

// TestStatusLoginLogoutDriveAHeadlessDemo runs `headless --demo` (the
// simulator as a gateway process, the keeper, browser logins in Chromium)
// and drives it with the status, logout and login commands.
func TestStatusLoginLogoutDriveAHeadlessDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("drives Chromium against the simulator")
	}
	browserLoginEnv(t)
	var out bytes.Buffer
	stdout = &out
	t.Cleanup(func() { stdout = os.Stdout })

	h := startHeadless(t, "--demo", "--status-addr", "127.0.0.1:0", "--fault-every", "0")
	r := h.r
	flags := []string{"--profile", "demo"} // its control socket, found as a user finds it
	poll(t, 30*time.Second, "the demo's first login", func() bool { return r.Status().Session.State == session.Authenticated })
	if !r.Status().Demo {
		t.Error("the status does not say demo")
	}
	if code := Status(flags); code != exitAuthenticated {
		t.Errorf("status exit %d while authenticated, want %d", code, exitAuthenticated)
	}

	firstLogin := r.Status().Session.LastLogin
	if code := Logout(flags); code != 0 || !strings.Contains(out.String(), "Logged out.") {
		t.Errorf("logout exit %d, said %q", code, out.String())
	}
	poll(t, 10*time.Second, "logged out", func() bool { return r.Status().Session.State == session.LoggedOut }) // issue 8: was NotAuthenticated
	if e := r.Status().Session.LastError; e != "" {
		t.Errorf("logout failed: %s", e)
	}
	if code := Status(flags); code != exitNotAuthenticated {
		t.Errorf("status exit %d after logout, want %d", code, exitNotAuthenticated)
	}

	out.Reset()
	t0 := time.Now()
	code := Login(append([]string{"--wait", "--timeout", "60s", "--poll", "100ms"}, flags...))
	if code != 0 || !strings.HasSuffix(out.String(), "Authenticated.\n") {
		t.Fatalf("login --wait exit %d, said %q", code, out.String())
	}
	t.Logf("login --wait returned after %s", time.Since(t0).Round(time.Millisecond))
	if st := r.Status().Session; st.State != session.Authenticated || st.LastLoginMethod != "browser" || !st.LastLogin.After(firstLogin) {
		t.Errorf("login --wait returned with the session %s (by %q at %s, the first login at %s); want a new browser login", st.State, st.LastLoginMethod, st.LastLogin, firstLogin)
	}

	h.stop()
	for _, want := range []string{"msg=status session=Authenticated", "msg=status session=LoggedOut", "demo: the gateway is the built-in simulator"} {
		if !strings.Contains(h.log.String(), want) {
			t.Errorf("the log lacks %q", want)
		}
	}
}
