package ui

import (
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
// or try the demo. errorText shows what was wrong with a chosen folder.
type welcomeView struct {
	content   fyne.CanvasObject
	errorText *widget.Label
}

func newWelcomeView(chooseFolder, tryDemo func()) *welcomeView {
	v := &welcomeView{errorText: errorLabel()}
	text := widget.NewLabel(welcomeText)
	text.Wrapping = fyne.TextWrapWord
	icon := widget.NewIcon(assets.AppIcon)
	choose := widget.NewButton("Choose gateway folder", chooseFolder)
	choose.Importance = widget.HighImportance
	demo := widget.NewButton("Try the demo", tryDemo)
	title := widget.NewLabelWithStyle("Welcome to ibkr-tray", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	v.content = container.NewVBox(
		container.NewBorder(nil, nil, container.NewGridWrap(fyne.NewSquareSize(48), icon), nil, title),
		text, v.errorText, container.NewHBox(choose, demo),
	)
	return v
}
