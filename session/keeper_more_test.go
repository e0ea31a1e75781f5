package session

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ibkr-tray/ibkr-tray/session/login"
)

func TestKeeperIdleTrafficIsOneTicklePerInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, newFakeGateway().loggedIn(), nil, nil)
		h.waitState(Authenticated, time.Second)
		h.idle(time.Hour)
		if n := h.gw.count("tickle"); n < 900 || n > 901 {
			t.Errorf("tickles in an hour = %d, want 900 (one per 4 s; IBKR allows 3600)", n)
		}
		h.gw.mu.Lock()
		defer h.gw.mu.Unlock()
		for name, n := range h.gw.calls {
			if name != "tickle" && n > 1 {
				t.Errorf("%s called %d times while idle, want at most once (at start)", name, n)
			}
		}
	})
}

func TestKeeperLoginCapSurvivesRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "session-state.json")
	refused := []error{loginErr(login.BadCode, 100)}
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, newFakeGateway(), refused, func(o *KeeperOptions) { o.StateFile = path })
		h.waitState(LoginLocked, 10*time.Minute)
		h.expectLogins(3)
	})
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, newFakeGateway(), refused, func(o *KeeperOptions) { o.StateFile = path })
		h.waitState(LoginLocked, 10*time.Second)
		h.idle(time.Hour)
		h.expectLogins(0)
		if s := h.k.Status(); s.FailedLoginsInRow != 3 {
			t.Errorf("FailedLoginsInRow after a restart = %d, want 3", s.FailedLoginsInRow)
		}
	})
}

func TestKeeperCountsALoginCutShortByACrash(t *testing.T) {
	path := filepath.Join(t.TempDir(), "session-state.json")
	day := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).Local().Format(time.DateOnly) // synctest's epoch
	// Two failures, then a third attempt counted when it began; the app
	// died before it ended. Undoing the pending attempt would allow more.
	rec := `{"version":1,"failedInRow":3,"failedToday":3,"day":"` + day + `","pending":true,"pendingDay":"` + day + `"}`
	if err := os.WriteFile(path, []byte(rec), 0o600); err != nil {
		t.Fatal(err)
	}
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, newFakeGateway(), nil, func(o *KeeperOptions) { o.StateFile = path })
		h.waitState(LoginLocked, 10*time.Second)
		h.expectLogins(0)
	})
}

func TestKeeperRefusesLoginsItCannotRecord(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("uses /proc as a folder nobody can write to, not even root")
	}
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, newFakeGateway(), nil, func(o *KeeperOptions) {
			o.StateFile = "/proc/self/ibkr-tray-session-state.json"
		})
		// Issue 8: the count is unknown, like an unreadable record
		// (LoginLocked, cap-unreadable; it was NeedsManualLogin), so the
		// state holds instead of flapping through LoggingIn every tickle.
		h.waitState(LoginLocked, 10*time.Second)
		h.expectReason("restart loop", "could not write")
		h.idle(time.Minute)
		h.expectLogins(0)
		if s := h.k.Status(); s.Cause != CauseCapUnreadable || !s.Offers.Retry || s.State != LoginLocked {
			t.Errorf("state %v cause %q offers %+v", s.State, s.Cause, s.Offers)
		}
	})
}

func TestKeeperPausesLoginsWhenTheRecordIsDamaged(t *testing.T) {
	path := filepath.Join(t.TempDir(), "session-state.json")
	if err := os.WriteFile(path, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, newFakeGateway(), nil, func(o *KeeperOptions) { o.StateFile = path })
		h.waitState(LoginLocked, 10*time.Second)
		h.expectReason("could not be read", "damaged")
		h.expectLogins(0)
		h.k.ResetLoginCap()
		h.waitState(Authenticated, 10*time.Second)
		h.expectLogins(1)
	})
}

func TestKeeperStatusIsACopy(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, newFakeGateway().loggedIn(), nil, nil)
		h.waitFor("accounts", time.Second, func(s Status) bool { return len(s.Accounts) == 2 })
		s := h.k.Status()
		s.Accounts[0] = "changed"
		if got := h.k.Status().Accounts[0]; got != "U1" {
			t.Errorf("changing a snapshot changed the keeper's status: %q", got)
		}
	})
}

func TestKeeperSubscribe(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, newFakeGateway().loggedIn(), nil, nil)
		h.waitState(Authenticated, time.Second)
		ch, stop := h.k.Subscribe()
		select {
		case <-ch:
		default:
			t.Fatal("a new subscriber was not woken at once")
		}
		h.idle(time.Minute)
		select {
		case <-ch:
			t.Fatal("woken with nothing changed but the keep-alive times")
		default:
		}
		h.gw.set(func(f *fakeGateway) { f.competing = true })
		h.waitState(Competing, 10*time.Second)
		select {
		case <-ch:
		default:
			t.Fatal("not woken by a change of state")
		}
		stop()
		h.gw.set(func(f *fakeGateway) { f.competing = false })
		h.waitState(Authenticated, 10*time.Second)
		select {
		case <-ch:
			t.Fatal("woken after unsubscribing")
		default:
		}
	})
}

func TestClockWatch(t *testing.T) {
	cases := []struct {
		name string
		wall time.Duration // how far the wall clock moved while the monotonic clock stood
		want bool
	}{
		{"no jump", 0, false},
		{"a small NTP step is not a jump", 2 * time.Second, false},
		{"waking after a night is a jump", 8 * time.Hour, true},
		{"setting the clock back is a jump", -time.Hour, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var c clockWatch
				c.mark(time.Now())
				if got := c.jumped(time.Now().Add(tc.wall)) != 0; got != tc.want {
					t.Errorf("jumped = %v, want %v", got, tc.want)
				}
			})
		})
	}
}
