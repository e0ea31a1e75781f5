// Package fynelocale stops Fyne from logging "Error parsing user locale C"
// at every start on machines whose locale is C.UTF-8 (servers, containers,
// CI): go-locale takes "C" from "C.UTF-8" as a language name. Fyne reads the
// locale in package initialisers, before main runs, so this has to happen in
// an initialiser too. Go initialises ready packages in import-path order, and
// this one (stdlib imports only) sorts before github.com/jeandeaual/go-locale,
// so it runs first wherever it is imported.
package fynelocale

import (
	"os"
	"strings"
)

func init() { fix(os.Getenv, os.Setenv) }

// fix sets LANGUAGE=en when the messages locale is C.<charset> and LANGUAGE
// is unset: go-locale then reads "en", and programs that honour LANGUAGE
// print English, which is what the C locale means anyway.
func fix(getenv func(string) string, setenv func(string, string) error) {
	for _, name := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		v := getenv(name)
		if v == "" {
			continue
		}
		if strings.HasPrefix(v, "C.") && getenv("LANGUAGE") == "" {
			_ = setenv("LANGUAGE", "en")
		}
		return
	}
}
