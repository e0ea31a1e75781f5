// Package runner wires the gateway supervisor and the session keeper from the
// user's settings, and serves their status on a loopback endpoint. The tray
// and the headless mode both run one. It never imports Fyne.
package runner

import (
	"github.com/ibkr-tray/ibkr-tray/gateway"
	"github.com/ibkr-tray/ibkr-tray/session"
)

// Status is what the runner publishes: the supervisor's and the keeper's
// snapshots side by side. It is also the JSON of GET /status.
type Status struct {
	Gateway gateway.Status `json:"gateway"`
	Session session.Status `json:"session"`
	// Demo is set when the gateway is the built-in simulator.
	Demo bool `json:"demo,omitempty"`
	// Profile names the settings profile this runner runs (the control
	// socket's status only: GET /status on TCP leaves it out).
	Profile string `json:"profile,omitempty"`
}
