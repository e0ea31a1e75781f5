package ui

import (
	"fmt"
	"image/color"
	"slices"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ibkr-tray/ibkr-tray/gateway"
	"github.com/ibkr-tray/ibkr-tray/session"
	"github.com/ibkr-tray/ibkr-tray/ui/runner"
)

// statusActions are what the status window's buttons do. They must return
// at once (habit 4).
type statusActions struct {
	// Copy puts text on the clipboard (nil: the app's clipboard).
	Copy func(text string)

	Login, Logout, Restart, OpenLogFolder func()
	SelectAccount                         func(id string)
	// Do runs one of the keeper's other offers (Retry automatic login,
	// Log in in the browser, ...), as the tray menu does.
	Do func(Action)
}

// statusView is the status window's content: everything a user asks "is it
// working?" about. It is built once and updated from each snapshot on the
// UI goroutine.
type statusView struct {
	actions statusActions

	icon   *widget.Icon
	title  *widget.Label
	reason *widget.Label
	notice *widget.Label // why there is no tray icon, when there is none

	gateway, connection, account, session *widget.Form
	values                                map[string]*widget.Label

	accounts     *widget.Select
	settingPick  bool // true while update sets the picker, so it sends no command
	band         *fyne.Container
	share        *widget.Label
	events       *widget.Label
	output       *widget.Label
	login        *widget.Button
	offers       *fyne.Container // the keeper's other offers, as buttons
	offered      []menuItem      // what offers shows
	logout       *widget.Button
	restart      *widget.Button
	body         *fyne.Container
	content      fyne.CanvasObject
	lastIcon     IconState
	iconResource func(IconState) fyne.Resource

	outages *widget.Label // the list under the 24 h band
	copied  *widget.Label // says Copy status worked
	lastNow time.Time     // when the window was last updated, for Copy status
	// Shown when the browser or the file manager would not open: what it
	// was asked to open, to copy by hand.
	openFailed     *widget.Label
	openFailedText *widget.Entry
	openFailedBox  *fyne.Container
}

// Rows of the status window, in order, per section.
var (
	gatewayRows    = []string{"State", "Process", "Uptime", "Restarts", "Version", "Folder"}
	connectionRows = []string{"Connected", "Authenticated", "Competing", "Server"}
	sessionRows    = []string{"SSO session ends", "Last tickle", "Last login", "Failed logins"}
)

