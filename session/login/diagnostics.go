package login

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/chromedp/chromedp"
)

// keepDiagnostics is how many failed logins keep a screenshot and HTML.
const keepDiagnostics = 10

const diagPrefix = "login-"

// saveDiagnostics writes a screenshot and the page's HTML, with every form
// field blanked first, to a.DiagnosticsDir, and keeps the last ten. It
// returns the screenshot's path ("" when nothing was written). tab is the
// browser's own context: the caller's may have ended.
func saveDiagnostics(tab context.Context, a Attempt, kind FailureKind, log *slog.Logger) string {
	if a.DiagnosticsDir == "" {
		return ""
	}
	ctx, cancel := context.WithTimeout(tab, 5*time.Second)
	defer cancel()
	// Blank the fields before the screenshot too: the code input shows its
	// digits.
	html, err := chromedp.Run(ctx, chromedp.Evaluate[string](blankInputsJS))
	if err != nil {
		log.Warn("login: cannot read the page for diagnostics", "err", err)
		html = fmt.Sprintf("<!-- the page could not be read: %v -->\n", err)
	}
	html = scrub(html, a)
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		log.Warn("login: cannot take a screenshot for diagnostics", "err", err)
	}
	if err := os.MkdirAll(a.DiagnosticsDir, 0o700); err != nil {
		log.Warn("login: cannot create the diagnostics folder", "dir", a.DiagnosticsDir, "err", err)
		return ""
	}
	base := filepath.Join(a.DiagnosticsDir, diagPrefix+a.Now().UTC().Format("20060102-150405.000")+"-"+kind.String())
	shot := ""
	if len(png) > 0 {
		if err := os.WriteFile(base+".png", png, 0o600); err == nil {
			shot = base + ".png"
		} else {
			log.Warn("login: cannot write the screenshot", "err", err)
		}
	}
	if err := os.WriteFile(base+".html", []byte(html), 0o600); err != nil {
		log.Warn("login: cannot write the page's HTML", "err", err)
	} else if shot == "" {
		shot = base + ".html"
	}
	pruneDiagnostics(a.DiagnosticsDir, keepDiagnostics, log)
	if shot != "" {
		log.Warn("login failed; kept a screenshot and the page's HTML", "kind", kind, "file", shot)
	}
	return shot
}

// scrub removes any secret the page may still carry in its text or
// attributes (a page script could copy a field's value).
func scrub(html string, a Attempt) string {
	for _, s := range []string{a.Password, a.TOTPSecret} {
		if len(s) >= 4 {
			html = strings.ReplaceAll(html, s, "[removed]")
		}
	}
	if sec, err := NormalizeSecret(a.TOTPSecret); err == nil && sec != "" {
		html = strings.ReplaceAll(html, sec, "[removed]")
	}
	return html
}

// pruneDiagnostics keeps the files of the newest keep failures. Names
// start with the time, so they sort by age.
func pruneDiagnostics(dir string, keep int, log *slog.Logger) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	var bases []string
	for _, e := range entries {
		n := e.Name()
		if !strings.HasPrefix(n, diagPrefix) || e.IsDir() {
			continue
		}
		b := strings.TrimSuffix(n, filepath.Ext(n))
		if !slices.Contains(bases, b) {
			bases = append(bases, b)
		}
	}
	slices.Sort(bases)
	if len(bases) <= keep {
		return
	}
	old := bases[:len(bases)-keep]
	for _, e := range entries {
		n := e.Name()
		if slices.Contains(old, strings.TrimSuffix(n, filepath.Ext(n))) {
			if err := os.Remove(filepath.Join(dir, n)); err != nil {
				log.Warn("login: cannot remove old diagnostics", "file", n, "err", err)
			}
		}
	}
}
