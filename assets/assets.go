// Package assets holds the app's icons, drawn as SVG and embedded in the
// binary. It has no logic: the ui package picks the icon for a state.
package assets

import (
	"embed"

	"fyne.io/fyne/v2"
)

//go:embed *.svg
var files embed.FS

// The tray icons, one per state the user tells apart. Each has its own
// shape as well as its own colour, so they read without colour vision, and
// each colour is about 3.5:1 against both a light (#f0f0f0) and a dark
// (#2b2b2b) panel (TestTrayIconsContrastOnLightAndDarkPanels).
var (
	// StatusOK is a filled green disc with a check mark: authenticated.
	StatusOK = load("status-ok.svg")
	// StatusWorking is a blue open ring with three dots: starting,
	// re-authenticating, logging in.
	StatusWorking = load("status-working.svg")
	// StatusAttention is an orange triangle with "!": the user is needed.
	StatusAttention = load("status-attention.svg")
	// StatusStopped is a filled grey square, the stop sign: no gateway.
	StatusStopped = load("status-stopped.svg")
)

// Template variants: black on transparent, the marks cut out, for macOS
// menu-bar template images (the system tints them).
var (
	StatusOKTemplate        = load("status-ok-template.svg")
	StatusWorkingTemplate   = load("status-working-template.svg")
	StatusAttentionTemplate = load("status-attention-template.svg")
	StatusStoppedTemplate   = load("status-stopped-template.svg")
)

// AppIcon is the application's icon (windows, notifications, packaging).
var AppIcon = load("app-icon.svg")

func load(name string) fyne.Resource {
	b, err := files.ReadFile(name)
	if err != nil {
		panic("assets: " + name + " is not embedded: " + err.Error())
	}
	return fyne.NewStaticResource(name, b)
}