func newStatusView(a statusActions) *statusView {
	v := &statusView{actions: a, values: map[string]*widget.Label{}}
	v.iconResource = func(s IconState) fyne.Resource { return iconResource(s, "") }
	v.icon = widget.NewIcon(v.iconResource(IconWorking))
	v.title = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	v.reason = widget.NewLabel("")
	v.reason.Wrapping = fyne.TextWrapWord
	v.notice = widget.NewLabel("")
	v.notice.Wrapping = fyne.TextWrapWord
	v.notice.Importance = widget.WarningImportance
	v.notice.Hide()

	form := func(rows []string) *widget.Form {
		f := widget.NewForm()
		for _, r := range rows {
			l := widget.NewLabel("")
			l.Wrapping = fyne.TextWrapBreak
			v.values[r] = l
			f.Append(r, l)
		}
		return f
	}
	v.gateway = form(gatewayRows)
	v.connection = form(connectionRows)
	v.account = form([]string{"User"})
	v.accounts = widget.NewSelect(nil, func(id string) {
		if !v.settingPick && id != "" && v.actions.SelectAccount != nil {
			v.actions.SelectAccount(id)
		}
	})
	v.accounts.PlaceHolder = "(no accounts yet)"
	v.account.Append("Account", v.accounts)
	v.session = form(sessionRows)

	v.band = container.New(&bandLayout{})
	v.share = widget.NewLabel("")
	v.outages = widget.NewLabel("")
	v.outages.Wrapping = fyne.TextWrapWord
	v.copied = widget.NewLabel("")
	v.openFailed = widget.NewLabel("")
	v.openFailed.Wrapping = fyne.TextWrapWord
	v.openFailed.Importance = widget.WarningImportance
	v.openFailedText = widget.NewEntry()
	v.openFailedBox = container.NewVBox(v.openFailed, v.openFailedText)
	v.openFailedBox.Hide()
	v.events = widget.NewLabel("")
	v.events.Wrapping = fyne.TextWrapWord
	v.output = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	v.output.Wrapping = fyne.TextWrapBreak

	v.login = widget.NewButton(labelLogin, a.Login)
	v.logout = widget.NewButton("Log out", a.Logout)
	v.restart = widget.NewButton(labelRestart, a.Restart)
	buttons := container.NewHBox(v.login, v.logout, v.restart, widget.NewButton("Open log folder", a.OpenLogFolder))
	v.offers = container.NewHBox()
	v.offers.Hide()

	header := container.NewBorder(nil, nil, container.NewGridWrap(fyne.NewSquareSize(32), v.icon), nil, v.title)
	v.body = container.NewVBox(
		header, v.reason, v.notice, v.offers, buttons,
		widget.NewCard("", "Gateway", v.gateway),
		widget.NewCard("", "Connection", v.connection),
		widget.NewCard("", "User and accounts", v.account),
		widget.NewCard("", "Session", v.session),
		widget.NewCard("", "Last 24 hours", container.NewVBox(
			container.NewStack(canvas.NewRectangle(color.NRGBA{R: 0x80, G: 0x80, B: 0x80, A: 0x40}), v.band),
			container.NewHBox(smallLabel("24 h ago"), layout.NewSpacer(), smallLabel("now")),
			bandLegend(), v.share, v.outages)),
		widget.NewCard("", "Recent events", v.events),
		widget.NewCard("", "Gateway output", v.output),
	)
	// Under the buttons: Copy status, and what could not be opened.
	copyRow := container.NewHBox(widget.NewButtonWithIcon("Copy status", theme.ContentCopyIcon(), v.copyStatus), v.copied)
	at := slices.Index(v.body.Objects, fyne.CanvasObject(buttons)) + 1
	v.body.Objects = slices.Insert(v.body.Objects, at, []fyne.CanvasObject{copyRow, v.openFailedBox}...)
	// Keep a scroll bar's width free on the right, so the bar covers no
	// field or button.
	scrollRoom := canvas.NewRectangle(color.Transparent)
	scrollRoom.SetMinSize(fyne.NewSize(theme.ScrollBarSize(), 0))
	v.content = container.NewVScroll(container.NewBorder(nil, nil, nil, scrollRoom, v.body))
	return v
}

// setNotice shows a warning line under the status (e.g. no tray).
func (v *statusView) setNotice(s string) {
	v.notice.SetText(s)
	v.notice.Show()
	v.body.Refresh()
}

