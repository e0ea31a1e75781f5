package ui

import (
	"context"
	"errors"
	"fmt"
	"image/color"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ibkr-tray/ibkr-tray/session"
	"github.com/ibkr-tray/ibkr-tray/session/secrets"
	"github.com/ibkr-tray/ibkr-tray/ui/config"
)

// Choices of the settings window's radio groups.
const (
	modePaper        = "Paper"
	modeLive         = "Live"
	competeLeave     = "Leave the other session alone"
	competeTakeBack  = "Take the session back (logs out TWS or the mobile app)"
	secretsTimeout   = 15 * time.Second
	placeholderKept  = "stored; leave empty to keep"
	placeholderEmpty = "not stored"
)

// The "Second factor" choices, and the settings value of each.
var secondFactors = []struct{ label, value string }{
	{"Automatic", ""},
	{"Authenticator app (TOTP)", "totp"},
	{"IB Key on the phone", "ibkey"},
	{"None (paper)", "none"},
}

// factorLabel is the choice that shows a saved value; one the window does
// not know shows as Automatic (and is kept unless the user picks another).
func factorLabel(value string) string {
	for _, f := range secondFactors {
		if strings.EqualFold(f.value, value) || (f.value == "" && strings.EqualFold(value, "auto")) {
			return f.label
		}
	}
	return secondFactors[0].label
}

// factorValue is the saved value of a choice.
func factorValue(label string) string {
	for _, f := range secondFactors {
		if f.label == label {
			return f.value
		}
	}
	return ""
}

// settingsView is the settings window's content. It edits a copy of what
// is saved: Save writes only the fields the user changed, merged onto what
// is saved at that moment, so a window left open never undoes a change made
// elsewhere (the Welcome window's folder, the tray's "Start at login").
type settingsView struct {
	cfg     config.Config
	profile string
	deps    Deps
	log     *slog.Logger
	// onSave applies saved settings (write the file, restart the runner,
	// switch autostart). It returns a sentence when it fails.
	onSave func(c config.Config, startAtLogin bool) error
	window fyne.Window  // for dialogs; nil in tests
	do     func(func()) // runs on the UI goroutine (fyne.Do)

	// onCredentials, when set, hears that new credentials were stored, so
	// the keeper drops a rejection of the old ones and tries once.
	onCredentials func()

	dir, port, username, password, totp, inRow, perDay *widget.Entry
	mode, compete                                      *widget.RadioGroup
	factor                                             *widget.Select
	notifications, startAtLogin                        *widget.Check
	dirErr, portErr, userErr, totpErr, capsErr         *widget.Label
	code, result                                       *widget.Label
	form                                               *widget.Form
	body                                               *fyne.Container
	content                                            fyne.CanvasObject

	// What is saved, as last loaded (cfg and autostart), and the fields as
	// they were then: a field that differs from base is the user's edit.
	autostart bool
	base      settingsInput
	loading   bool // reload is setting the fields: not the user's edit
	// saved, when set, reads what is saved now (the settings and whether
	// ibkr-tray starts at login); Save merges the edits onto it.
	saved func() (config.Config, bool)
	// onClose closes the window (Cancel); nil in tests.
	onClose func()

	// The "Code now" countdown: a ticker of the window's own, running
	// while a code is shown and stopped when the window closes.
	ticks      func() (<-chan time.Time, func())
	stopTicks  func()
	codeSecret string // the secret whose code is shown; "" when none
	// countdownGone closes when the last countdown's goroutine has ended.
	countdownGone <-chan struct{}
	// storedShown closes once the stored username and placeholders are
	// shown (tests wait for it).
	storedShown <-chan struct{}

	saveButton, cancelButton, choose, check *widget.Button
	note                                    *widget.Label   // where things are kept
	top                                     *fyne.Container // the demo's note
}

func errorLabel() *widget.Label {
	l := widget.NewLabel("")
	l.Wrapping = fyne.TextWrapWord
	l.Importance = widget.DangerImportance
	l.Hide()
	return l
}

