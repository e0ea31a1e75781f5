package desktoptest

import (
	"os/exec"
	"strconv"
	"testing"
	"time"
)

func TestDescendantsFindsGrandchildrenAndAliveSeesThemGo(t *testing.T) {
	// sh -> sleep: the sleep is a grandchild of this test.
	sh := exec.Command("sh", "-c", "sleep 600 & wait")
	if err := sh.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sh.Process.Kill(); _ = sh.Wait() })
	var sleep int
	deadline := time.Now().Add(5 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for sleep == 0 {
		for _, pid := range Descendants(sh.Process.Pid) {
			if CommandLine(pid) == "sleep 600" {
				sleep = pid
			}
		}
		if sleep == 0 && time.Now().After(deadline) {
			t.Fatalf("no sleep 600 below the shell %d after 5 s", sh.Process.Pid)
		}
		<-tick.C
	}
	if !Alive(sleep) {
		t.Fatalf("Alive(%d) = false for a running sleep", sleep)
	}
	if err := exec.Command("kill", "-9", strconv.Itoa(sleep)).Run(); err != nil {
		t.Fatal(err)
	}
	_ = sh.Wait() // the shell reaps the sleep, then exits
	if Alive(sleep) {
		t.Errorf("Alive(%d) = true after kill -9 and reaping", sleep)
	}
	if d := Descendants(sh.Process.Pid); len(d) != 0 {
		t.Errorf("the exited shell still has descendants %v", d)
	}
}