// update fills the window from a snapshot, the timeline and the gateway's
// output, as of now.
func (v *statusView) update(st runner.Status, tl *Timeline, output []string, now time.Time) {
	if s := iconFor(st); s != v.lastIcon {
		v.lastIcon = s
		v.icon.SetResource(v.iconResource(s))
	}
	v.title.SetText(statusLine(st))
	v.reason.SetText(sentence(capitalise(reasonOf(st))))

	g, s := st.Gateway, st.Session
	set := func(row, text string) {
		if text == "" {
			text = "—"
		}
		v.values[row].SetText(text)
	}
	set("State", gatewayState(g))
	var proc []string
	if g.PID != 0 {
		proc = append(proc, "pid "+strconv.Itoa(g.PID))
	}
	if g.Port != 0 {
		proc = append(proc, "port "+strconv.Itoa(g.Port))
	}
	if g.URL != "" {
		proc = append(proc, g.URL)
	}
	set("Process", strings.Join(proc, ", "))
	if !g.Started.IsZero() && g.State.Up() {
		set("Uptime", session.Words(now.Sub(g.Started)))
	} else {
		set("Uptime", "")
	}
	restarts := strconv.Itoa(g.Restarts)
	if g.LastExit != "" {
		restarts += " (last exit: " + g.LastExit + ")"
	}
	set("Restarts", restarts)
	set("Version", g.Version)
	set("Folder", g.Dir)

	up := g.State.Up()
	set("Connected", yesNo(up && s.Auth.Connected))
	set("Authenticated", yesNo(up && s.Auth.Authenticated))
	set("Competing", yesNo(up && s.Auth.Competing))
	set("Server", strings.TrimSpace(s.Auth.ServerName+" "+s.Auth.ServerVersion))

	user := s.User
	if user != "" {
		if s.Paper {
			user += " (paper)"
		} else {
			user += " (live)"
		}
	}
	set("User", user)
	v.settingPick = true
	v.accounts.Options = append([]string(nil), s.Accounts...)
	if s.SelectedAccount != v.accounts.Selected {
		v.accounts.SetSelected(s.SelectedAccount)
	}
	v.accounts.Refresh()
	v.settingPick = false
	if len(s.Accounts) > 1 && up && s.State == session.Authenticated {
		v.accounts.Enable()
	} else {
		v.accounts.Disable()
	}

	if !s.SSOExpires.IsZero() && s.SSOExpires.After(now) {
		set("SSO session ends", "in "+session.Words(s.SSOExpires.Sub(now))+" ("+clock(s.SSOExpires)+")")
	} else {
		set("SSO session ends", "")
	}
	set("Last tickle", ago(s.LastTickle, now))
	last := ago(s.LastLogin, now)
	if last != "" && s.LastLoginMethod != "" {
		last += ", " + lastLoginHow(s.LastLoginMethod)
	}
	set("Last login", last)
	set("Failed logins", fmt.Sprintf("%d in a row, %d today", s.FailedLoginsInRow, s.FailedLoginsToday))

	v.band.Layout.(*bandLayout).set(v.band, tl.Spans(now), now.Add(-tl.Window), now)
	share, observed := tl.AuthenticatedShare(now)
	if observed > 0 {
		v.share.SetText(fmt.Sprintf("Authenticated %.1f%% of the last %s", 100*share, session.Words(observed)))
	} else {
		v.share.SetText("Nothing recorded yet.")
	}

	v.outages.SetText(outageList(tl.Outages(now)))
	v.lastNow = now

	var ev []string
	for i, e := range tl.Events() {
		if i == 10 {
			break
		}
		ev = append(ev, e.At.Format("15:04:05")+"  "+e.Text)
	}
	v.events.SetText(strings.Join(ev, "\n"))

	if n := len(output); n > 12 {
		output = output[n-12:]
	}
	if len(output) == 0 {
		v.output.SetText("(no output yet)")
	} else {
		v.output.SetText(strings.Join(output, "\n"))
	}

	items := menuModel(st, false)
	for _, it := range items {
		switch it.Action {
		case ActLogin:
			enable(v.login, it.Enabled)
		case ActRestart:
			v.restart.SetText(it.Label)
			enable(v.restart, it.Enabled)
		}
	}
	v.showOffers(sessionActions(st))
	enable(v.logout, up && s.State == session.Authenticated)
	v.body.Refresh() // rows grew or shrank
}

// showOffers puts the keeper's other offers above the usual buttons,
// rebuilt only when they change.
func (v *statusView) showOffers(items []menuItem) {
	if slices.Equal(items, v.offered) {
		return
	}
	v.offered = items
	var objs []fyne.CanvasObject
	for _, it := range items {
		a := it.Action
		objs = append(objs, widget.NewButton(it.Label, func() {
			if v.actions.Do != nil {
				v.actions.Do(a)
			}
		}))
	}
	v.offers.Objects = objs
	if len(objs) == 0 {
		v.offers.Hide()
	} else {
		v.offers.Show()
	}
	v.offers.Refresh()
}

func smallLabel(s string) *widget.Label {
	l := widget.NewLabel(s)
	l.SizeName = theme.SizeNameCaptionText
	return l
}

func enable(b *widget.Button, on bool) {
	if on {
		b.Enable()
	} else {
		b.Disable()
	}
}

