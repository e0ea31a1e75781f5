package ui

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ibkr-tray/ibkr-tray/session"
)

// sessionCauses reads every Cause constant from the session package's
// source, so a cause added there without words here fails the test.
func sessionCauses(t *testing.T) []session.Cause {
	t.Helper()
	fset := token.NewFileSet()
	files, err := filepath.Glob("../session/*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("no session sources: %v", err)
	}
	var out []session.Cause
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range file.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, spec := range g.Specs {
				vs := spec.(*ast.ValueSpec)
				if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "Cause" {
					continue
				}
				for _, v := range vs.Values {
					lit, ok := v.(*ast.BasicLit)
					if !ok {
						t.Fatalf("%s: a Cause that is not a string literal", fset.Position(v.Pos()))
					}
					s, _ := strconv.Unquote(lit.Value)
					out = append(out, session.Cause(s))
				}
			}
		}
	}
	if len(out) < 20 {
		t.Fatalf("found only %d causes in session: the parser missed them", len(out))
	}
	return out
}

func TestEveryCauseHasWords(t *testing.T) {
	for _, c := range sessionCauses(t) {
		row, ok := causes[c]
		if !ok {
			t.Errorf("cause %q has no row in causes.go", c)
			continue
		}
		if row.Line == "" || row.Title == "" || (row.What == "" && row.what == nil) {
			t.Errorf("cause %q: line %q, title %q, what %q: all three are needed", c, row.Line, row.Title, row.What)
		}
		if row.Icon == IconAttention {
			t.Errorf("cause %q: the row says attention; only Status.NeedsYou may", c)
		}
		st := capInRow() // counts and times filled in
		st.Session.Cause = c
		st.Session.Reason = "the answer was an HTML page. It came from another program. Stop it"
		st.Gateway.Reason = "another program listens on port 5000. Stop it, or choose another port"
		_, what, do := explain(st)
		if n := len(sentenceEnd.FindAllString(message(what, do), -1)); n > 2 {
			t.Errorf("cause %q: %d sentences (%q); the popup has room for two", c, n, message(what, do))
		}
	}
}

func TestOnlyLoginCausesAreTitledLoginNeeded(t *testing.T) {
	login := map[session.Cause]bool{
		session.CauseNoCredentials: true, session.CauseCredentialsLocked: true,
		session.CauseNoBrowser: true, session.CauseManualLoginTimedOut: true,
	}
	for c, row := range causes {
		if strings.Contains(row.Title, "login needed") != login[c] {
			t.Errorf("cause %q is titled %q", c, row.Title)
		}
	}
	if got := causes[session.CauseBrokerageLate].Title; strings.Contains(got, "login") {
		t.Errorf("logged in, waiting for the brokerage session, is titled %q", got)
	}
}
