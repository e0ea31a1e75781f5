package session

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// capStep is one thing that happens to the cap in a table test.
type capStep struct {
	at   time.Duration // after the test's start
	do   string        // "fail", "stop", "ok", "abandon", "reset", "retry", "crash"
	want capReason     // allowed() afterwards
}

func TestLoginCapLimits(t *testing.T) {
	start := time.Date(2026, 11, 22, 10, 0, 0, 0, time.Local)
	cases := []struct {
		name  string
		steps []capStep
	}{
		{"three failures in a row trip the cap", []capStep{
			{0, "fail", capOpen}, {time.Minute, "fail", capOpen}, {2 * time.Minute, "fail", capInRow},
		}},
		{"a success resets the in-row count", []capStep{
			{0, "fail", capOpen}, {time.Minute, "fail", capOpen}, {2 * time.Minute, "ok", capOpen},
			{3 * time.Minute, "fail", capOpen}, {4 * time.Minute, "fail", capOpen}, {5 * time.Minute, "fail", capInRow},
		}},
		{"ten failures in a day trip the cap even with successes between", []capStep{
			{0, "fail", capOpen}, {1, "fail", capOpen}, {2, "ok", capOpen},
			{3, "fail", capOpen}, {4, "fail", capOpen}, {5, "ok", capOpen},
			{6, "fail", capOpen}, {7, "fail", capOpen}, {8, "ok", capOpen},
			{9, "fail", capOpen}, {10, "fail", capOpen}, {11, "ok", capOpen},
			{12, "fail", capOpen}, {13, "fail", capPerDay},
		}},
		{"the day's count starts again the next day", []capStep{
			{0, "fail", capOpen}, {1, "fail", capOpen}, {2, "ok", capOpen},
			{24 * time.Hour, "fail", capOpen},
		}},
		{"a tripped cap stays tripped the next day", []capStep{
			{0, "fail", capOpen}, {1, "fail", capOpen}, {2, "fail", capInRow},
			{48 * time.Hour, "", capInRow},
		}},
		// A rejected password is Latches.CredentialsRejected (the policy's
		// blocker); the cap only counts it.
		{"a wrong password counts as one failure", []capStep{{0, "stop", capOpen}}},
		{"Retry lets exactly one more attempt past the in-row cap", []capStep{
			{0, "fail", capOpen}, {1, "fail", capOpen}, {2, "fail", capInRow}, {3, "retry", capOpen},
			{4, "fail", capInRow}, {5, "retry", capOpen}, {6, "fail", capInRow},
		}},
		{"Retry never clears the day's count", []capStep{
			{0, "fail", capOpen}, {1, "fail", capOpen}, {2, "fail", capInRow}, {3, "retry", capOpen},
			{4, "fail", capInRow}, {5, "retry", capOpen}, {6, "fail", capInRow}, {7, "retry", capOpen},
			{8, "fail", capInRow}, {9, "retry", capOpen}, {10, "fail", capInRow}, {11, "retry", capOpen},
			{12, "fail", capInRow}, {13, "retry", capOpen}, {14, "fail", capInRow}, {15, "retry", capOpen},
			{16, "fail", capPerDay}, {17, "retry", capPerDay},
		}},
		{"an abandoned attempt does not count", []capStep{
			{0, "abandon", capOpen}, {1, "abandon", capOpen}, {2, "abandon", capOpen}, {3, "abandon", capOpen},
			{4, "fail", capOpen}, {5, "fail", capOpen},
		}},
		{"an attempt cut short by a crash counts", []capStep{
			{0, "crash", capOpen}, {1, "crash", capOpen}, {2, "crash", capInRow},
		}},
		{"reset clears everything", []capStep{
			{0, "fail", capOpen}, {1, "fail", capOpen}, {2, "fail", capInRow}, {3, "reset", capOpen},
			{4, "fail", capOpen}, {5, "fail", capOpen}, {6, "fail", capInRow},
		}},
		{"a manual login clears the in-row latch", []capStep{
			{0, "fail", capOpen}, {1, "fail", capOpen}, {2, "fail", capInRow}, {3, "manual", capOpen},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := loginCap{MaxInRow: 3, MaxPerDay: 10}
			for i, s := range tc.steps {
				now := start.Add(s.at)
				switch s.do {
				case "fail":
					c.begin(now)
					c.failed(now, "timeout", false)
				case "stop":
					c.begin(now)
					c.failed(now, "bad-credentials", true)
				case "ok":
					c.begin(now)
					c.succeeded(now)
				case "manual":
					c.succeeded(now)
				case "abandon":
					c.begin(now)
					c.abandoned(now)
				case "crash":
					// The app died mid-attempt: the next run loads the record.
					c.begin(now)
					b, _ := json.Marshal(c.rec)
					c = loginCap{MaxInRow: 3, MaxPerDay: 10}
					if err := json.Unmarshal(b, &c.rec); err != nil {
						t.Fatal(err)
					}
					if !c.recovered(now) {
						t.Fatalf("step %d: a pending attempt was not recovered", i)
					}
				case "reset":
					c.reset(now)
				case "retry":
					c.allowOneInRow(now)
				}
				if got := c.allowed(now); got != s.want {
					t.Fatalf("step %d (%s at %v): allowed = %v, want %v (record %+v)", i, s.do, s.at, got, s.want, c.rec)
				}
			}
		})
	}
}

func TestLoginCapRecordSurvivesRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", "session-state.json")
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.Local)
	c := loginCap{MaxInRow: 3, MaxPerDay: 10}
	for range 3 {
		c.begin(now)
		c.failed(now, "bad-code", false)
	}
	if err := saveCapRecord(path, c.rec); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("state file mode = %v, want 0600", fi.Mode().Perm())
	}
	rec, err := loadCapRecord(path)
	if err != nil {
		t.Fatal(err)
	}
	again := loginCap{MaxInRow: 3, MaxPerDay: 10, rec: rec}
	if got := again.allowed(now); got != capInRow {
		t.Errorf("after a restart allowed = %v, want %v", got, capInRow)
	}
	if rec.FailedInRow != 3 || rec.FailedToday != 3 {
		t.Errorf("counts after restart = %d in row, %d today; want 3, 3", rec.FailedInRow, rec.FailedToday)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("the folder holds %d files, want only the record (temporary files left behind?)", len(entries))
	}
}

func TestLoginCapRecordHoldsNoSecrets(t *testing.T) {
	path := filepath.Join(t.TempDir(), "session-state.json")
	now := time.Now()
	c := loginCap{MaxInRow: 3, MaxPerDay: 10}
	c.begin(now)
	c.failed(now, "bad-credentials", true)
	if err := saveCapRecord(path, c.rec); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]any
	if err := json.Unmarshal(b, &fields); err != nil {
		t.Fatal(err)
	}
	allowed := map[string]bool{"version": true, "failedInRow": true, "failedToday": true, "day": true,
		"lastFailure": true, "lastFailureKind": true, "tripped": true, "stopped": true, "pending": true,
		"pendingDay": true, "lastLogin": true}
	for k := range fields {
		if !allowed[k] {
			t.Errorf("the state file has a field %q that is not a count or a timestamp", k)
		}
	}
}

func TestLoadCapRecord(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cases := []struct {
		name    string
		path    string
		wantErr string
		wantRow int
	}{
		{"a missing file is a fresh start", filepath.Join(dir, "none.json"), "", 0},
		{"no path keeps the record in memory", "", "", 0},
		{"a good file is read", write("good.json", `{"version":1,"failedInRow":2,"day":"2026-11-22"}`), "", 2},
		{"a damaged file is an error", write("bad.json", `{"version":1,"failedIn`), "damaged", 0},
		{"a newer version is an error", write("new.json", `{"version":9}`), "newer version", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := loadCapRecord(tc.path)
			if tc.wantErr == "" && err != nil {
				t.Fatalf("unexpected error %v", err)
			}
			if tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("error = %v, want one saying %q", err, tc.wantErr)
			}
			if r.FailedInRow != tc.wantRow {
				t.Errorf("FailedInRow = %d, want %d", r.FailedInRow, tc.wantRow)
			}
		})
	}
}
