package ui

import (
	"net/url"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/ibkr-tray/ibkr-tray/assets"
	"github.com/ibkr-tray/ibkr-tray/gateway"
)

// welcomeText is the first-run explanation, in three sentences.
const welcomeText = "ibkr-tray runs the IBKR Client Portal Gateway on this computer and keeps you logged in, " +
	"so your trading programs can use the Web API all day. " +
	"It needs the gateway folder you downloaded from IBKR and unzipped (clientportal.gw). " +
	"If you have none yet, the demo runs a simulated gateway with a fault every minute or so, so you can watch the app recover by itself."

// welcomeView is the first-run window's content: choose the gateway folder,
// or try the demo. errorText shows what was wrong with a chosen folder;
// java says whether the gateway's Java runtime is there.
type welcomeView struct {
	content   fyne.CanvasObject
	errorText *widget.Label
	java      *widget.Label
	javaLinks *fyne.Container // where to get Java, when it is missing
}

// Where to get what the gateway needs, for the Welcome window.
const (
	javaDownloadPage = "https://adoptium.net/"
	debianJava       = "sudo apt install default-jre"
)

func newWelcomeView(chooseFolder, tryDemo func()) *welcomeView {
	v := &welcomeView{errorText: errorLabel()}
	text := widget.NewLabel(welcomeText)
	text.Wrapping = fyne.TextWrapWord
	icon := widget.NewIcon(assets.AppIcon)
	choose := widget.NewButton("Choose gateway folder", chooseFolder)
	choose.Importance = widget.HighImportance
	demo := widget.NewButton("Try the demo", tryDemo)
	title := widget.NewLabelWithStyle("Welcome to ibkr-tray", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	download, _ := url.Parse(DownloadPage)
	v.java = widget.NewLabel("Checking for Java, which the gateway needs…")
	v.java.Wrapping = fyne.TextWrapWord
	javaLink, _ := url.Parse(javaDownloadPage)
	command := widget.NewEntry() // to copy: selectable, and put back if edited
	command.SetText(debianJava)
	command.OnChanged = func(s string) {
		if s != debianJava {
			command.SetText(debianJava)
		}
	}
	command.TextStyle = fyne.TextStyle{Monospace: true}
	v.javaLinks = container.NewVBox(command, widget.NewHyperlink("Download a Java runtime (Adoptium)", javaLink))
	v.javaLinks.Hide()
	// The explanation takes the room the window has (a wrapped label in a
	// box would reserve the height of its narrowest wrapping); the steps
	// sit under it.
	v.content = container.NewPadded(container.NewBorder(
		container.NewBorder(nil, nil, container.NewGridWrap(fyne.NewSquareSize(48), icon), nil, title),
		container.NewVBox(
			widget.NewHyperlink("Download the Client Portal Gateway from IBKR", download),
			v.java, v.javaLinks,
			v.errorText, container.NewHBox(choose, demo)),
		nil, nil, container.NewVBox(text)))
	return v
}

// showJava says whether Java was found, and if not, how to get it.
func (v *welcomeView) showJava(j gateway.Java, err error) {
	if err == nil {
		v.java.Importance = widget.SuccessImportance
		v.java.SetText("Java found: " + j.Version + " (" + j.Path + "). The gateway runs with it.")
		v.javaLinks.Hide()
		return
	}
	v.java.Importance = widget.WarningImportance
	if javaMissing(err) {
		v.java.SetText("Java was not found, and the gateway needs it. On Debian or Ubuntu, install it with the command below; " +
			"on other systems, download a Java runtime (version 8 or newer) from the link. Then choose the gateway folder.")
	} else {
		v.java.SetText(sentence(capitalise(err.Error())))
	}
	v.javaLinks.Show()
}

// javaMissing tells "no Java at all" (say how to install it) from a Java
// that is there but broken (say what FindJava found). gateway.FindJava has
// no sentinel error for it; its sentence starts so.
func javaMissing(err error) bool {
	return strings.HasPrefix(err.Error(), "java was not found")
}

// checkJava looks for Java off the UI goroutine (it runs java -version)
// and shows the answer through do.
func (v *welcomeView) checkJava(find func() (gateway.Java, error), do func(func())) {
	if find == nil {
		v.java.Hide()
		return
	}
	go func() {
		j, err := find()
		do(func() { v.showJava(j, err) })
	}()
}

// welcomeSize is the Welcome window's size.
var welcomeSize = fyne.NewSize(560, 400)

// pickerSize is the least room the folder picker gets: at the Welcome
// window's own size it showed one or two rows.
var pickerSize = fyne.NewSize(720, 520)

// pickFolder opens the folder picker in w, with room: the window grows
// while the picker is open and goes back to its size after. It returns
// the dialog (tests look at it).
func pickFolder(w fyne.Window, onPick func(dir string)) dialog.Dialog {
	before := w.Canvas().Size()
	grow := fyne.NewSize(max(before.Width, pickerSize.Width+40), max(before.Height, pickerSize.Height+40))
	if grow != before {
		w.Resize(grow)
	}
	d := dialog.NewFolderOpen(func(u fyne.ListableURI, err error) {
		if grow != before {
			w.Resize(before)
		}
		if err != nil || u == nil {
			return
		}
		onPick(u.Path())
	}, w)
	d.Resize(pickerSize)
	d.Show()
	return d
}

// popupView is the window that comes up when the session is lost and the
// app cannot restore it alone. It closes itself when the session is back.
type popupView struct {
	content fyne.CanvasObject
	message *widget.Label
	login   *widget.Button
}

func newPopupView(login, later func()) *popupView {
	v := &popupView{message: widget.NewLabel("")}
	v.message.Wrapping = fyne.TextWrapWord
	v.login = widget.NewButton("Log in now", login)
	v.login.Importance = widget.HighImportance
	title := widget.NewLabelWithStyle("IBKR login needed", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	v.content = container.NewVBox(
		container.NewBorder(nil, nil, container.NewGridWrap(fyne.NewSquareSize(32), widget.NewIcon(iconResource(IconAttention, ""))), nil, title),
		v.message, container.NewHBox(v.login, widget.NewButton("Later", later)))
	return v
}

// setMessage says why, and what Log in now will do.
func (v *popupView) setMessage(reason string, credentialsStored, loginRunning bool) {
	what := "Log in now opens the gateway's login page in your browser; log in there as usual."
	if credentialsStored {
		what = "Log in now tries the automated login again with the stored credentials."
	}
	msg := what
	if reason != "" {
		msg = sentence(capitalise(reason)) + " " + what
	}
	v.message.SetText(msg)
	if loginRunning {
		v.login.Disable()
	} else {
		v.login.Enable()
	}
}
