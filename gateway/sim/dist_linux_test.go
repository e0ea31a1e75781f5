package sim

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// becomeSubreaper makes this test process adopt orphaned descendants, so it
// can collect the simulator's exit status after bash, its parent, is gone.
var becomeSubreaper = sync.OnceValue(func() error {
	const prSetChildSubreaper = 36
	_, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0)
	if errno != 0 {
		return errno
	}
	return nil
})

// children lists the child pids of pid.
func children(t *testing.T, pid int) []int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
	if err != nil {
		out, perr := exec.Command("ps", "-o", "pid=", "--ppid", strconv.Itoa(pid)).Output()
		if perr != nil && len(out) == 0 {
			return nil
		}
		b = out
	}
	var pids []int
	for _, f := range strings.Fields(string(b)) {
		n, _ := strconv.Atoi(f)
		pids = append(pids, n)
	}
	return pids
}

var openLine = regexp.MustCompile(`^Open (https?)://localhost:(\d+) to login$`)

// TestDistRunsSimulatorAsChildOfBash writes a distribution with `sim dist`
// and starts it the way the supervisor starts the real one: bin/run.sh
// root/conf.yaml from the distribution root, in its own process group.
func TestDistRunsSimulatorAsChildOfBash(t *testing.T) {
	if err := becomeSubreaper(); err != nil {
		t.Skipf("cannot become a child subreaper: %v", err)
	}
	for _, tc := range []struct {
		name      string
		termGroup bool // SIGTERM to the group (else to bash alone first)
	}{
		{"SIGTERM to the group stops it with 143", true},
		{"SIGTERM to bash alone leaves it serving", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			var out, errb bytes.Buffer
			if code := mainDist([]string{dir, "--port", "0", "--term-delay", "300ms", "--authenticated"}, &out, &errb); code != 0 {
				t.Fatalf("sim dist: %d %s", code, errb.String())
			}
			cmd := exec.Command(filepath.Join(dir, "bin", "run.sh"), "root/conf.yaml")
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), helperEnv+"=1")
			cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
			stdout, _ := cmd.StdoutPipe()
			// A file, not a buffer: os/exec would wait for the orphaned
			// simulator to close a pipe before Wait returned.
			stderrFile, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
			if err != nil {
				t.Fatal(err)
			}
			defer stderrFile.Close()
			cmd.Stderr = stderrFile
			stderrText := func() string { b, _ := os.ReadFile(stderrFile.Name()); return string(b) }
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			bashPID := cmd.Process.Pid
			t.Cleanup(func() { syscall.Kill(-bashPID, syscall.SIGKILL) })

			lines := make(chan string, 100)
			go func() {
				sc := bufio.NewScanner(stdout)
				for sc.Scan() {
					lines <- sc.Text()
				}
				close(lines)
			}()
			var scheme, port string
			var printed []string
			deadline := time.After(20 * time.Second)
			// Read up to the last start-up line: once bash is gone, Wait
			// closes the pipe, and a line still to come would kill the
			// simulator with SIGPIPE.
			for last := false; port == "" || !last; {
				select {
				case l, ok := <-lines:
					if !ok {
						t.Fatalf("run.sh ended before the Open line; stdout %q stderr %q", printed, stderrText())
					}
					printed = append(printed, l)
					if m := openLine.FindStringSubmatch(l); m != nil {
						scheme, port = m[1], m[2]
					}
					last = last || strings.HasPrefix(l, "Simulator: users")
				case <-deadline:
					t.Fatalf("no Open line within 20 s; stdout %q", printed)
				}
			}
			if scheme != "https" {
				t.Errorf("scheme %s, want https", scheme)
			}

			kids := children(t, bashPID)
			if len(kids) != 1 || kids[0] == bashPID {
				t.Fatalf("bash %d has children %v, want exactly the simulator (run.sh must not exec)", bashPID, kids)
			}
			simPID := kids[0]
			cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", simPID))
			// Tools find the real gateway by its main class in java's
			// command line; they must find the simulator the same way.
			want := "sim --main-class " + GatewayMainClass + " --conf root/conf.yaml"
			if args := strings.Split(string(cmdline), "\x00"); !strings.Contains(strings.Join(args, " "), want) {
				t.Errorf("the child runs %q, want ... %s", args, want)
			}

			s := &Server{url: "https://127.0.0.1:" + port}
			c := newClient(t, s)
			if status, _ := c.do("GET", "/", nil); status != 302 {
				t.Errorf("GET /: %d", status)
			}
			if tk := c.obj("POST", "/v1/api/tickle", nil); tk["iserver"].(map[string]any)["authStatus"].(map[string]any)["authenticated"] != true {
				t.Errorf("tickle on --authenticated: %v", tk)
			}

			if tc.termGroup {
				syscall.Kill(-bashPID, syscall.SIGTERM)
			} else {
				syscall.Kill(bashPID, syscall.SIGTERM)
			}
			start := time.Now()
			bashDone := make(chan error, 1)
			go func() { bashDone <- cmd.Wait() }()
			select { // bash dies of the signal at once; the simulator is now ours
			case err := <-bashDone:
				if ee, ok := err.(*exec.ExitError); !ok || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGTERM {
					t.Errorf("bash ended with %v, want killed by SIGTERM", err)
				}
			case <-time.After(20 * time.Second):
				t.Fatal("bash did not end within 20 s of SIGTERM")
			}
			if !tc.termGroup {
				if status, _ := c.do("GET", "/", nil); status != 302 {
					t.Errorf("after SIGTERM to bash alone, GET /: %d, want the simulator still serving", status)
				}
				syscall.Kill(simPID, syscall.SIGTERM)
			}
			var ws syscall.WaitStatus
			done := make(chan error, 1)
			go func() {
				_, err := syscall.Wait4(simPID, &ws, 0, nil)
				done <- err
			}()
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("wait for the simulator: %v", err)
				}
			case <-time.After(20 * time.Second):
				t.Fatal("the simulator did not exit within 20 s of SIGTERM")
			}
			if !ws.Exited() || ws.ExitStatus() != 143 {
				t.Errorf("simulator wait status %v (exit %d), want exit 143", ws, ws.ExitStatus())
			}
			if took := time.Since(start); took < 300*time.Millisecond {
				t.Errorf("exited %v after SIGTERM, want after the 300 ms term delay", took)
			}

			logs, _ := filepath.Glob(filepath.Join(dir, "logs", "gw.*.log"))
			if len(logs) != 1 {
				t.Fatalf("logs %v, want one gw.DATE.log", logs)
			}
			log, _ := os.ReadFile(logs[0])
			for _, want := range []string{Version, "effective config", "path=/v1/api/tickle"} {
				if !strings.Contains(string(log), want) {
					t.Errorf("the log lacks %q", want)
				}
			}
			all := string(log) + strings.Join(printed, "\n") + stderrText()
			if strings.Contains(all, DemoTOTPSecret) || strings.Contains(all, "password\":") {
				t.Error("a secret reached the log or the output")
			}
			if stderrText() != "" {
				t.Errorf("stderr %q, want nothing (like the real gateway)", stderrText())
			}
		})
	}
}
