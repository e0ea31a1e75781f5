package ui

import (
	"bytes"
	"errors"
	"log"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
)

// TestFyneLogDropsThePreferencesRaceAndKeepsTheRest: Fyne's own entry
// for the race at quit (see fynelog.go), as fyne.LogError writes it, is
// dropped whole; other Fyne errors and the app's log lines pass.
func TestFyneLogDropsThePreferencesRaceAndKeepsTheRest(t *testing.T) {
	var out bytes.Buffer
	old := log.Writer()
	log.SetOutput(quietFyneLog(&out))
	t.Cleanup(func() { log.SetOutput(old) })

	log.Println("INFO before")
	fyne.LogError("Preferences load error:", errors.New("EOF"))
	log.Println("INFO between")
	fyne.LogError("Settings watch error:", errors.New("no space"))
	log.Println("INFO after")

	got := out.String()
	if strings.Contains(got, "Preferences") || strings.Contains(got, "EOF") {
		t.Errorf("the preferences race still logs:\n%s", got)
	}
	for _, want := range []string{"INFO before", "INFO between", "Settings watch error:", "Cause: no space", "INFO after"} {
		if !strings.Contains(got, want) {
			t.Errorf("the log lost %q:\n%s", want, got)
		}
	}
}
