package ui

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ibkr-tray/ibkr-tray/ui/runner"
)

// fakeBackend is a Backend whose snapshots the test sets and whose commands
// it records.
type fakeBackend struct {
	mu     sync.Mutex
	st     runner.Status
	out    []string
	subs   map[int]chan struct{}
	next   int
	calls  []string
	called chan string
	onCall func(string) // also told of each command (the e2e child prints it)
}

func newFakeBackend(st runner.Status) *fakeBackend {
	return &fakeBackend{st: st, subs: map[int]chan struct{}{}, called: make(chan string, 64)}
}

func (f *fakeBackend) Status() runner.Status {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.st
}

func (f *fakeBackend) Output() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.out)
}

func (f *fakeBackend) Subscribe() (<-chan struct{}, func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ch := make(chan struct{}, 1)
	ch <- struct{}{}
	id := f.next
	f.next++
	f.subs[id] = ch
	return ch, func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		delete(f.subs, id)
	}
}

// set publishes a new snapshot.
func (f *fakeBackend) set(st runner.Status) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.st = st
	for _, ch := range f.subs {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

func (f *fakeBackend) setOutput(lines ...string) {
	f.mu.Lock()
	f.out = lines
	f.mu.Unlock()
}

func (f *fakeBackend) record(c string) {
	f.mu.Lock()
	f.calls = append(f.calls, c)
	on := f.onCall
	f.mu.Unlock()
	if on != nil {
		on(c)
	}
	select {
	case f.called <- c:
	default:
	}
}

func (f *fakeBackend) Login()                  { f.record("Login") }
func (f *fakeBackend) Logout()                 { f.record("Logout") }
func (f *fakeBackend) RestartGateway()         { f.record("RestartGateway") }
func (f *fakeBackend) SelectAccount(id string) { f.record("SelectAccount " + id) }
func (f *fakeBackend) ResetLoginCap()          { f.record("ResetLoginCap") }
func (f *fakeBackend) RetryLogin()             { f.record("RetryLogin") }
func (f *fakeBackend) LoginInBrowser()         { f.record("LoginInBrowser") }
func (f *fakeBackend) CancelLogin()            { f.record("CancelLogin") }
func (f *fakeBackend) CredentialsChanged()     { f.record("CredentialsChanged") }
func (f *fakeBackend) ApproveOnDemoPhone() error {
	f.record("ApproveOnDemoPhone")
	return nil
}

// commands is what the backend was told, in order.
func (f *fakeBackend) commands() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// waitCall waits for a command to reach the backend.
func (f *fakeBackend) waitCall(t testing.TB, want string) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case c := <-f.called:
			if c == want {
				return
			}
		case <-deadline:
			f.mu.Lock()
			defer f.mu.Unlock()
			t.Fatalf("the backend did not get %q within 5 s; it got %q", want, f.calls)
		}
	}
}

// eventually polls cond until it holds or 5 s pass.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not so after 5 s", what)
		}
		<-tick.C
	}
}

// serialUI runs funcs one at a time, standing in for Fyne's UI goroutine
// (the test driver runs fyne.Do on the caller's goroutine). There is one
// such goroutine per process, so one lock serves every test: a window's
// background work that finishes after its test (the Settings window reading
// the keyring) must not touch Fyne's caches beside the next test's UI.
type serialUI struct{}

// uiMu is the process's one UI goroutine, for every serialUI.
var uiMu sync.Mutex

func (s *serialUI) do(f func()) {
	uiMu.Lock()
	defer uiMu.Unlock()
	f()
}