func newSettingsView(c config.Config, paths config.Paths, autostart bool, d Deps, onSave func(config.Config, bool) error, log *slog.Logger) *settingsView {
	v := &settingsView{cfg: c, autostart: autostart, profile: paths.Profile, deps: d, onSave: onSave, log: log, do: fyne.Do, ticks: everySecond}
	if v.log == nil {
		v.log = slog.Default()
	}
	in := inputFrom(c, "", autostart)
	v.base = in
	edited := func() { v.edited() }

	v.dir = widget.NewEntry()
	v.dir.SetText(in.GatewayDir)
	v.dir.SetPlaceHolder("the unzipped clientportal.gw folder")
	v.dir.OnChanged = func(string) { v.checkDir(); v.edited() }
	v.dirErr = errorLabel()
	v.choose = widget.NewButton("Choose…", v.chooseDir)
	download, _ := url.Parse(DownloadPage)
	v.port = widget.NewEntry()
	v.port.SetText(in.Port)
	v.port.SetPlaceHolder(ownPort)
	v.port.OnChanged = func(string) { edited() }
	v.portErr = errorLabel()
	v.mode = widget.NewRadioGroup([]string{modePaper, modeLive}, func(string) { edited() })
	v.mode.Horizontal = true
	v.mode.Required = true
	v.mode.SetSelected(modeName(in.Paper))

	v.username = widget.NewEntry()
	v.username.OnChanged = func(string) { edited() }
	v.userErr = errorLabel()
	v.password = widget.NewPasswordEntry()
	v.password.SetPlaceHolder(placeholderEmpty)
	v.password.OnChanged = func(string) { edited() }
	v.totp = widget.NewPasswordEntry()
	v.totp.SetPlaceHolder(placeholderEmpty)
	v.totp.OnChanged = func(string) {
		// The code shown was the old text's: it no longer applies.
		if !v.loading {
			v.hideCode()
		}
		edited()
	}
	v.totpErr = errorLabel()
	v.code = widget.NewLabel("")
	v.code.Wrapping = fyne.TextWrapWord
	v.code.Hide()
	v.check = widget.NewButton("Check", v.checkCode)

	var factors []string
	for _, f := range secondFactors {
		factors = append(factors, f.label)
	}
	v.factor = widget.NewSelect(factors, func(string) { edited() })
	v.factor.SetSelected(factorLabel(in.SecondFactor))

	v.compete = widget.NewRadioGroup([]string{competeLeave, competeTakeBack}, func(string) { edited() })
	v.compete.Required = true
	v.compete.SetSelected(competeName(in.TakeBack))
	v.inRow = widget.NewEntry()
	v.inRow.SetText(in.MaxInRow)
	v.inRow.OnChanged = func(string) { edited() }
	v.perDay = widget.NewEntry()
	v.perDay.SetText(in.MaxPerDay)
	v.perDay.OnChanged = func(string) { edited() }
	v.capsErr = errorLabel()
	v.notifications = widget.NewCheck("Show desktop notifications", func(bool) { edited() })
	v.notifications.SetChecked(in.Notifications)
	v.startAtLogin = widget.NewCheck("Start ibkr-tray when I log in", func(bool) { edited() })
	v.startAtLogin.SetChecked(in.StartAtLogin)

	// The result line is never hidden, only emptied: its room stays, so
	// nothing below it moves when a message comes or goes.
	v.result = widget.NewLabel("")
	v.result.Wrapping = fyne.TextWrapWord

	where := "the OS keyring"
	if d.Secrets != nil {
		where = d.Secrets.Where()
	}
	v.form = widget.NewForm(
		widget.NewFormItem("Gateway folder", container.NewVBox(
			container.NewBorder(nil, nil, nil, v.choose, v.dir), v.dirErr,
			widget.NewHyperlink("Download the Client Portal Gateway from IBKR", download))),
		widget.NewFormItem("Port", container.NewVBox(v.port, v.portErr)),
		widget.NewFormItem("Trading mode", v.mode),
		widget.NewFormItem("Username", container.NewVBox(v.username, v.userErr)),
		widget.NewFormItem("Password", v.password),
		widget.NewFormItem("TOTP secret", container.NewVBox(
			container.NewBorder(nil, nil, nil, v.check, v.totp), v.totpErr, v.code)),
		widget.NewFormItem("Second factor", v.factor),
		widget.NewFormItem("Another session", v.compete),
		widget.NewFormItem("Failed logins", container.NewVBox(
			container.NewGridWithColumns(4, widget.NewLabel("in a row"), v.inRow, widget.NewLabel("per day"), v.perDay), v.capsErr)),
		widget.NewFormItem("", v.notifications),
		widget.NewFormItem("", v.startAtLogin),
	)
	note := widget.NewLabel("The password and TOTP secret go straight to " + where + " and are never shown again. The other settings are kept in " + paths.ConfigFile + ", which the headless mode reads too.")
	note.Wrapping = fyne.TextWrapWord
	v.note = note
	v.saveButton = widget.NewButton("Save", v.save)
	v.saveButton.Importance = widget.HighImportance
	v.cancelButton = widget.NewButton("Cancel", v.cancel)
	v.body = container.NewVBox(v.form, note)
	// Save and Cancel sit in a bar under the scrolled form, so no message
	// above them (a field's error, the result) can move them. The form keeps
	// a scroll bar's width free on its right, so the bar covers no field.
	scrollRoom := canvas.NewRectangle(color.Transparent)
	scrollRoom.SetMinSize(fyne.NewSize(theme.ScrollBarSize(), 0))
	bar := container.NewVBox(widget.NewSeparator(), v.result,
		container.NewHBox(v.saveButton, v.cancelButton))
	v.top = container.NewVBox()
	v.content = container.NewBorder(v.top, container.NewPadded(bar), nil, nil,
		container.NewVScroll(container.NewPadded(container.NewBorder(nil, nil, nil, scrollRoom, v.body))))
	v.checkDir()
	return v
}

