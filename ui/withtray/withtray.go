// Package withtray is the tray app's entry for main: the Fyne tray when the
// binary is built with cgo (Fyne needs it for OpenGL and X11), and a
// sentence pointing to `headless` when it is not. It keeps the build
// constraint in one small place, so that package ui and everything else
// stay free of it, and a CGO_ENABLED=0 build (servers, containers) has
// every other command and no libGL or libX11.
package withtray
