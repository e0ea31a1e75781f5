package ui

import (
	"errors"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/ibkr-tray/ibkr-tray/gateway"
)

// hyperlinks lists the links under o.
func hyperlinks(o fyne.CanvasObject) map[string]*widget.Hyperlink {
	out := map[string]*widget.Hyperlink{}
	var walk func(fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		switch x := o.(type) {
		case *widget.Hyperlink:
			out[x.URL.String()] = x
		case *fyne.Container:
			for _, c := range x.Objects {
				walk(c)
			}
		case *container.Scroll:
			walk(x.Content)
		}
	}
	walk(o)
	return out
}

func TestWelcomeLinksTheGatewayDownload(t *testing.T) {
	test.NewTempApp(t)
	v := newWelcomeView(nil, nil)
	if _, ok := hyperlinks(v.content)[DownloadPage]; !ok {
		t.Errorf("the Welcome window has no link to %s (links: %v)", DownloadPage, hyperlinks(v.content))
	}
}

func TestWelcomeSaysWhetherJavaIsThere(t *testing.T) {
	test.NewTempApp(t)
	v := newWelcomeView(nil, nil)
	v.showJava(gateway.Java{Path: "/usr/bin/java", Version: "17.0.15"}, nil)
	if got := v.java.Text; !strings.HasPrefix(got, "Java found: 17.0.15 (/usr/bin/java)") || v.javaLinks.Visible() {
		t.Errorf("with Java: %q (download link shown %v)", got, v.javaLinks.Visible())
	}

	// The real check, on a PATH without java.
	t.Setenv("JAVA_HOME", "")
	t.Setenv("PATH", t.TempDir())
	j, err := gateway.FindJava()
	if err == nil {
		t.Fatalf("found java at %s on an empty PATH", j.Path)
	}
	v.showJava(j, err)
	command := v.javaLinks.Objects[0].(*widget.Entry).Text
	if got := v.java.Text; !strings.Contains(got, "Debian or Ubuntu") || command != "sudo apt install default-jre" || !v.javaLinks.Visible() {
		t.Errorf("without Java: %q (download link shown %v); want the apt command and the link", got, v.javaLinks.Visible())
	}
	if _, ok := hyperlinks(v.javaLinks)[javaDownloadPage]; !ok {
		t.Error("no Java download link")
	}

	// Java there but broken: FindJava's own sentence.
	v.showJava(gateway.Java{}, errors.New("JAVA_HOME is set to /opt/jdk, but it has no bin/java; fix JAVA_HOME or unset it to use java from PATH"))
	if got := v.java.Text; !strings.HasPrefix(got, "JAVA_HOME is set to /opt/jdk") {
		t.Errorf("broken Java: %q", got)
	}
}

func TestWelcomeChecksJavaOffTheUIGoroutine(t *testing.T) {
	test.NewTempApp(t)
	ui := &serialUI{}
	v := newWelcomeView(nil, nil)
	release := make(chan struct{})
	ui.do(func() {
		v.checkJava(func() (gateway.Java, error) {
			<-release // a slow java -version must not hold the window
			return gateway.Java{Path: "/usr/bin/java", Version: "21"}, nil
		}, ui.do)
	})
	close(release)
	eventually(t, "Java shown", func() (ok bool) {
		ui.do(func() { ok = strings.HasPrefix(v.java.Text, "Java found: 21") })
		return ok
	})
}

// Issue 10: the folder picker opened inside the 520x300 Welcome window,
// showing one or two rows.
func TestWelcomeFolderPickerHasRoom(t *testing.T) {
	test.NewTempApp(t)
	v := newWelcomeView(nil, nil)
	w := test.NewTempWindow(t, v.content)
	w.Resize(welcomeSize)
	before := w.Canvas().Size()
	d := pickFolder(w, func(string) {})
	if s := w.Canvas().Size(); s.Width < pickerSize.Width || s.Height < pickerSize.Height {
		t.Errorf("window %v while picking; want at least %v", s, pickerSize)
	}
	top := w.Canvas().Overlays().Top()
	if top == nil {
		t.Fatal("no picker shown")
	}
	var picker fyne.CanvasObject = top
	if c, ok := top.(*widget.PopUp); ok {
		picker = c.Content
	}
	if s := picker.Size(); s.Width < 700 || s.Height < 500 {
		t.Errorf("picker %v; want at least 700x500", s)
	}
	d.Dismiss() // Cancel
	if s := w.Canvas().Size(); s != before {
		t.Errorf("after the picker closed the window is %v; want its own size %v back", s, before)
	}
}
