package ui

import (
	"net/url"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/ibkr-tray/ibkr-tray/assets"
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