func gatewayState(g gateway.Status) string {
	switch g.State {
	case gateway.Running:
		if g.Simulator {
			return "running (simulator)"
		}
		return "running"
	case gateway.Adopted:
		return "adopted (started by someone else; watched only)"
	case gateway.Restarting:
		if !g.RetryAt.IsZero() {
			return "restarting at " + clock(g.RetryAt)
		}
		return "restarting"
	case 0:
		return ""
	}
	return strings.ToLower(g.State.String())
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func clock(t time.Time) string { return t.Format("15:04:05") }

func ago(t, now time.Time) string {
	if t.IsZero() {
		return ""
	}
	return session.Words(now.Sub(t)) + " ago (" + clock(t) + ")"
}

// Band colours: green authenticated, amber recovering, red down. The
// legend names them, so colour is not the only cue.
var bandColours = map[Band]color.NRGBA{
	BandAuthenticated: {R: 0x2E, G: 0x7D, B: 0x32, A: 0xFF},
	BandRecovering:    {R: 0xF9, G: 0xA8, B: 0x25, A: 0xFF},
	BandDown:          {R: 0xC6, G: 0x28, B: 0x28, A: 0xFF},
}

func bandLegend() fyne.CanvasObject {
	var items []fyne.CanvasObject
	for _, b := range []Band{BandAuthenticated, BandRecovering, BandDown} {
		r := canvas.NewRectangle(bandColours[b])
		// Centred in the label's height, so each square lines up with its word.
		items = append(items, container.NewCenter(container.NewGridWrap(fyne.NewSquareSize(12), r)), widget.NewLabel(b.String()))
	}
	return container.NewHBox(items...)
}

// bandLayout places one rectangle per span across the width, in
// proportion to time; unrecorded time stays empty.
type bandLayout struct {
	spans    []Span
	from, to time.Time
}

// minFaultWidth is the narrowest a fault is drawn, in pixels: in a 24 h
// band 500 px wide one pixel is about 3 minutes, and a short outage must
// still catch the eye.
const minFaultWidth = 6

func (l *bandLayout) set(c *fyne.Container, spans []Span, from, to time.Time) {
	// Faults go last, so they are drawn over the green they may overlap
	// once widened. l.spans follows the objects' order.
	var ok, faults []Span
	for _, s := range spans {
		if s.Band == BandAuthenticated {
			ok = append(ok, s)
		} else {
			faults = append(faults, s)
		}
	}
	l.spans, l.from, l.to = append(ok, faults...), from, to
	objs := make([]fyne.CanvasObject, len(l.spans))
	for i, s := range l.spans {
		objs[i] = canvas.NewRectangle(bandColours[s.Band])
	}
	c.Objects = objs
	c.Refresh()
}

func (l *bandLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	total := l.to.Sub(l.from)
	if total <= 0 {
		return
	}
	for i, o := range objs {
		if i >= len(l.spans) {
			break
		}
		s := l.spans[i]
		x := float32(s.From.Sub(l.from)) / float32(total) * size.Width
		w := float32(s.To.Sub(s.From)) / float32(total) * size.Width
		w = max(w, 1)
		if s.Band != BandAuthenticated && w < minFaultWidth {
			w = minFaultWidth
			x = min(x, size.Width-w) // one at "now" stays inside the band
		}
		o.Move(fyne.NewPos(x, 0))
		o.Resize(fyne.NewSize(w, size.Height))
	}
}

func (l *bandLayout) MinSize([]fyne.CanvasObject) fyne.Size { return fyne.NewSize(240, 18) }

var _ fyne.Layout = (*bandLayout)(nil)

// lastLoginHow says who did the last login, in the user's words.
func lastLoginHow(method string) string {
	switch method {
	case "manual":
		return "by you in the browser"
	case "browser":
		return "automated login"
	case "reauthenticate":
		return "the session was reconnected automatically"
	}
	return method
}

// outageList is the list under the band: each outage with its times and
// how long it lasted, newest first; at most 10.
func outageList(outages []Outage) string {
	if len(outages) == 0 {
		return "No outages."
	}
	var b strings.Builder
	b.WriteString("Outages (not authenticated):")
	for i, o := range outages {
		if i == 10 {
			fmt.Fprintf(&b, "\n…and %d earlier", len(outages)-10)
			break
		}
		b.WriteString("\n" + o.String())
	}
	return b.String()
}

// copyStatus puts the plain-text report on the clipboard, for a support
// request.
func (v *statusView) copyStatus() {
	text := v.report()
	if v.actions.Copy != nil {
		v.actions.Copy(text)
	} else {
		fyne.CurrentApp().Clipboard().SetContent(text)
	}
	v.copied.SetText("Copied, with your IBKR username but no password or secret.")
}

// showOpenFailed says that the browser or the file manager did not open
// what, and shows it to copy by hand. UI goroutine.
func (v *statusView) showOpenFailed(what, target string, err error) {
	v.openFailed.SetText(sentence(capitalise(fmt.Sprintf("could not open %s (%v). Open it yourself; you can copy it from here", what, err))))
	v.openFailedText.OnChanged = nil
	v.openFailedText.SetText(target)
	v.openFailedText.OnChanged = func(s string) { // selectable, not editable
		if s != target {
			v.openFailedText.SetText(target)
		}
	}
	v.openFailedBox.Show()
	v.body.Refresh()
}
