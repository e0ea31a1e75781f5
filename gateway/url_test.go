//go:build unix

package gateway

import (
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"
)

func TestStatusURLFollowsThePortOfEachStart(t *testing.T) {
	first := freePort(t)
	dir := writeFakeDist(t, first)
	r := startSupervisor(t, fastConfig(t, dir, childEnv+"=fake"))
	st := waitFor(t, r.Supervisor, 20*time.Second, "Running", inState(Running))
	if st.Port != first || st.URL != "http://localhost:"+strconv.Itoa(first) {
		t.Fatalf("first start: port %d, URL %s; want %d", st.Port, st.URL, first)
	}

	// The user edits conf.yaml's listenPort; the next start uses it.
	second := freePort(t)
	conf := filepath.Join(dir, "root", "conf.yaml")
	b, err := os.ReadFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	b = regexp.MustCompile(`listenPort: \d+`).ReplaceAll(b, []byte("listenPort: "+strconv.Itoa(second)))
	if err := os.WriteFile(conf, b, 0o644); err != nil {
		t.Fatal(err)
	}
	r.Restart()
	st = waitFor(t, r.Supervisor, 20*time.Second, "Running on the edited port", func(st Status) bool {
		return st.State == Running && st.Port == second
	})
	if want := "http://localhost:" + strconv.Itoa(second); st.URL != want || r.URL() != want {
		t.Errorf("after conf.yaml changed: Status.URL %s, URL() %s; want %s", st.URL, r.URL(), want)
	}
	if code := getRoot(t, "http", second); code != http.StatusFound {
		t.Errorf("GET / on the new port answered %d", code)
	}

	// The port setting changes while the app runs.
	third := freePort(t)
	if err := r.SetPort(third); err != nil {
		t.Fatal(err)
	}
	r.Restart()
	st = waitFor(t, r.Supervisor, 20*time.Second, "Running on the port setting", func(st Status) bool {
		return st.State == Running && st.Port == third
	})
	if want := "http://localhost:" + strconv.Itoa(third); st.URL != want {
		t.Errorf("after SetPort: Status.URL %s, want %s", st.URL, want)
	}
	if err := r.SetPort(70000); err == nil {
		t.Error("SetPort(70000) was accepted")
	}
}

func TestAdoptedGatewayURLIsItsPort(t *testing.T) {
	port := plainServer(t, gatewayRedirect)
	c := fastConfig(t, writeFakeDist(t, freePort(t)), childEnv+"=fake")
	c.Port = port
	r := startSupervisor(t, c)
	st := waitFor(t, r.Supervisor, 10*time.Second, "Adopted", inState(Adopted))
	if want := "http://localhost:" + strconv.Itoa(port); st.URL != want {
		t.Errorf("adopted URL %s, want %s", st.URL, want)
	}
}