// settingsWindowSize is the window's first size: wide enough for every
// field (no part of one is hidden behind a scroll bar), tall enough for
// most of the form.
func (v *settingsView) settingsWindowSize() fyne.Size {
	return fyne.NewSize(max(640, v.content.MinSize().Width), 760)
}

func modeName(paper bool) string {
	if paper {
		return modePaper
	}
	return modeLive
}

func competeName(takeBack bool) string {
	if takeBack {
		return competeTakeBack
	}
	return competeLeave
}

// everySecond is the countdown's ticker.
func everySecond() (<-chan time.Time, func()) {
	t := time.NewTicker(time.Second)
	return t.C, t.Stop
}

// edited hears every change of a field. The user's edit makes an earlier
// "Saved." (or "Not saved") stale, so it goes.
func (v *settingsView) edited() {
	if v.loading || v.result == nil {
		return
	}
	v.result.SetText("")
}

// reload shows what is saved now. Fields the user has not edited take the
// saved values; an edit in progress is kept (Save merges it onto these).
// UI goroutine.
func (v *settingsView) reload(c config.Config, autostart bool) {
	now := inputFrom(c, v.base.Username, autostart)
	cur := v.input()
	v.loading = true
	defer func() { v.loading = false }()
	setIf := func(e *widget.Entry, typed, was, saved string) {
		if typed == was && typed != saved {
			e.SetText(saved)
		}
	}
	setIf(v.dir, cur.GatewayDir, v.base.GatewayDir, now.GatewayDir)
	setIf(v.port, cur.Port, v.base.Port, now.Port)
	setIf(v.inRow, cur.MaxInRow, v.base.MaxInRow, now.MaxInRow)
	setIf(v.perDay, cur.MaxPerDay, v.base.MaxPerDay, now.MaxPerDay)
	if cur.Paper == v.base.Paper {
		v.mode.SetSelected(modeName(now.Paper))
	}
	if cur.TakeBack == v.base.TakeBack {
		v.compete.SetSelected(competeName(now.TakeBack))
	}
	if cur.SecondFactor == v.base.SecondFactor {
		v.factor.SetSelected(factorLabel(now.SecondFactor))
	}
	if cur.Notifications == v.base.Notifications {
		v.notifications.SetChecked(now.Notifications)
	}
	if cur.StartAtLogin == v.base.StartAtLogin {
		v.startAtLogin.SetChecked(now.StartAtLogin)
	}
	v.cfg, v.autostart, v.base = c, autostart, now
}

