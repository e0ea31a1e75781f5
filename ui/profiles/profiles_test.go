package profiles

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/ibkr-tray/ibkr-tray/session/secrets"
	"github.com/ibkr-tray/ibkr-tray/ui/autostart"
	"github.com/ibkr-tray/ibkr-tray/ui/config"
	"github.com/ibkr-tray/ibkr-tray/ui/runner"
)

// home gives the test its own settings, state and runtime folders.
func home(t *testing.T) string {
	t.Helper()
	h := t.TempDir()
	t.Setenv("HOME", h)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(h, ".config"))
	t.Setenv("XDG_STATE_HOME", filepath.Join(h, ".local", "state"))
	t.Setenv("XDG_RUNTIME_DIR", filepath.Join(h, "run"))
	return h
}

func paths(t *testing.T, name string) config.Paths {
	t.Helper()
	p, err := config.PathsFor(name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// mapStore is an in-memory store per profile (secrets.Memory holds one
// set for every profile, the demo's), with a failure to inject.
type mapStore struct {
	mu      sync.Mutex
	m       map[string]secrets.Credentials
	failSet error
	failDel error
	// failDelOf limits failDel to one profile ("" = all).
	failDelOf string
}

func newMapStore() *mapStore { return &mapStore{m: map[string]secrets.Credentials{}} }

func (s *mapStore) Where() string { return "the test store" }
func (s *mapStore) Get(_ context.Context, p string) (secrets.Credentials, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.m[p]
	if !ok {
		return c, secrets.ErrNotFound
	}
	return c, nil
}
func (s *mapStore) Set(_ context.Context, p string, c secrets.Credentials) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failSet != nil {
		return s.failSet
	}
	s.m[p] = c
	return nil
}
func (s *mapStore) Delete(_ context.Context, p string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failDel != nil && (s.failDelOf == "" || s.failDelOf == p) {
		return s.failDel
	}
	if _, ok := s.m[p]; !ok {
		return secrets.ErrNotFound
	}
	delete(s.m, p)
	return nil
}

func TestAddListAndFreeStatusAddresses(t *testing.T) {
	home(t)
	if names, err := List(); err != nil || len(names) != 0 {
		t.Fatalf("List on a new home = %v, %v; want none", names, err)
	}
	if err := config.Default().Save(paths(t, "default").ConfigFile); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"zeta": "127.0.0.1:5482", "alpha": "127.0.0.1:5483", "live": "127.0.0.1:5484"}
	for _, n := range []string{"zeta", "alpha", "live"} {
		c, err := Add(n)
		if err != nil {
			t.Fatalf("Add(%s): %v", n, err)
		}
		if c.StatusAddr != want[n] || c.GatewayDir != "" {
			t.Errorf("Add(%s) = statusAddr %q gatewayDir %q; want %s and none", n, c.StatusAddr, c.GatewayDir, want[n])
		}
		saved, _, err := config.Load(paths(t, n).ConfigFile)
		if err != nil || saved.StatusAddr != want[n] {
			t.Errorf("saved settings of %s: %q, %v", n, saved.StatusAddr, err)
		}
	}
	names, err := List()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(names, []string{"default", "alpha", "live", "zeta"}) {
		t.Errorf("List = %v; want default first, then by name", names)
	}
	if _, err := Add("alpha"); err == nil || !strings.Contains(err.Error(), `a profile named "alpha" already exists`) {
		t.Errorf("Add of a taken name: %v", err)
	}
	if _, err := Add("no spaces"); err == nil || !strings.Contains(err.Error(), "may only use letters") {
		t.Errorf("Add of a bad name: %v", err)
	}
	if _, err := Add("demo-paper"); err == nil || !strings.Contains(err.Error(), "kept for the demo mode") {
		t.Errorf("Add of a demo name: %v", err)
	}
	// A freed address is given again.
	if err := Remove("alpha", newMapStore()); err != nil {
		t.Fatal(err)
	}
	if c, err := Add("beta"); err != nil || c.StatusAddr != "127.0.0.1:5483" {
		t.Errorf("Add after a removal = %q, %v; want the freed 5483", c.StatusAddr, err)
	}
}

func TestRenameMovesSettingsStateAndCredentials(t *testing.T) {
	home(t)
	if _, err := Add("paper"); err != nil {
		t.Fatal(err)
	}
	from := paths(t, "paper")
	os.MkdirAll(from.StateDir, 0o700)
	os.WriteFile(from.AppLog(), []byte("old log\n"), 0o600)
	store := newMapStore()
	creds := secrets.Credentials{Username: "u", Password: "p"}
	store.m["paper"] = creds

	if err := (autostart.Entry{Profile: "paper", Exe: "/usr/bin/ibkr-tray"}).Install(); err != nil {
		t.Fatal(err)
	}
	if err := Rename("paper", "practice", store); err != nil {
		t.Fatalf("Rename: %v", err)
	}
	if (autostart.Entry{Profile: "paper"}).Installed() || !(autostart.Entry{Profile: "practice"}).Installed() {
		t.Error("the start-at-login entry did not follow the rename")
	}
	to := paths(t, "practice")
	if !exists(to.ConfigFile) || exists(from.ConfigFile) || exists(filepath.Dir(from.ConfigFile)) {
		t.Errorf("settings not moved: new %v, old %v", exists(to.ConfigFile), exists(from.ConfigFile))
	}
	if b, err := os.ReadFile(to.AppLog()); err != nil || string(b) != "old log\n" {
		t.Errorf("state folder not moved: %q, %v", b, err)
	}
	if _, ok := store.m["paper"]; ok || store.m["practice"] != creds {
		t.Errorf("credentials not moved: %v", store.m)
	}
	if names, _ := List(); !slices.Equal(names, []string{"practice"}) {
		t.Errorf("List = %v", names)
	}

	// The default can be renamed too: only its config.json moves.
	if err := config.Default().Save(paths(t, "default").ConfigFile); err != nil {
		t.Fatal(err)
	}
	if err := Rename("default", "live", store); err != nil {
		t.Fatalf("Rename(default): %v", err)
	}
	if names, _ := List(); !slices.Equal(names, []string{"live", "practice"}) {
		t.Errorf("List after renaming the default = %v", names)
	}
}

