//go:build unix

package gateway

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"
)

// benchRuns is how many samples each benchmark takes, whatever b.N is:
// one sample lasts up to seconds. Run with -benchtime=1x.
const benchRuns = 20

// samples holds durations and prints them as a table row.
type samples []time.Duration

func (s samples) quantile(q float64) time.Duration {
	c := slices.Clone(s)
	slices.Sort(c)
	i := int(q*float64(len(c)-1) + 0.5)
	return c[i]
}

func (s samples) row(name string) string {
	return fmt.Sprintf("| %-34s | %4d | %9s | %9s | %9s | %9s |", name, len(s),
		s.quantile(0.5).Round(100*time.Microsecond), s.quantile(0.95).Round(100*time.Microsecond),
		slices.Min(s).Round(100*time.Microsecond), slices.Max(s).Round(100*time.Microsecond))
}

const tableHead = "| measure                            | runs |    median |       p95 |       min |       max |\n|------------------------------------|------|-----------|-----------|-----------|-----------|"

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// byHand starts run.sh the way a person would (in its own group so it can
// be cleaned up) and waits for GET / to answer.
func byHand(b *testing.B, dir string, port int) time.Duration {
	b.Helper()
	p := newProber()
	start := time.Now()
	cmd := exec.Command(filepath.Join(dir, "bin", "run.sh"), "root/conf.yaml")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), childEnv+"=sim")
	newGroup(cmd)
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	deadline := time.Now().Add(20 * time.Second)
	for p.gateway(context.Background(), probeURL("https", port), time.Second) != nil {
		if time.Now().After(deadline) {
			b.Fatal("the simulator started by hand did not answer within 20s")
		}
		<-tick.C
	}
	took := time.Since(start)
	killGroup(cmd.Process.Pid)
	cmd.Wait()
	for tick := time.NewTicker(5 * time.Millisecond); groupAlive(cmd.Process.Pid); <-tick.C {
	}
	return took
}

func benchConfig(b *testing.B, dir string) Config {
	c := fastConfig(b, dir, childEnv+"=sim")
	c.Logger = slog.New(slog.DiscardHandler) // the test log would slow the runs
	c.LogFile = ""
	c.Backoff = Backoff{}
	c.HealthInterval = 0
	c.HealthTimeout = 0
	return c
}

// BenchmarkStartToReady measures the supervisor's overhead: start to
// ready of the simulator distribution under the supervisor, minus the same
// started by hand. Target: under 100 ms at the median.
func BenchmarkStartToReady(b *testing.B) {
	port := freePort(b)
	dir := writeSimDist(b, port, 0)
	var hand, sup samples
	for range benchRuns {
		hand = append(hand, byHand(b, dir, port))

		s, err := NewSupervisor(benchConfig(b, dir))
		if err != nil {
			b.Fatal(err)
		}
		ch, unsub := s.Subscribe()
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		start := time.Now()
		go func() { done <- s.Run(ctx) }()
		for s.Status().State != Running {
			select {
			case <-ch:
			case <-time.After(20 * time.Second):
				b.Fatalf("not Running after 20s: %+v", s.Status())
			}
		}
		sup = append(sup, time.Since(start))
		unsub()
		cancel()
		if err := <-done; err != nil {
			b.Fatal(err)
		}
	}
	over := make(samples, len(sup))
	for i := range sup {
		over[i] = sup[i] - hand[i]
	}
	b.ReportMetric(ms(over.quantile(0.5)), "overhead-median-ms")
	b.ReportMetric(ms(over.quantile(0.95)), "overhead-p95-ms")
	b.Logf("\n%s\n%s\n%s\n%s", tableHead, hand.row("start to ready, by hand"), sup.row("start to ready, supervised"), over.row("overhead (supervised - by hand)"))
}

// BenchmarkStop measures stopping a real-shaped tree: bash -> simulator
// that exits 2 s after SIGTERM, like java. Target: under 2.5 s.
func BenchmarkStop(b *testing.B) {
	port := freePort(b)
	dir := writeSimDist(b, port, 2*time.Second)
	var stops samples
	for range benchRuns {
		s, err := NewSupervisor(benchConfig(b, dir))
		if err != nil {
			b.Fatal(err)
		}
		r := &running{Supervisor: s, done: make(chan error, 1)}
		ctx, cancel := context.WithCancel(context.Background())
		r.cancel = cancel
		go func() { r.done <- s.Run(ctx) }()
		st := waitFor(b, s, 20*time.Second, "Running", inState(Running))
		start := time.Now()
		if err := r.quit(b); err != nil {
			b.Fatal(err)
		}
		stops = append(stops, time.Since(start))
		if groupAlive(st.PID) {
			b.Fatalf("group %d left after stop", st.PID)
		}
	}
	b.ReportMetric(ms(stops.quantile(0.5)), "stop-median-ms")
	b.ReportMetric(ms(stops.quantile(0.95)), "stop-p95-ms")
	b.Logf("\n%s\n%s", tableHead, stops.row("stop (TermDelay 2s)"))
}

// BenchmarkCrashToReady measures a crash (the simulator's crash fault) to
// ready again, at the first failure (the failure window is so short that
// every crash is a first). Target: under 3 s.
func BenchmarkCrashToReady(b *testing.B) {
	port := freePort(b)
	dir := writeSimDist(b, port, 0)
	c := benchConfig(b, dir)
	c.FailureWindow = time.Nanosecond
	c.HealthInterval = 5 * time.Second
	s, err := NewSupervisor(c)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	defer func() {
		cancel()
		<-done
	}()
	p := newProber()
	var crashes samples
	for range benchRuns {
		st := waitFor(b, s, 20*time.Second, "Running", inState(Running))
		start := time.Now()
		resp, err := p.client.Post("https://127.0.0.1:"+strconv.Itoa(port)+"/sim/crash", "", nil)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode/100 != 2 {
				b.Fatalf("crash fault answered %s", resp.Status)
			}
		}
		waitFor(b, s, 20*time.Second, "Running again", func(n Status) bool { return n.State == Running && n.PID != st.PID })
		crashes = append(crashes, time.Since(start))
	}
	b.ReportMetric(ms(crashes.quantile(0.5)), "crash-to-ready-median-ms")
	b.ReportMetric(ms(crashes.quantile(0.95)), "crash-to-ready-p95-ms")
	b.Logf("\n%s\n%s", tableHead, crashes.row("crash to ready (first failure)"))
}
