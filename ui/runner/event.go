package runner

import (
	"fmt"
	"strings"
	"time"
)

// Event is one change of the session or the gateway, as hooks (in their
// environment) and webhooks (as JSON) get it. It carries states, the
// stable cause and the reason in words; never a secret (the keeper holds
// none in its status).
type Event struct {
	Time    time.Time `json:"time"`
	Profile string    `json:"profile"`
	// State and Previous are the session's states (Previous is "" for the
	// first event after the app starts).
	State    string `json:"state"`
	Previous string `json:"previous"`
	// GatewayState and PreviousGatewayState are the supervisor's.
	GatewayState         string `json:"gatewayState"`
	PreviousGatewayState string `json:"previousGatewayState"`
	Cause                string `json:"cause"`
	Reason               string `json:"reason"`
	Ready                bool   `json:"ready"`
	// NeedsYou: a human must act; nothing brings the session back alone.
	NeedsYou bool `json:"needsYou"`
	// Text is the change in one sentence, for chat services and phone
	// notifications that show a "text" field.
	Text string `json:"text"`
}

// newEvent describes the change from prev to cur (prev nil: the first).
func newEvent(profile string, prev *Status, cur Status, now time.Time) Event {
	e := Event{
		Time:         now.UTC(),
		Profile:      profile,
		State:        cur.Session.State.String(),
		GatewayState: cur.Gateway.State.String(),
		Cause:        string(cur.Session.Cause),
		Reason:       cur.Session.Reason,
		Ready:        cur.Session.Ready(now),
		NeedsYou:     cur.Session.NeedsYou,
	}
	if prev != nil {
		e.Previous = prev.Session.State.String()
		e.PreviousGatewayState = prev.Gateway.State.String()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "ibkr-tray (%s): the session is %s", profile, e.State)
	if e.Cause != "" {
		fmt.Fprintf(&b, " (%s)", e.Cause)
	}
	fmt.Fprintf(&b, ", the gateway is %s", e.GatewayState)
	if e.NeedsYou {
		b.WriteString("; you must act")
	}
	if e.Reason != "" {
		b.WriteString(": " + e.Reason)
	}
	e.Text = b.String()
	return e
}

// env is the event as a hook's environment variables.
func (e Event) env() []string {
	return []string{
		"IBKR_TRAY_STATE=" + e.State,
		"IBKR_TRAY_PREVIOUS=" + e.Previous,
		"IBKR_TRAY_GATEWAY_STATE=" + e.GatewayState,
		"IBKR_TRAY_GATEWAY_PREVIOUS=" + e.PreviousGatewayState,
		"IBKR_TRAY_CAUSE=" + e.Cause,
		"IBKR_TRAY_REASON=" + e.Reason,
		"IBKR_TRAY_READY=" + oneZero(e.Ready),
		"IBKR_TRAY_NEEDS_YOU=" + oneZero(e.NeedsYou),
		"IBKR_TRAY_PROFILE=" + e.Profile,
		"IBKR_TRAY_TIME=" + e.Time.Format(time.RFC3339),
	}
}

func oneZero(b bool) string {
	if b {
		return "1"
	}
	return "0"
}
