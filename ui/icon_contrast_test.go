package ui

import (
	"image"
	"math"
	"testing"

	"fyne.io/fyne/v2"

	"github.com/ibkr-tray/ibkr-tray/assets"
)

// Tray panels the icons must read on: a light and a dark one.
var panels = map[string][3]uint8{"light #f0f0f0": {0xf0, 0xf0, 0xf0}, "dark #2b2b2b": {0x2b, 0x2b, 0x2b}}

var stateIcons = []struct {
	name string
	res  fyne.Resource
}{
	{"ok", assets.StatusOK}, {"working", assets.StatusWorking},
	{"attention", assets.StatusAttention}, {"stopped", assets.StatusStopped},
}

// luminance is the WCAG relative luminance of an sRGB colour.
func luminance(r, g, b float64) float64 {
	lin := func(c float64) float64 {
		c /= 255
		if c <= 0.03928 {
			return c / 12.92
		}
		return math.Pow((c+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(r) + 0.7152*lin(g) + 0.0722*lin(b)
}

func contrastRatio(a, b float64) float64 {
	if a < b {
		a, b = b, a
	}
	return (a + 0.05) / (b + 0.05)
}

// inkContrast composites the icon's solid pixels (alpha ≥ 90 %) onto the
// panel and returns the share of them at least 3:1 against it, and the
// median ratio of those pixels. The white marks inside a filled shape
// count against it, so the share need not be 1.
func inkContrast(img *image.NRGBA, bg [3]uint8) (share, median float64) {
	lbg := luminance(float64(bg[0]), float64(bg[1]), float64(bg[2]))
	var ratios []float64
	good := 0
	for i := 0; i < len(img.Pix); i += 4 {
		a := float64(img.Pix[i+3]) / 255
		if a < 0.9 {
			continue
		}
		mix := func(c uint8, b uint8) float64 { return a*float64(c) + (1-a)*float64(b) }
		l := luminance(mix(img.Pix[i], bg[0]), mix(img.Pix[i+1], bg[1]), mix(img.Pix[i+2], bg[2]))
		r := contrastRatio(l, lbg)
		ratios = append(ratios, r)
		if r >= 3 {
			good++
		}
	}
	if len(ratios) == 0 {
		return 0, 0
	}
	// a rough median: enough for a report
	for i := range ratios {
		for j := i + 1; j < len(ratios); j++ {
			if ratios[j] < ratios[i] {
				ratios[i], ratios[j] = ratios[j], ratios[i]
			}
		}
	}
	return float64(good) / float64(len(ratios)), ratios[len(ratios)/2]
}

// TestTrayIconsContrastOnLightAndDarkPanels: every state's icon, drawn at
// the sizes tray hosts use, is mostly pixels at least 3:1 against both a
// light and a dark panel (WCAG's bar for graphics).
func TestTrayIconsContrastOnLightAndDarkPanels(t *testing.T) {
	for _, ic := range stateIcons {
		for _, px := range []int{16, 22, 24} {
			img, err := rasterizeImage(ic.res.Content(), px)
			if err != nil {
				t.Fatal(err)
			}
			for panel, bg := range panels {
				share, median := inkContrast(img, bg)
				t.Logf("%-9s %2d px on %s: %.0f%% of solid pixels ≥ 3:1, median %.2f:1", ic.name, px, panel, 100*share, median)
				if share < 0.7 {
					t.Errorf("%s at %d px on a %s panel: only %.0f%% of its solid pixels reach 3:1 (median %.2f:1); want at least 70%%",
						ic.name, px, panel, 100*share, median)
				}
			}
		}
	}
}

// mask is the icon's silhouette: pixels at least half opaque.
func mask(img *image.NRGBA) []bool {
	m := make([]bool, len(img.Pix)/4)
	for i := range m {
		m[i] = img.Pix[4*i+3] >= 128
	}
	return m
}

// TestTrayIconsDifferInShape: the four states are told apart without
// colour: any two silhouettes differ in at least 30 % of the pixels
// either covers, at 16, 22 and 24 px.
func TestTrayIconsDifferInShape(t *testing.T) {
	for _, px := range []int{16, 22, 24} {
		masks := make([][]bool, len(stateIcons))
		for i, ic := range stateIcons {
			img, err := rasterizeImage(ic.res.Content(), px)
			if err != nil {
				t.Fatal(err)
			}
			masks[i] = mask(img)
		}
		for i := range masks {
			for j := i + 1; j < len(masks); j++ {
				differ, either := 0, 0
				for k := range masks[i] {
					if masks[i][k] || masks[j][k] {
						either++
					}
					if masks[i][k] != masks[j][k] {
						differ++
					}
				}
				d := float64(differ) / float64(either)
				t.Logf("%2d px: %s vs %s differ in %.0f%%", px, stateIcons[i].name, stateIcons[j].name, 100*d)
				if d < 0.3 {
					t.Errorf("at %d px %s and %s differ in only %.0f%% of their pixels; want their shapes told apart (≥ 30%%)",
						px, stateIcons[i].name, stateIcons[j].name, 100*d)
				}
			}
		}
	}
}
