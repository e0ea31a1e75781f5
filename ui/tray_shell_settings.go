package ui

import (
	"errors"
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/ibkr-tray/ibkr-tray/session/secrets"
	"github.com/ibkr-tray/ibkr-tray/ui/autostart"
	"github.com/ibkr-tray/ibkr-tray/ui/config"
	"github.com/ibkr-tray/ibkr-tray/ui/profiles"
)

// The Settings window edits one profile. A row at its top picks which,
// and adds, renames and removes profiles (ui/profiles): an added profile
// starts beside the others; one is stopped before it is renamed or
// removed.

// Words of the profile row.
const (
	labelProfile       = "Profile"
	labelAddProfile    = "Add profile…"
	labelRenameProfile = "Rename…"
	labelRemoveProfile = "Remove…"
)

// shellSettings is the Settings window with its profile row.
type shellSettings struct {
	s       *trayShell
	win     fyne.Window
	picker  *widget.Select
	add     *widget.Button
	rename  *widget.Button
	remove  *widget.Button
	body    *fyne.Container
	current *trayApp // the profile whose settings show
	picking bool     // the picker is being set from here, not by the user
}

// showSettings opens the Settings window on t's settings (one window: a
// second open brings it forward, on t).
func (s *trayShell) showSettings(t *trayApp) {
	if s.settings == nil {
		s.settings = s.newSettingsWindow()
	}
	s.settings.pick(t)
	s.settings.win.Show()
	s.settings.win.RequestFocus()
	if s.onShow != nil {
		s.onShow("settings")
	}
}

func (s *trayShell) newSettingsWindow() *shellSettings {
	ss := &shellSettings{s: s, win: s.app.NewWindow("ibkr-tray settings")}
	ss.picker = widget.NewSelect(nil, func(name string) {
		if ss.picking {
			return
		}
		if t := s.profileNamed(name); t != nil {
			ss.pick(t)
		}
	})
	ss.add = widget.NewButton(labelAddProfile, ss.askAdd)
	ss.rename = widget.NewButton(labelRenameProfile, ss.askRename)
	ss.remove = widget.NewButton(labelRemoveProfile, ss.askRemove)
	ss.body = container.NewStack()
	row := container.NewHBox(widget.NewLabel(labelProfile), ss.picker, ss.add, ss.rename, ss.remove)
	ss.win.SetContent(container.NewBorder(container.NewVBox(row, widget.NewSeparator()), nil, nil, nil, ss.body))
	ss.win.SetOnClosed(func() {
		ss.drop()
		s.settings = nil
	})
	return ss
}

func (s *trayShell) profileNamed(name string) *trayApp {
	for _, t := range s.profiles {
		if t.o.Paths.Profile == name {
			return t
		}
	}
	return nil
}

// drop lets go of the profile shown.
func (ss *shellSettings) drop() {
	if t := ss.current; t != nil && t.settingsView != nil {
		t.settingsView.closed()
		t.settings, t.settingsView = nil, nil
	}
	ss.current = nil
}

// pick shows t's settings (what is saved now, when it shows already).
func (ss *shellSettings) pick(t *trayApp) {
	if t == ss.current && t.settingsView != nil {
		t.settingsView.reload(t.savedSettings())
	} else {
		ss.drop()
		v := t.newSettings(ss.win)
		ss.body.Objects = []fyne.CanvasObject{v.content}
		ss.body.Refresh()
		t.settings, t.settingsView, ss.current = ss.win, v, t
		v.storedShown = v.loadStored()
		size := v.settingsWindowSize()
		ss.win.Resize(fyne.NewSize(max(size.Width, ss.win.Content().MinSize().Width), size.Height+ss.rowHeight()))
	}
	ss.update()
}

// rowHeight is what the profile row adds above the settings.
func (ss *shellSettings) rowHeight() float32 {
	return ss.win.Content().MinSize().Height - ss.body.MinSize().Height
}

// update fills the picker and enables what applies.
func (ss *shellSettings) update() {
	var names []string
	for _, t := range ss.s.profiles {
		names = append(names, t.o.Paths.Profile)
	}
	ss.picking = true
	ss.picker.SetOptions(names)
	if ss.current != nil {
		ss.picker.SetSelected(ss.current.o.Paths.Profile)
	}
	ss.picking = false
	demo := ss.current != nil && ss.current.o.Demo
	enable(ss.add, !demo && ss.s.newProfile != nil)
	enable(ss.rename, !demo && ss.current != nil)
	enable(ss.remove, !demo && ss.current != nil && ss.s.several())
}

