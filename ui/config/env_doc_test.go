package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// envDoc is the one page that lists the environment variables.
var envDoc = filepath.Join("..", "..", "docs", "headless.md")

// TestHeadlessDocListsEveryEnvVariable keeps the table in docs/headless.md
// the settings' own: a row per setting, in Config's order, with its key,
// variable and kind of value, and a meaning. On a mismatch it prints the
// rows to paste, keeping the meanings already written.
func TestHeadlessDocListsEveryEnvVariable(t *testing.T) {
	b, err := os.ReadFile(envDoc)
	if err != nil {
		t.Fatal(err)
	}
	meanings := map[string]string{}
	var got []string
	for line := range strings.SplitSeq(string(b), "\n") {
		cells := strings.Split(strings.Trim(line, "| "), " | ")
		if len(cells) != 4 || !strings.HasPrefix(cells[1], "`"+EnvPrefix) {
			continue
		}
		got = append(got, line)
		meanings[strings.Trim(cells[0], "`")] = cells[3]
	}
	var want []string
	for _, s := range EnvSettings() {
		meaning := meanings[s.Key]
		if meaning == "" {
			meaning = "(say what it does, and its default)"
		}
		want = append(want, fmt.Sprintf("| `%s` | `%s` | %s | %s |", s.Key, s.Var, s.Kind, meaning))
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("the table of environment variables in %s does not match ui/config.Config; its rows should be:\n%s", envDoc, strings.Join(want, "\n"))
	}
	if strings.Count(string(b), "| setting (settings file key) | environment variable |") != 1 {
		t.Errorf("%s should have one table of the environment variables", envDoc)
	}
}