// cancel drops the edits and closes the window.
func (v *settingsView) cancel() {
	v.stopCountdown()
	v.loading = true
	base := v.base
	v.dir.SetText(base.GatewayDir)
	v.port.SetText(base.Port)
	v.mode.SetSelected(modeName(base.Paper))
	v.username.SetText(base.Username)
	v.password.SetText("")
	v.totp.SetText("")
	v.compete.SetSelected(competeName(base.TakeBack))
	v.factor.SetSelected(factorLabel(base.SecondFactor))
	v.inRow.SetText(base.MaxInRow)
	v.perDay.SetText(base.MaxPerDay)
	v.notifications.SetChecked(base.Notifications)
	v.startAtLogin.SetChecked(base.StartAtLogin)
	v.loading = false
	v.result.SetText("")
	v.hideCode()
	v.showErrors(nil)
	if v.onClose != nil {
		v.onClose()
	}
}

// demoNote says whose settings the demo's window edits. A newcomer
// trying the demo expects to leave their real setup untouched, so the demo
// edits its own settings, in memory.
const demoNote = "Demo: these are the demo's own settings. Changes apply to the demo " +
	"and are forgotten when it stops; your settings file and keyring are not touched. " +
	"To set up your own gateway, quit and start ibkr-tray without --demo."

// demo marks the window as the demo's: the note on top, and no "Start at
// login" (that would start the real app).
func (v *settingsView) demo() {
	note := widget.NewLabel(demoNote)
	note.Wrapping = fyne.TextWrapWord
	note.Importance = widget.WarningImportance
	v.top.Add(container.NewPadded(note))
	v.note.SetText("In the demo nothing is written to disk or to the keyring.")
	v.startAtLogin.SetText("Start ibkr-tray when I log in (not in the demo)")
	v.startAtLogin.Disable()
}

// closed stops what the window runs. UI goroutine.
func (v *settingsView) closed() { v.stopCountdown() }

// loadStored fills the username and placeholders from the store. It runs
// the store off the UI goroutine; the channel closes once they are shown.
func (v *settingsView) loadStored() <-chan struct{} {
	done := make(chan struct{})
	if v.deps.Secrets == nil {
		close(done)
		return done
	}
	store, profile := v.deps.Secrets, v.profile
	go func() {
		defer close(done)
		ctx, cancel := context.WithTimeout(context.Background(), secretsTimeout)
		defer cancel()
		c, err := store.Get(ctx, profile)
		v.do(func() { v.showStored(c, err) })
	}()
	return done
}

func (v *settingsView) showStored(c secrets.Credentials, err error) {
	if err != nil && !errors.Is(err, secrets.ErrNotFound) {
		v.showResult(capitalise(err.Error()), true)
		return
	}
	if v.username.Text == v.base.Username {
		v.loading = true
		v.username.SetText(c.Username)
		v.loading = false
	}
	v.base.Username = c.Username
	if c.Password != "" {
		v.password.SetPlaceHolder(placeholderKept)
	}
	if c.TOTPSecret != "" {
		v.totp.SetPlaceHolder(placeholderKept)
	}
}

func (v *settingsView) input() settingsInput {
	return settingsInput{
		GatewayDir: v.dir.Text, Port: v.port.Text, Paper: v.mode.Selected == modePaper,
		Username: v.username.Text, Password: v.password.Text, TOTPSecret: v.totp.Text,
		TakeBack: v.compete.Selected == competeTakeBack, SecondFactor: v.factorInput(), MaxInRow: v.inRow.Text, MaxPerDay: v.perDay.Text,
		Notifications: v.notifications.Checked, StartAtLogin: v.startAtLogin.Checked,
	}
}

