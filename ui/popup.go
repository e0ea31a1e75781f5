package ui

import (
	"slices"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ibkr-tray/ibkr-tray/session"
	"github.com/ibkr-tray/ibkr-tray/ui/runner"
)

// popupWidth is the popup's width; its height follows its text.
const popupWidth = 440

// labelLater dismisses the popup until the session is back.
const labelLater = "Later"

// popupView is the window that comes up when the keeper says a person must
// act (Status.NeedsYou). Its title and two sentences come from the cause
// (causes.go), its buttons from Status.Offers, so it never shows an action
// that would do nothing or the wrong thing.
type popupView struct {
	content fyne.CanvasObject
	title   *widget.Label
	message *widget.Label
	// countdown is the time left to the cause's deadline ("1:42 left"),
	// hidden for causes without one.
	countdown *widget.Label
	until     time.Time // the deadline counted down to; zero when none
	buttons   *fyne.Container
	do        func(Action)
	later     func()
}

func newPopupView(do func(Action), later func()) *popupView {
	v := &popupView{do: do, later: later}
	v.title = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	v.title.Wrapping = fyne.TextWrapWord
	v.message = widget.NewLabel("")
	v.message.Wrapping = fyne.TextWrapWord
	v.countdown = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	v.countdown.Hide()
	// Buttons wrap to a second row rather than widen the popup.
	v.buttons = container.New(layout.NewRowWrapLayout())
	icon := container.NewGridWrap(fyne.NewSquareSize(32), widget.NewIcon(iconResource(IconAttention, "")))
	v.content = container.NewVBox(container.NewBorder(nil, nil, icon, nil, v.title), v.message, v.countdown, v.buttons)
	return v
}

// popupActions are the popup's buttons for a snapshot: Log in when the
// keeper offers it, then the other offers. In the demo the demo phone's
// Approve comes first: it is what the visitor came to see.
func popupActions(st runner.Status) []menuItem {
	var items []menuItem
	if st.Session.Offers.Login {
		items = append(items, menuItem{Label: labelLogin, Enabled: true, Action: ActLogin})
	}
	items = append(items, sessionActions(st)...)
	if i := slices.IndexFunc(items, func(it menuItem) bool { return it.Action == ActApproveOnDemoPhone }); i > 0 {
		demo := items[i]
		items = append([]menuItem{demo}, slices.Delete(items, i, i+1)...)
	}
	return items
}

// show fills the popup from a snapshot seen at now.
func (v *popupView) show(st runner.Status, now time.Time) {
	title, what, do := explain(st)
	v.title.SetText(title)
	v.until = time.Time{}
	if u := textFor(st.Session.Cause).until; u != nil {
		v.until = u(st)
	}
	if v.until.IsZero() {
		v.message.SetText(message(what, do))
		v.countdown.Hide()
	} else {
		// The countdown says, live, what Do says with a clock time.
		v.message.SetText(what)
		v.countdown.Show()
		v.tick(now)
	}
	var objs []fyne.CanvasObject
	for i, it := range popupActions(st) {
		a := it.Action
		b := widget.NewButton(it.Label, func() { v.do(a) })
		if i == 0 {
			b.Importance = widget.HighImportance
		}
		objs = append(objs, b)
	}
	objs = append(objs, widget.NewButton(labelLater, v.later))
	v.buttons.Objects = objs
	v.buttons.Refresh()
}

// tick moves the countdown to now. UI goroutine.
func (v *popupView) tick(now time.Time) {
	if v.until.IsZero() {
		return
	}
	if s := session.TimeLeft(v.until, now); s != v.countdown.Text {
		v.countdown.SetText(s)
	}
}

// counting reports whether the popup shows a countdown.
func (v *popupView) counting() bool { return !v.until.IsZero() }

// button is the button with this label, or nil.
func (v *popupView) button(label string) *widget.Button {
	for _, o := range v.buttons.Objects {
		if b, ok := o.(*widget.Button); ok && b.Text == label {
			return b
		}
	}
	return nil
}

