package ui

import (
	"errors"
	"math"
	"net/url"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/ibkr-tray/ibkr-tray/gateway"
	"github.com/ibkr-tray/ibkr-tray/session"
)

// outageTimeline has a short outage (2 minutes) in a day otherwise
// authenticated, ending at fixedNow.
func outageTimeline() *Timeline {
	tl := NewTimeline()
	ok := snap(gateway.Running, session.Authenticated)
	tl.Observe(ok, fixedNow().Add(-20*time.Hour))
	tl.Observe(snap(gateway.Stopped, session.GatewayDown), fixedNow().Add(-3*time.Hour))
	tl.Observe(ok, fixedNow().Add(-3*time.Hour+2*time.Minute))
	tl.Observe(snap(gateway.Restarting, session.GatewayDown), fixedNow().Add(-10*time.Minute))
	return tl
}

const (
	secretPassword = "hunter2-not-for-support"
	secretTOTP     = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
)

func TestStatusWindowCopyStatusIsAPlainTextReportWithoutSecrets(t *testing.T) {
	test.NewTempApp(t)
	st := richStatus()
	st.Session.LastError = "login refused for password " + secretPassword + " and secret " + secretTOTP
	v := newStatusView(statusActions{})
	v.update(st, outageTimeline(), []string{"user typed " + secretPassword, "totp " + secretTOTP}, fixedNow())
	test.Tap(findButton(t, v.content, "Copy status"))
	text := fyne.CurrentApp().Clipboard().Content()
	for _, want := range []string{
		"ibkr-tray status, 2026-11-22 11:00:00 UTC",
		"Authenticated as U1234567",
		"  Process: pid 4242, port 5000, https://localhost:5000",
		"  User: U1234567 (paper)",
		"  Account: DU1234567",
		"  Last login: ",
		"automated login",
		"Outages (not authenticated):",
		"08:00–08:02, ",
		"Recent events",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the report lacks %q:\n%s", want, text)
		}
	}
	for _, secret := range []string{secretPassword, secretTOTP, "DU7654321"} {
		if strings.Contains(text, secret) {
			t.Errorf("the report contains %q (a secret, or an account the window does not show):\n%s", secret, text)
		}
	}
	if !strings.HasPrefix(v.copied.Text, "Copied") {
		t.Errorf("after Copy status the window says %q", v.copied.Text)
	}
}

func findButton(t *testing.T, o fyne.CanvasObject, label string) *widget.Button {
	t.Helper()
	var found *widget.Button
	var walk func(fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		switch x := o.(type) {
		case *widget.Button:
			if x.Text == label {
				found = x
			}
		case *fyne.Container:
			for _, c := range x.Objects {
				walk(c)
			}
		case *container.Scroll:
			walk(x.Content)
		case *widget.Card:
			walk(x.Content)
		}
	}
	walk(o)
	if found == nil {
		t.Fatalf("no %q button", label)
	}
	return found
}

func TestStatusWindowShowsTheAddressItCouldNotOpen(t *testing.T) {
	h := newHarness(t, snap(gateway.Running, session.Authenticated))
	h.ui.do(func() {
		h.tray.openFailed(&url.URL{Scheme: "file", Path: "/home/ann/.local/state/ibkr-tray/default"}, errors.New("xdg-open: not found"))
	})
	h.ui.do(func() {
		v := h.tray.status
		if v == nil || !v.openFailedBox.Visible() {
			t.Fatal("no message in the status window")
		}
		if v.openFailedText.Text != "/home/ann/.local/state/ibkr-tray/default" {
			t.Errorf("shows %q to copy; want the folder's path", v.openFailedText.Text)
		}
		if !strings.Contains(v.openFailed.Text, "log folder") || !strings.Contains(v.openFailed.Text, "xdg-open: not found") {
			t.Errorf("message %q", v.openFailed.Text)
		}
		test.Type(v.openFailedText, "x") // selectable, not editable
		if v.openFailedText.Text != "/home/ann/.local/state/ibkr-tray/default" {
			t.Errorf("the path could be edited to %q", v.openFailedText.Text)
		}
	})
	h.ui.do(func() {
		h.tray.openFailed(&url.URL{Scheme: "https", Host: "localhost:5000", Path: "/"}, errors.New("no browser"))
		if got := h.tray.status.openFailedText.Text; got != "https://localhost:5000/" {
			t.Errorf("shows %q; want the address", got)
		}
	})
}

// Issue 10: a 2-minute outage in a 24 h band 500 px wide was a 1 px sliver.
func TestStatusWindowBandShowsShortOutages(t *testing.T) {
	test.NewTempApp(t)
	tl := outageTimeline()
	c := container.New(&bandLayout{})
	now := fixedNow()
	c.Layout.(*bandLayout).set(c, tl.Spans(now), now.Add(-tl.Window), now)
	c.Resize(fyne.NewSize(500, 18))
	faults := 0
	for i, o := range c.Objects {
		if c.Layout.(*bandLayout).spans[i].Band == BandAuthenticated {
			if faults > 0 {
				t.Error("a green span is drawn over a fault")
			}
			continue
		}
		faults++
		if o.Size().Width < minFaultWidth {
			t.Errorf("fault %d is %.1f px wide; want at least %d", i, o.Size().Width, minFaultWidth)
		}
		if o.Position().X+o.Size().Width > 500 {
			t.Errorf("fault %d ends past the band at %.1f", i, o.Position().X+o.Size().Width)
		}
	}
	if faults != 2 {
		t.Errorf("%d faults drawn, want 2", faults)
	}
}

func TestStatusWindowLegendSquaresLineUpWithTheirLabels(t *testing.T) {
	test.NewTempApp(t)
	legend := bandLegend().(*fyne.Container)
	w := test.NewTempWindow(t, legend)
	w.Resize(fyne.NewSize(400, 60))
	d := fyne.CurrentApp().Driver()
	centre := func(o fyne.CanvasObject) float32 { return d.AbsolutePositionForObject(o).Y + o.Size().Height/2 }
	objs := legend.Objects
	for i := 0; i+1 < len(objs); i += 2 {
		var square fyne.CanvasObject
		var find func(fyne.CanvasObject)
		find = func(o fyne.CanvasObject) {
			if r, ok := o.(*canvas.Rectangle); ok {
				square = r
			}
			if c, ok := o.(*fyne.Container); ok {
				for _, x := range c.Objects {
					find(x)
				}
			}
		}
		find(objs[i])
		label := objs[i+1].(*widget.Label)
		if diff := math.Abs(float64(centre(square) - centre(label))); diff > 1 {
			t.Errorf("the %q square's centre is %.1f px off its label's", label.Text, diff)
		}
	}
}

func TestStatusWindowLastLoginSaysWhoLoggedIn(t *testing.T) {
	test.NewTempApp(t)
	for method, want := range map[string]string{"browser": "automated login", "manual": "by you in the browser"} {
		st := richStatus()
		st.Session.LastLoginMethod = method
		v := newStatusView(statusActions{})
		v.update(st, NewTimeline(), nil, fixedNow())
		if got := v.values["Last login"].Text; !strings.HasSuffix(got, want) {
			t.Errorf("%s: Last login %q, want it to end %q", method, got, want)
		}
	}
}
