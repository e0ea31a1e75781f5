package ui

import (
	"bytes"
	"image"
	"os"
	"path/filepath"
	"sync"

	"github.com/ibkr-tray/ibkr-tray/assets"
)

// Notifications carried no icon. They now carry the app icon twice, as the
// freedesktop spec allows: app_icon, a path to a PNG written once into the
// user's cache folder, and the "image-data" hint, the pixels themselves,
// for servers that cannot read the file (a sandbox, another machine).

// notifyIconPixels is the image-data size: servers show 32 to 64 px.
const notifyIconPixels = 64

// notifyImage is the image-data hint's value, signature (iiibiiay).
type notifyImage struct {
	W, H, Rowstride int32
	HasAlpha        bool
	Bits, Channels  int32
	Data            []byte
}

// notifyIcon is the app icon as the notifier sends it, made on first use.
type notifyIcon struct {
	once  sync.Once
	path  string // "" when it could not be written
	image *notifyImage
}

func (n *notifyIcon) get() (string, *notifyImage) {
	n.once.Do(func() {
		n.path = writeNotifyIcon()
		if img, err := rasterizeImage(assets.AppIcon.Content(), notifyIconPixels); err == nil {
			n.image = rawImage(img)
		}
	})
	return n.path, n.image
}

// writeNotifyIcon writes the app icon PNG into the cache folder, once: an
// existing file with the same bytes is left alone. It returns its path.
func writeNotifyIcon() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	b := appIcon().Content()
	path := filepath.Join(dir, "ibkr-tray", "app-icon.png")
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, b) {
		return path
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return ""
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return ""
	}
	if err := os.Rename(tmp, path); err != nil {
		return ""
	}
	return path
}

// rawImage is an image as image-data: RGBA rows, not premultiplied.
func rawImage(img *image.NRGBA) *notifyImage {
	b := img.Bounds()
	return &notifyImage{W: int32(b.Dx()), H: int32(b.Dy()), Rowstride: int32(img.Stride),
		HasAlpha: true, Bits: 8, Channels: 4, Data: img.Pix}
}