// buttonLabels are the labels of the buttons, in order.
func (v *popupView) buttonLabels() []string {
	var s []string
	for _, o := range v.buttons.Objects {
		if b, ok := o.(*widget.Button); ok {
			s = append(s, b.Text)
		}
	}
	return s
}

// fit is the window size that shows all of the content: popupWidth wide
// (wider only if one button needs it), as tall as the wrapped text and
// buttons. Wrapped text and buttons know their height only once laid out
// at their width, hence the resize before the second measure.
func (v *popupView) fit() fyne.Size {
	pad := 2 * theme.Padding() // the window's padding around its content
	width := max(popupWidth-pad, v.buttons.MinSize().Width)
	v.content.Resize(fyne.NewSize(width, v.content.MinSize().Height))
	h := v.content.MinSize().Height
	v.content.Resize(fyne.NewSize(width, h))
	return fyne.NewSize(width+pad, h+pad)
}

// updatePopup shows the popup while the keeper says a person must act,
// updates it as the cause changes, and closes it when that is over. UI
// goroutine.
func (t *trayApp) updatePopup(st runner.Status) {
	if !needsUser(st) {
		if st.Session.State == session.Authenticated || quiet(st) {
			t.popupLater = nil // the loss is over: a new one may pop up
		}
		t.closePopup()
		return
	}
	cause := st.Session.Cause
	if t.popupLater[cause] {
		t.closePopup()
		return
	}
	if !t.popupOpen && t.inShell() && t.shell.popupUpElsewhere(t) {
		// One popup at a time: two would open centred on top of each
		// other. This one comes up when that one goes (popupGone).
		return
	}
	if t.popupWin == nil {
		if textFor(cause).NoPopup {
			return
		}
		t.popupWin = t.app.NewWindow(textFor(cause).Title)
		t.popup = newPopupView(t.do, t.dismissPopup)
		t.popupWin.SetContent(t.popup.content)
		t.popupWin.SetCloseIntercept(t.dismissPopup)
		t.popupCause = ""
	}
	t.popup.show(st, t.o.Now())
	t.popupCounting.Store(t.popup.counting())
	if t.inShell() { // several profiles: say whose
		t.popup.title.SetText(t.named(t.popup.title.Text))
	}
	if cause != t.popupCause {
		t.popupCause = cause
		t.popupWin.SetTitle(t.named(textFor(cause).Title))
		t.popupWin.Resize(t.popup.fit())
	}
	if !t.popupOpen {
		// Placed from the screen's size and its own: centred, so all of
		// it is on screen whatever the panel and the window manager do.
		t.popupWin.CenterOnScreen()
		t.popupWin.Show()
		t.shown("popup")
		t.popupOpen = true
	}
}

// closePopup hides the popup window; the next popup shows it again. It is
// hidden, not closed: Fyne 2.7.1 crashes (a nil GLFW window in
// processMouseMoved) when a pointer event is still queued for a window it
// has just destroyed, and the popup, centred on the screen, is often under
// the pointer when the session comes back and it goes.
func (t *trayApp) closePopup() {
	wasOpen := t.popupWin != nil && t.popupOpen
	if wasOpen {
		t.popupWin.Hide()
	}
	t.popupOpen, t.popupCause = false, ""
	t.popupCounting.Store(false)
	if wasOpen && t.shell != nil {
		t.shell.popupGone(t)
	}
}

// tickPopup moves the popup's countdown to the clock's now. UI goroutine.
func (t *trayApp) tickPopup() {
	if t.popupOpen && t.popup != nil {
		t.popup.tick(t.o.Now())
	}
}

// dismissPopup is "Later": the popup stays away for this cause until the
// session is back.
func (t *trayApp) dismissPopup() {
	if t.popupLater == nil {
		t.popupLater = map[session.Cause]bool{}
	}
	t.popupLater[t.popupCause] = true
	t.closePopup()
}
