package ui

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/ibkr-tray/ibkr-tray/gateway"
)

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