// factorInput is the second factor as the window holds it: the saved
// value while the choice still shows it (a value the window has no
// choice for stays as saved), else the value of the choice.
func (v *settingsView) factorInput() string {
	if v.factor.Selected == factorLabel(v.cfg.SecondFactor) {
		return v.cfg.SecondFactor
	}
	return factorValue(v.factor.Selected)
}

// ownPort is the port field's hint before a folder is known.
const ownPort = "the gateway's own (listenPort in its conf.yaml)"

// checkDir checks the folder as the user types or picks it, and shows the
// port its conf.yaml names as the port field's hint.
func (v *settingsView) checkDir() {
	dir := v.dir.Text
	v.port.SetPlaceHolder(ownPort)
	if dir == "" || v.deps.CheckDist == nil {
		setError(v.dirErr, "")
		return
	}
	if port, err := v.deps.CheckDist(dir); err != nil {
		setError(v.dirErr, sentence(capitalise(err.Error())))
	} else {
		setError(v.dirErr, "")
		v.port.SetPlaceHolder(fmt.Sprintf("the gateway's own (%d)", port))
	}
	v.relayout()
}

// relayout lays the form out again after messages appeared or went.
func (v *settingsView) relayout() {
	if v.body == nil {
		return
	}
	v.form.Refresh()
	v.body.Refresh()
}

func (v *settingsView) chooseDir() {
	if v.window == nil {
		return
	}
	pickFolder(v.window, func(dir string) { v.dir.SetText(dir) }) // OnChanged checks it
}

func setError(l *widget.Label, msg string) {
	l.SetText(msg)
	if msg == "" {
		l.Hide()
	} else {
		l.Show()
	}
}

func (v *settingsView) showErrors(err error) {
	var fe fieldErrors
	errors.As(err, &fe)
	setError(v.dirErr, fe[fieldGatewayDir])
	setError(v.portErr, fe[fieldPort])
	setError(v.userErr, fe[fieldUsername])
	setError(v.totpErr, fe[fieldTOTP])
	setError(v.capsErr, fe[fieldCaps])
	v.relayout()
}

// showResult shows the outcome of Save beside the buttons, in red when bad.
func (v *settingsView) showResult(msg string, bad bool) {
	v.result.Importance = widget.MediumImportance
	if bad {
		v.result.Importance = widget.DangerImportance
	}
	v.result.SetText(msg)
}

// checkCode shows the current code of the typed secret, or of the stored
// one when the field is empty, to compare with the phone, and counts down.
func (v *settingsView) checkCode() {
	if v.totp.Text != "" {
		v.showCodeAndCount(v.totp.Text)
		return
	}
	if v.deps.Secrets == nil {
		v.showCodeText("Type the TOTP secret first.", true)
		return
	}
	store, profile := v.deps.Secrets, v.profile
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), secretsTimeout)
		defer cancel()
		c, err := store.Get(ctx, profile)
		v.do(func() {
			switch {
			case err != nil && !errors.Is(err, secrets.ErrNotFound):
				v.showCodeText(capitalise(err.Error()), true)
			case c.TOTPSecret == "":
				v.showCodeText("No TOTP secret is stored; type it above to check it.", true)
			default:
				v.showCodeAndCount(c.TOTPSecret)
			}
		})
	}()
}

// showCodeAndCount shows the secret's code now and keeps it current each
// second until the field changes or the window closes. A valid code
// answers an earlier complaint about the secret, so that goes.
func (v *settingsView) showCodeAndCount(secret string) {
	v.showCode(secret)
	if v.code.Importance == widget.DangerImportance { // no code from it
		v.stopCountdown()
		return
	}
	setError(v.totpErr, "")
	v.startCountdown(secret)
}