// askAdd asks for the new profile's name and adds it.
func (ss *shellSettings) askAdd() {
	name := widget.NewEntry()
	name.SetPlaceHolder("paper")
	d := dialog.NewForm("Add a profile", "Add", "Cancel",
		[]*widget.FormItem{widget.NewFormItem("Name", name)}, func(ok bool) {
			if ok {
				ss.addNamed(name.Text)
			}
		}, ss.win)
	d.Resize(fyne.NewSize(360, d.MinSize().Height))
	d.Show()
	ss.s.shown("add-profile")
}

// addNamed adds and starts a profile, then shows its settings (a new
// profile has no gateway folder yet).
func (ss *shellSettings) addNamed(name string) {
	t, err := ss.s.newProfile(name)
	if err != nil {
		dialog.ShowError(errors.New(sentence(capitalise(err.Error()))), ss.win)
		return
	}
	ss.s.addProfile(t)
	ss.pick(t)
}

// askRename asks for the profile's new name, stops it, renames it and
// starts it again under its new name.
func (ss *shellSettings) askRename() {
	t := ss.current
	name := widget.NewEntry()
	name.SetText(t.o.Paths.Profile)
	d := dialog.NewForm("Rename profile "+t.o.Paths.Profile, "Rename", "Cancel",
		[]*widget.FormItem{widget.NewFormItem("New name", name)}, func(ok bool) {
			if ok && name.Text != t.o.Paths.Profile {
				ss.renameTo(t, name.Text)
			}
		}, ss.win)
	d.Resize(fyne.NewSize(360, d.MinSize().Height))
	d.Show()
	ss.s.shown("rename-profile")
}

func (ss *shellSettings) renameTo(t *trayApp, name string) {
	paths, err := config.PathsFor(name)
	if err != nil {
		dialog.ShowError(errors.New(sentence(capitalise(err.Error()))), ss.win)
		return
	}
	old, store, ran := t.o.Paths.Profile, t.store(), t.backend != nil
	done := t.stopBackend()
	go func() {
		<-done // the lock is free once the gateway is gone
		err := profiles.Rename(old, name, store)
		ss.s.do(func() {
			if err == nil {
				t.o.Paths = paths
				// profiles.Rename moved the start-at-login entry too.
				if e, ok := t.o.Autostart.(autostart.Entry); ok && e.Profile == old {
					e.Profile = name
					t.o.Autostart = e
				}
			}
			ss.s.regroup(ss.s.profiles)
			if ran {
				t.startBackend()
			}
			if ss.s.settings == ss {
				ss.drop()
				ss.pick(t)
			}
			if err != nil {
				ss.s.showErrorOn(ss.win, err)
			}
		})
	}()
}

// askRemove confirms, stops the profile's gateway and removes the profile.
func (ss *shellSettings) askRemove() {
	t := ss.current
	name := t.o.Paths.Profile
	d := dialog.NewConfirm("Remove profile "+name+"?",
		fmt.Sprintf("ibkr-tray stops %s's gateway and deletes its settings, its log folder and its stored login details. The gateway folder itself stays.", name),
		func(ok bool) {
			if ok {
				ss.removeIt(t)
			}
		}, ss.win)
	d.SetConfirmText("Remove")
	d.Show()
	ss.s.shown("remove-profile")
}

func (ss *shellSettings) removeIt(t *trayApp) {
	name, store, ran := t.o.Paths.Profile, t.store(), t.backend != nil
	done := t.stopBackend()
	go func() {
		<-done
		err := profiles.Remove(name, store)
		ss.s.do(func() {
			if err != nil {
				if ran {
					t.startBackend()
				}
				ss.s.showErrorOn(ss.win, err)
				return
			}
			if ss.current == t {
				ss.drop()
			}
			ss.s.removeProfile(t)
			if ss.s.settings == ss {
				ss.pick(ss.s.profiles[0])
			}
		})
	}()
}

// showErrorOn says an error in a window, as a sentence.
func (s *trayShell) showErrorOn(w fyne.Window, err error) {
	dialog.ShowError(errors.New(sentence(capitalise(err.Error()))), w)
}

func (s *trayShell) shown(window string) {
	if s.onShow != nil {
		s.onShow(window)
	}
}

// store is where the profile's credentials are.
func (t *trayApp) store() secrets.Store {
	if t.o.Deps.Secrets != nil {
		return t.o.Deps.Secrets
	}
	return profiles.StoreFor(t.o.Config)
}