func TestRenameRollsBackWhenTheCredentialsCannotMove(t *testing.T) {
	home(t)
	if _, err := Add("paper"); err != nil {
		t.Fatal(err)
	}
	from := paths(t, "paper")
	os.MkdirAll(from.StateDir, 0o700)
	store := newMapStore()
	store.m["paper"] = secrets.Credentials{Username: "u", Password: "p"}
	store.failSet = errors.New("the keyring is locked")

	err := Rename("paper", "practice", store)
	if err == nil || !strings.Contains(err.Error(), "nothing was changed") || !strings.Contains(err.Error(), "the keyring is locked") {
		t.Fatalf("Rename with a failing store: %v", err)
	}
	to := paths(t, "practice")
	if !exists(from.ConfigFile) || !exists(from.StateDir) || exists(to.ConfigFile) || exists(to.StateDir) {
		t.Errorf("not rolled back: old settings %v state %v, new settings %v state %v",
			exists(from.ConfigFile), exists(from.StateDir), exists(to.ConfigFile), exists(to.StateDir))
	}

	store.failSet, store.failDel, store.failDelOf = nil, errors.New("the keyring did not answer"), "paper"
	if err := Rename("paper", "practice", store); err == nil || !strings.Contains(err.Error(), "nothing was changed") {
		t.Fatalf("Rename with a failing delete: %v", err)
	}
	if _, ok := store.m["practice"]; ok || !exists(from.ConfigFile) {
		t.Errorf("the new item or settings stayed after the rollback: %v", store.m)
	}
}

func TestRenameAndRemoveRefuseWhileTheProfileRuns(t *testing.T) {
	home(t)
	if _, err := Add("paper"); err != nil {
		t.Fatal(err)
	}
	p := paths(t, "paper")
	lock, err := runner.Lock(p.LockFile, p.Profile)
	if err != nil {
		t.Fatal(err)
	}
	store := newMapStore()
	if err := Rename("paper", "other", store); err == nil || !strings.Contains(err.Error(), `cannot rename the profile "paper" while it runs`) {
		t.Errorf("Rename while running: %v", err)
	}
	if err := Remove("paper", store); err == nil || !strings.Contains(err.Error(), `cannot remove the profile "paper" while it runs`) {
		t.Errorf("Remove while running: %v", err)
	}
	if !exists(p.ConfigFile) {
		t.Fatal("the refused calls changed the profile")
	}
	lock.Release()
	if err := Rename("nosuch", "other", store); err == nil || !strings.Contains(err.Error(), `there is no profile named "nosuch"`) {
		t.Errorf("Rename of a missing profile: %v", err)
	}
	if err := Rename("paper", "bad name", store); err == nil || !strings.Contains(err.Error(), "may only use letters") {
		t.Errorf("Rename to a bad name: %v", err)
	}
}

func TestRunningAsksTheControlSocket(t *testing.T) {
	home(t)
	p := paths(t, "paper")
	if run, _ := Running(p); run {
		t.Error("Running with no socket")
	}
	os.MkdirAll(filepath.Dir(p.ControlSocket), 0o700)
	l, err := net.Listen("unix", p.ControlSocket)
	if err != nil {
		t.Fatal(err)
	}
	if run, _ := Running(p); !run {
		t.Error("not Running while the socket answers")
	}
	l.Close()
	if run, _ := Running(p); run {
		t.Error("Running after the socket closed")
	}
}

func TestRemoveDeletesSettingsStateAndCredentials(t *testing.T) {
	home(t)
	if _, err := Add("paper"); err != nil {
		t.Fatal(err)
	}
	p := paths(t, "paper")
	os.MkdirAll(p.Diagnostics(), 0o700)
	dir := t.TempDir()
	store := secrets.File(filepath.Join(dir, "secrets.json"))
	ctx := context.Background()
	if err := store.Set(ctx, "paper", secrets.Credentials{Username: "u", Password: "p"}); err != nil {
		t.Fatal(err)
	}
	if err := store.Set(ctx, "live", secrets.Credentials{Username: "v", Password: "q"}); err != nil {
		t.Fatal(err)
	}
	if err := Remove("paper", store); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	if exists(filepath.Dir(p.ConfigFile)) || exists(p.StateDir) {
		t.Errorf("left behind: settings %v, state %v", exists(p.ConfigFile), exists(p.StateDir))
	}
	if _, err := store.Get(ctx, "paper"); !errors.Is(err, secrets.ErrNotFound) {
		t.Errorf("the credentials stayed: %v", err)
	}
	if _, err := store.Get(ctx, "live"); err != nil {
		t.Errorf("another profile's credentials went too: %v", err)
	}
	if err := Remove("paper", store); err == nil || !strings.Contains(err.Error(), "there is no profile") {
		t.Errorf("second Remove: %v", err)
	}
	failing := newMapStore()
	failing.failDel = errors.New("the keyring is locked")
	if _, err := Add("live"); err != nil {
		t.Fatal(err)
	}
	if err := Remove("live", failing); err == nil || !strings.Contains(err.Error(), "nothing was removed") {
		t.Errorf("Remove with a failing store: %v", err)
	}
	if !exists(paths(t, "live").ConfigFile) {
		t.Error("a failed Remove deleted the settings")
	}
}