func (v *settingsView) showCode(secret string) {
	code, left, err := v.deps.Code(secret, v.deps.Now())
	if err != nil {
		v.showCodeText(sentence(capitalise(err.Error())), true)
		return
	}
	v.showCodeText("Code now: "+code[:3]+" "+code[3:]+" (for "+session.Words(left)+" more). It should match the IBKR app on your phone.", false)
}

// startCountdown redraws the code line each tick. The ticker belongs to
// the window; updates reach the widgets through do (fyne.Do).
func (v *settingsView) startCountdown(secret string) {
	v.stopCountdown()
	v.codeSecret = secret
	ch, stop := v.ticks()
	done := make(chan struct{})
	v.stopTicks = func() {
		stop()
		close(done)
	}
	gone := make(chan struct{})
	v.countdownGone = gone
	go func() {
		defer close(gone)
		for {
			select {
			case <-done:
				return
			case <-ch:
				v.do(func() {
					if v.codeSecret == secret { // not stopped meanwhile
						v.showCode(secret)
					}
				})
			}
		}
	}()
}

func (v *settingsView) stopCountdown() {
	if v.stopTicks != nil {
		v.stopTicks()
		v.stopTicks = nil
	}
	v.codeSecret = ""
}

// hideCode removes the code line and stops its countdown.
func (v *settingsView) hideCode() {
	v.stopCountdown()
	if v.code != nil && v.code.Visible() {
		v.code.Hide()
		v.relayout()
	}
}

// showCodeText shows a line under the TOTP field, in red when bad.
func (v *settingsView) showCodeText(s string, bad bool) {
	v.code.SetText(s)
	v.code.Importance = widget.MediumImportance
	if bad {
		v.code.Importance = widget.DangerImportance
	}
	v.code.Show()
	v.code.Refresh()
	v.relayout()
}

// savedNow is what is saved at this moment: from the tray when it can
// tell, else what the window last loaded.
func (v *settingsView) savedNow() (config.Config, bool) {
	if v.saved != nil {
		return v.saved()
	}
	return v.cfg, v.autostart
}

// save validates the edited fields, merges them onto what is saved now,
// applies the result, and writes the credentials off the UI goroutine.
func (v *settingsView) save() {
	typed := v.input()
	cfg, autostart := v.savedNow()
	in := mergeEdits(v.base, typed, inputFrom(cfg, v.base.Username, autostart))
	userEdited := typed.Username != v.base.Username
	deps := v.deps
	if typed.GatewayDir == v.base.GatewayDir {
		// Not this window's edit: whoever saved the folder checked it.
		deps.CheckDist = nil
	}
	c, secret, err := in.apply(cfg, deps)
	v.showErrors(err)
	if err != nil {
		v.showResult("Not saved: fix the fields marked in red.", true)
		return
	}
	if v.onSave != nil {
		if err := v.onSave(c, in.StartAtLogin); err != nil {
			v.showResult(sentence(capitalise(err.Error())), true)
			return
		}
	}
	v.reload(c, in.StartAtLogin)
	if v.deps.Secrets == nil || (in.Password == "" && secret == "" && !userEdited) {
		v.showResult("Saved.", false)
		return
	}
	v.showResult("Saving the credentials to "+v.deps.Secrets.Where()+"…", false)
	store, profile := v.deps.Secrets, v.profile
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), secretsTimeout)
		defer cancel()
		changed, err := in.saveCredentials(ctx, store, profile, secret)
		v.do(func() {
			if err != nil {
				v.log.Error("saving credentials failed", "err", err)
				v.showResult("Settings saved, but the credentials were not: "+sentence(err.Error()), true)
				return
			}
			if changed && v.onCredentials != nil {
				v.onCredentials()
			}
			v.password.SetText("")
			v.totp.SetText("")
			v.showStored(secrets.Credentials{Username: in.Username, Password: "x", TOTPSecret: secret}, nil)
			v.showResult("Saved.", false)
		})
	}()
}
