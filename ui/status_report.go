package ui

import (
	"runtime"
	"strings"

	"fyne.io/fyne/v2/widget"
)

// report is the status window as plain text, for a support request: what
// the window shows, in its words, and nothing else. It holds no secret:
// the window never shows the password or the TOTP secret, and the report
// leaves out the gateway's raw output (it can carry anything the gateway
// logs). The IBKR username and the selected account appear, as in the
// window: the user pastes the report knowingly.
func (v *statusView) report() string {
	var b strings.Builder
	line := func(s string) { b.WriteString(s + "\n") }
	line("ibkr-tray status, " + v.lastNow.Format("2006-01-02 15:04:05 MST") + " (" + runtime.GOOS + "/" + runtime.GOARCH + ")")
	line("")
	line(v.title.Text)
	if v.reason.Text != "" {
		line(v.reason.Text)
	}
	if v.notice.Visible() {
		line(v.notice.Text)
	}
	section := func(name string, rows []string) {
		line("")
		line(name)
		for _, r := range rows {
			line("  " + r + ": " + v.values[r].Text)
		}
	}
	section("Gateway", gatewayRows)
	section("Connection", connectionRows)
	section("User and accounts", []string{"User"})
	acct := v.accounts.Selected
	if acct == "" {
		acct = "—"
	}
	line("  Account: " + acct)
	section("Session", sessionRows)
	line("")
	line("Last 24 hours")
	line("  " + v.share.Text)
	indent(&b, v.outages)
	line("")
	line("Recent events")
	indent(&b, v.events)
	return b.String()
}

// indent writes a label's lines, indented.
func indent(b *strings.Builder, l *widget.Label) {
	if l.Text == "" {
		b.WriteString("  —\n")
		return
	}
	for _, s := range strings.Split(l.Text, "\n") {
		b.WriteString("  " + s + "\n")
	}
}
