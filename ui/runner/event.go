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
	// ApprovalUntil is set while an IB Key request waits for the user's
	// tap in IBKR Mobile: when the app stops waiting. A phone
	// notification service can show it ("approve by 14:05").
	ApprovalUntil time.Time `json:"approvalUntil,omitzero"`
	// Text is the change in one sentence, for chat services and phone
	// notifications that show a "text" field.
	Text string `json:"text"`
}

// newEvent describes the change from prev to cur (prev nil: the first).
func newEvent(profile string, prev *Status, cur Status, now time.Time) Event {
	e := Event{
		Time:          now.UTC(),
		Profile:       profile,
		State:         cur.Session.State.String(),
		GatewayState:  cur.Gateway.State.String(),
		Cause:         string(cur.Session.Cause),
		Reason:        cur.Session.Reason,
		Ready:         cur.Session.Ready(now),
		NeedsYou:      cur.Session.NeedsYou,
		ApprovalUntil: cur.Session.Latches.ApprovalUntil.UTC(),
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
	if !e.ApprovalUntil.IsZero() {
		fmt.Fprintf(&b, ": approve the login in IBKR Mobile by %s UTC", e.ApprovalUntil.Format("15:04:05"))
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
		"IBKR_TRAY_APPROVAL_UNTIL=" + rfc3339OrEmpty(e.ApprovalUntil),
	}
}

func oneZero(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// rfc3339OrEmpty writes t in RFC 3339, or "" for no time.
func rfc3339OrEmpty(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.RFC3339)
}
