package ui

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"runtime"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"github.com/fyne-io/oksvg"
	"github.com/srwiley/rasterx"

	"github.com/ibkr-tray/ibkr-tray/assets"
)

// trayIconPixels is the size the tray icon is rasterised at. Linux tray
// hosts take pixels (StatusNotifierItem IconPixmap), not SVG, and scale
// down from here.
const trayIconPixels = 64

// iconResource is the SVG of an icon state. On macOS it is the template
// variant wrapped as a themed resource, which Fyne hands to the menu bar as
// a template image.
func iconResource(s IconState, goos string) fyne.Resource {
	colour, template := assets.StatusStopped, assets.StatusStoppedTemplate
	switch s {
	case IconOK:
		colour, template = assets.StatusOK, assets.StatusOKTemplate
	case IconWorking:
		colour, template = assets.StatusWorking, assets.StatusWorkingTemplate
	case IconAttention:
		colour, template = assets.StatusAttention, assets.StatusAttentionTemplate
	}
	if goos == "darwin" {
		return theme.NewThemedResource(template)
	}
	return colour
}

// trayIcon is the resource handed to the tray for a state: PNG pixels on
// Linux and Windows (their tray code decodes images, not SVG), the themed
// template SVG on macOS.
func trayIcon(s IconState) (fyne.Resource, error) {
	res := iconResource(s, runtime.GOOS)
	if runtime.GOOS == "darwin" {
		return res, nil
	}
	b, err := rasterize(res.Content(), trayIconPixels)
	if err != nil {
		return nil, err
	}
	return fyne.NewStaticResource(res.Name()+".png", b), nil
}

// rasterize draws an SVG as a px×px PNG.
func rasterize(svg []byte, px int) ([]byte, error) {
	img, err := rasterizeImage(svg, px)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func rasterizeImage(svg []byte, px int) (img *image.NRGBA, err error) {
	icon, err := oksvg.ReadIconStream(bytes.NewReader(svg))
	if err != nil {
		return nil, fmt.Errorf("the icon is not a valid SVG: %w", err)
	}
	icon.SetTarget(0, 0, float64(px), float64(px))
	img = image.NewNRGBA(image.Rect(0, 0, px, px))
	scanner := rasterx.NewScannerGV(px, px, img, img.Bounds())
	defer func() {
		if r := recover(); r != nil { // oksvg panics on some malformed paths
			img, err = nil, fmt.Errorf("the icon could not be drawn: %v", r)
		}
	}()
	icon.Draw(rasterx.NewDasher(px, px, scanner), 1)
	return img, nil
}
