package ui

import (
	"context"
	"log/slog"

	"github.com/ibkr-tray/ibkr-tray/ui/config"
	"github.com/ibkr-tray/ibkr-tray/ui/runner"
)

// Backend is what the tray needs from the runner: snapshots, a wake-up on
// change, and commands that return at once. *runner.Runner satisfies it.
type Backend interface {
	Status() runner.Status
	// Subscribe returns a capacity-1 channel woken on every change (and at
	// once), and a func that unsubscribes.
	Subscribe() (<-chan struct{}, func())
	// Output is the last lines of the gateway's output.
	Output() []string
	// Login logs in: automated when the keeper allows it, else in the
	// user's browser (Offers.Login).
	Login()
	Logout()
	RestartGateway()
	SelectAccount(id string)
	// RetryLogin acknowledges the in-a-row login cap: exactly one automated
	// attempt (Offers.Retry). It is the only thing a click does to the cap.
	RetryLogin()
	// LoginInBrowser opens the gateway's login page in the user's browser
	// and waits for their login (Offers.LoginInBrowser).
	LoginInBrowser()
	// CancelLogin stops waiting for a manual login (Offers.CancelLogin).
	CancelLogin()
	// CredentialsChanged says the stored credentials changed (Settings):
	// a rejection of the old ones no longer applies.
	CredentialsChanged()
	// ApproveOnDemoPhone taps Approve on the demo user's phone: the
	// simulator answers its pending IB Key push. An error outside the
	// demo. It may take a moment: call it off the UI goroutine.
	ApproveOnDemoPhone() error
}

// The runner is the tray's Backend (its ApproveOnDemoPhone is an error
// outside the demo).
var _ Backend = (*runner.Runner)(nil)

// BackendOptions is what the tray hands to StartBackend and StartDemo.
type BackendOptions struct {
	Config config.Config
	Paths  config.Paths
	// Log is the profile's logger: with several profiles its lines say
	// which one (nil: slog.Default()).
	Log *slog.Logger
}

// Started is a running backend. Done closes when it has stopped, after the
// context given to StartBackend ended (and any gateway it started is gone).
type Started struct {
	Backend Backend
	Done    <-chan struct{}
}

// StartBackend builds the runner from the settings and runs it until ctx
// ends. Tests replace it with a fake.
var StartBackend = startRunner

// StartDemo runs the built-in simulator as the gateway with a demo user
// whose credentials live in memory only, and injects faults every minute or
// so. Tests replace it with a fake.
var StartDemo = startDemo

// startRunner takes the profile's lock (one copy of the app per profile),
// then runs the runner; Done closes once the gateway it started has stopped
// and the lock is released.
func startRunner(ctx context.Context, o BackendOptions) (Started, error) {
	lock, err := runner.Lock(o.Paths.LockFile, o.Paths.Profile)
	if err != nil {
		return Started{}, err
	}
	r, err := runner.New(runner.Options{Config: o.Config, Paths: o.Paths, Logger: o.Log})
	if err != nil {
		lock.Release()
		return Started{}, err
	}
	if err := r.Start(ctx); err != nil {
		lock.Release()
		return Started{}, err
	}
	done := make(chan struct{})
	go func() {
		<-r.Done()
		lock.Release()
		close(done)
	}()
	return Started{Backend: r, Done: done}, nil
}

// startDemo runs the demo backend (it takes the demo profile's own lock):
// the side-by-side demo's live or paper user by the profile's name.
func startDemo(ctx context.Context, o BackendOptions) (Started, error) {
	r, done, err := runner.StartDemo(ctx, demoOptions(o))
	if err != nil {
		return Started{}, err
	}
	return Started{Backend: r, Done: done}, nil
}

// The runner applies settings the tray saves without a restart.
var _ reconfigurer = (*runner.Runner)(nil)
