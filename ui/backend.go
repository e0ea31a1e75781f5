package ui

import (
	"context"

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
	Login()
	Logout()
	RestartGateway()
	SelectAccount(id string)
}

// BackendOptions is what the tray hands to StartBackend and StartDemo.
type BackendOptions struct {
	Config config.Config
	Paths  config.Paths
}

// Started is a running backend. Done closes when it has stopped, after the
// context given to StartBackend ended (and any gateway it started is gone).
type Started struct {
	Backend Backend
	Done    <-chan struct{}
}

// StartBackend builds the runner from the settings and runs it until ctx
// ends. The lead wires it in main.go to runner.New + Run; the tray reports
// an error when it is left nil.
var StartBackend func(ctx context.Context, o BackendOptions) (Started, error)

// StartDemo runs the built-in simulator as the gateway with a demo user
// whose credentials live in memory only, and injects faults every minute or
// so. The lead wires it to the runner and gateway/sim.
var StartDemo func(ctx context.Context, o BackendOptions) (Started, error)
