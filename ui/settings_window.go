package ui

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
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

// settingsView is the settings window's content.
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
	notifications, startAtLogin                        *widget.Check
	dirErr, portErr, userErr, totpErr, capsErr         *widget.Label
	code, result                                       *widget.Label
	form                                               *widget.Form
	body                                               *fyne.Container
	content                                            fyne.CanvasObject
}

func errorLabel() *widget.Label {
	l := widget.NewLabel("")
	l.Wrapping = fyne.TextWrapWord
	l.Importance = widget.DangerImportance
	l.Hide()
	return l
}

func newSettingsView(c config.Config, paths config.Paths, autostart bool, d Deps, onSave func(config.Config, bool) error, log *slog.Logger) *settingsView {
	v := &settingsView{cfg: c, profile: paths.Profile, deps: d, onSave: onSave, log: log, do: fyne.Do}
	if v.log == nil {
		v.log = slog.Default()
	}
	in := inputFrom(c, "", autostart)

	v.dir = widget.NewEntry()
	v.dir.SetText(in.GatewayDir)
	v.dir.SetPlaceHolder("the unzipped clientportal.gw folder")
	v.dir.OnChanged = func(string) { v.checkDir() }
	v.dirErr = errorLabel()
	choose := widget.NewButton("Choose…", v.chooseDir)
	download, _ := url.Parse(DownloadPage)
	v.port = widget.NewEntry()
	v.port.SetText(in.Port)
	v.port.SetPlaceHolder(ownPort)
	v.portErr = errorLabel()
	v.mode = widget.NewRadioGroup([]string{modePaper, modeLive}, nil)
	v.mode.Horizontal = true
	v.mode.Required = true
	v.mode.SetSelected(map[bool]string{true: modePaper, false: modeLive}[in.Paper])

	v.username = widget.NewEntry()
	v.userErr = errorLabel()
	v.password = widget.NewPasswordEntry()
	v.password.SetPlaceHolder(placeholderEmpty)
	v.totp = widget.NewPasswordEntry()
	v.totp.SetPlaceHolder(placeholderEmpty)
	v.totpErr = errorLabel()
	v.code = widget.NewLabel("")
	v.code.Wrapping = fyne.TextWrapWord
	v.code.Hide()
	check := widget.NewButton("Check", v.checkCode)

	v.compete = widget.NewRadioGroup([]string{competeLeave, competeTakeBack}, nil)
	v.compete.Required = true
	v.compete.SetSelected(map[bool]string{true: competeTakeBack, false: competeLeave}[in.TakeBack])
	v.inRow = widget.NewEntry()
	v.inRow.SetText(in.MaxInRow)
	v.perDay = widget.NewEntry()
	v.perDay.SetText(in.MaxPerDay)
	v.capsErr = errorLabel()
	v.notifications = widget.NewCheck("Show desktop notifications", nil)
	v.notifications.SetChecked(in.Notifications)
	v.startAtLogin = widget.NewCheck("Start ibkr-tray when I log in", nil)
	v.startAtLogin.SetChecked(in.StartAtLogin)

	v.result = widget.NewLabel("")
	v.result.Wrapping = fyne.TextWrapWord
	v.result.Hide()

	where := "the OS keyring"
	if d.Secrets != nil {
		where = d.Secrets.Where()
	}
	v.form = widget.NewForm(
		widget.NewFormItem("Gateway folder", container.NewVBox(
			container.NewBorder(nil, nil, nil, choose, v.dir), v.dirErr,
			widget.NewHyperlink("Download the Client Portal Gateway from IBKR", download))),
		widget.NewFormItem("Port", container.NewVBox(v.port, v.portErr)),
		widget.NewFormItem("Trading mode", v.mode),
		widget.NewFormItem("Username", container.NewVBox(v.username, v.userErr)),
		widget.NewFormItem("Password", v.password),
		widget.NewFormItem("TOTP secret", container.NewVBox(
			container.NewBorder(nil, nil, nil, check, v.totp), v.totpErr, v.code)),
		widget.NewFormItem("Another session", v.compete),
		widget.NewFormItem("Failed logins", container.NewVBox(
			container.NewGridWithColumns(4, widget.NewLabel("in a row"), v.inRow, widget.NewLabel("per day"), v.perDay), v.capsErr)),
		widget.NewFormItem("", v.notifications),
		widget.NewFormItem("", v.startAtLogin),
	)
	note := widget.NewLabel("The password and TOTP secret go straight to " + where + " and are never shown again. The other settings are kept in " + paths.ConfigFile + ", which the headless mode reads too.")
	note.Wrapping = fyne.TextWrapWord
	save := widget.NewButton("Save", v.save)
	save.Importance = widget.HighImportance
	v.body = container.NewVBox(v.form, note, v.result, container.NewHBox(save))
	v.content = container.NewVScroll(v.body)
	v.checkDir()
	return v
}

// loadStored fills the username and placeholders from the store. It runs
// the store off the UI goroutine.
func (v *settingsView) loadStored() {
	if v.deps.Secrets == nil {
		return
	}
	store, profile := v.deps.Secrets, v.profile
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), secretsTimeout)
		defer cancel()
		c, err := store.Get(ctx, profile)
		v.do(func() { v.showStored(c, err) })
	}()
}

func (v *settingsView) showStored(c secrets.Credentials, err error) {
	if err != nil && !errors.Is(err, secrets.ErrNotFound) {
		v.showResult(capitalise(err.Error()), true)
		return
	}
	if v.username.Text == "" {
		v.username.SetText(c.Username)
	}
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
		TakeBack: v.compete.Selected == competeTakeBack, MaxInRow: v.inRow.Text, MaxPerDay: v.perDay.Text,
		Notifications: v.notifications.Checked, StartAtLogin: v.startAtLogin.Checked,
	}
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
	dialog.ShowFolderOpen(func(u fyne.ListableURI, err error) {
		if err != nil || u == nil {
			return
		}
		v.dir.SetText(u.Path()) // OnChanged checks it
	}, v.window)
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

func (v *settingsView) showResult(msg string, bad bool) { v.showMessage(v.result, msg, bad) }

// showMessage shows msg under the form, in red when bad.
func (v *settingsView) showMessage(l *widget.Label, msg string, bad bool) {
	l.SetText(msg)
	l.Importance = widget.MediumImportance
	if bad {
		l.Importance = widget.DangerImportance
	}
	l.Show()
	l.Refresh()
	v.relayout()
}

// checkCode shows the current code of the typed secret, or of the stored
// one when the field is empty, to compare with the phone.
func (v *settingsView) checkCode() {
	if v.totp.Text != "" {
		v.showCode(v.totp.Text)
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
				v.showCode(c.TOTPSecret)
			}
		})
	}()
}

func (v *settingsView) showCode(secret string) {
	code, left, err := v.deps.Code(secret, v.deps.Now())
	if err != nil {
		v.showCodeText(sentence(capitalise(err.Error())), true)
		return
	}
	v.showCodeText("Code now: "+code[:3]+" "+code[3:]+" (for "+session.Words(left)+" more). It should match the IBKR app on your phone.", false)
}

func (v *settingsView) showCodeText(s string, bad bool) { v.showMessage(v.code, s, bad) }

// save validates, applies the settings, and writes the credentials off the
// UI goroutine.
func (v *settingsView) save() {
	in := v.input()
	c, secret, err := in.apply(v.cfg, v.deps)
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
	v.cfg = c
	if v.deps.Secrets == nil || (in.Password == "" && secret == "" && in.Username == "") {
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
