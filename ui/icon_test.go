package ui

import (
	"bytes"
	"flag"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"fyne.io/fyne/v2"

	"github.com/ibkr-tray/ibkr-tray/assets"
)

var iconPreview = flag.String("icon-preview", "", "write the tray icons as PNG at 16, 22 and 32 px into this folder")

func allIconResources() map[string]fyne.Resource {
	return map[string]fyne.Resource{
		"ok": assets.StatusOK, "working": assets.StatusWorking,
		"attention": assets.StatusAttention, "stopped": assets.StatusStopped,
		"ok-template": assets.StatusOKTemplate, "working-template": assets.StatusWorkingTemplate,
		"attention-template": assets.StatusAttentionTemplate, "stopped-template": assets.StatusStoppedTemplate,
		"app": assets.AppIcon,
	}
}

// coverage is the share of pixels with any opacity.
func coverage(img *image.NRGBA) float64 {
	n := 0
	for i := 3; i < len(img.Pix); i += 4 {
		if img.Pix[i] > 0 {
			n++
		}
	}
	return float64(n) / float64(len(img.Pix)/4)
}

func TestIconsRenderAtTraySizes(t *testing.T) {
	for name, res := range allIconResources() {
		for _, px := range []int{16, 22, 32, trayIconPixels} {
			img, err := rasterizeImage(res.Content(), px)
			if err != nil {
				t.Fatalf("%s at %d px: %v", name, px, err)
			}
			if c := coverage(img); c < 0.15 || (c > 0.95 && name != "app") {
				t.Errorf("%s at %d px covers %.0f%% of the square; want a visible, not blank or full, icon", name, px, 100*c)
			}
			if *iconPreview != "" {
				b, _ := rasterize(res.Content(), px)
				_ = os.WriteFile(filepath.Join(*iconPreview, name+"-"+strconv.Itoa(px)+".png"), b, 0o644)
			}
		}
	}
}

func TestTemplateIconsAreBlackOnTransparent(t *testing.T) {
	for name, res := range allIconResources() {
		if filepath.Ext(name) == "" && len(name) > 9 && name[len(name)-9:] == "-template" {
			img, err := rasterizeImage(res.Content(), 32)
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < len(img.Pix); i += 4 {
				if img.Pix[i] != 0 || img.Pix[i+1] != 0 || img.Pix[i+2] != 0 {
					t.Fatalf("%s has a non-black pixel; macOS template images must be black with alpha only", name)
				}
			}
		}
	}
}

// TestFilledIconsHaveCutOutMarks proves the template check mark and "!" are
// holes (transparent), so the shapes differ from the hollow ones.
func TestFilledTemplateIconsHaveCutOutMarks(t *testing.T) {
	for _, tc := range []struct {
		name string
		res  fyne.Resource
		x, y int // a point on the mark, in a 32 px render
	}{
		{"ok check mark", assets.StatusOKTemplate, 14, 19},
		{"attention exclamation", assets.StatusAttentionTemplate, 16, 15},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img, err := rasterizeImage(tc.res.Content(), 32)
			if err != nil {
				t.Fatal(err)
			}
			if a := img.NRGBAAt(tc.x, tc.y).A; a > 40 {
				t.Errorf("pixel (%d,%d) alpha %d; want the mark cut out", tc.x, tc.y, a)
			}
		})
	}
}

var writeAppIcon = flag.Bool("write-app-icon", false, "rewrite assets/app-icon.png (for packaging) from assets/app-icon.svg")

// TestAppIconPNGMatchesTheSVG keeps the packaging icon (FyneApp.toml) in
// step with the SVG it is drawn from.
func TestAppIconPNGMatchesTheSVG(t *testing.T) {
	want, err := rasterizeImage(assets.AppIcon.Content(), 256)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("..", "assets", "app-icon.png")
	if *writeAppIcon {
		b, err := rasterize(assets.AppIcon.Content(), 256)
		if err == nil {
			err = os.WriteFile(path, b, 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v; run go test ./ui -run AppIcon -write-app-icon", err)
	}
	got, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: %v; run go test ./ui -run AppIcon -write-app-icon", path, err)
	}
	// Pixels, not bytes: each Go release may compress the same PNG differently.
	if !samePixels(got, want) {
		t.Error("assets/app-icon.png differs from app-icon.svg; run go test ./ui -run AppIcon -write-app-icon")
	}
}

func samePixels(got image.Image, want *image.NRGBA) bool {
	if got.Bounds() != want.Bounds() {
		return false
	}
	for y := want.Rect.Min.Y; y < want.Rect.Max.Y; y++ {
		for x := want.Rect.Min.X; x < want.Rect.Max.X; x++ {
			if color.NRGBAModel.Convert(got.At(x, y)) != want.NRGBAAt(x, y) {
				return false
			}
		}
	}
	return true
}

// TestAppIconIsHandedToFyneAsPixels: Fyne only decodes a PNG app icon,
// where an SVG one is rasterised for the tray's hidden window at a cost of
// about 8 MB the idle tray then keeps (BenchmarkIdleFootprint).
func TestAppIconIsHandedToFyneAsPixels(t *testing.T) {
	res := appIcon()
	img, err := png.Decode(bytes.NewReader(res.Content()))
	if err != nil {
		t.Fatalf("the app icon %s is not a PNG: %v", res.Name(), err)
	}
	if b := img.Bounds(); b.Dx() != appIconPixels || b.Dy() != appIconPixels || !strings.HasSuffix(res.Name(), ".png") {
		t.Errorf("app icon %s is %v; want a %d px PNG", res.Name(), b, appIconPixels)
	}
}
