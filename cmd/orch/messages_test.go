package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// notShown are messages of cmd/orch that never reach a user as they are
// written, with the reason.
var notShown = map[string]string{
	// print wraps its diagnostics in a reportedError: they were printed,
	// with their locations, and the error only carries the exit code.
	"print: %s": "a reportedError, not printed",
}

// verb matches a fmt verb or an escaped newline or tab: the places a
// message's fixed text is cut at.
var verb = regexp.MustCompile(`%[-+# 0-9.]*[a-zA-Z%]|\n|\t`)

// TestEveryMessageIsTested: each message cmd/orch writes or returns (the
// format of every usageErrorf, fmt.Errorf, errors.New, fmt.Fprintf and
// fmt.Fprintln in its code) appears in the expectation of some test: every
// piece of its fixed text, between the verbs, is in a test file or a
// script of this package. A new message without a test fails here.
func TestEveryMessageIsTested(t *testing.T) {
	corpus := testCorpus(t)
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			format, ok := messageFormat(call)
			if !ok {
				return true
			}
			seen++
			if _, skip := notShown[format]; skip {
				return true
			}
			for _, piece := range verb.Split(format, -1) {
				if len(strings.TrimSpace(piece)) < 4 {
					continue // ": ", " | " and the like say nothing
				}
				if !strings.Contains(corpus, piece) {
					t.Errorf("%s: message %q: no test expects %q", fset.Position(call.Pos()), format, piece)
				}
			}
			return true
		})
	}
	if seen < 30 {
		t.Errorf("found %d messages: the search no longer finds cmd/orch's messages", seen)
	}
}

// messageFormat returns the format string of a call that makes a message:
// usageErrorf(FORMAT, ...), fmt.Errorf(FORMAT, ...), errors.New(FORMAT),
// fmt.Fprintf(w, FORMAT, ...) and fmt.Fprintln(w, FORMAT).
func messageFormat(call *ast.CallExpr) (string, bool) {
	arg := 0
	switch fn := call.Fun.(type) {
	case *ast.Ident:
		if fn.Name != "usageErrorf" {
			return "", false
		}
	case *ast.SelectorExpr:
		pkg, ok := fn.X.(*ast.Ident)
		if !ok {
			return "", false
		}
		switch pkg.Name + "." + fn.Sel.Name {
		case "fmt.Errorf", "errors.New":
		case "fmt.Fprintf", "fmt.Fprintln":
			arg = 1
		default:
			return "", false
		}
	default:
		return "", false
	}
	if len(call.Args) <= arg {
		return "", false
	}
	lit, ok := call.Args[arg].(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(lit.Value)
	return s, err == nil
}

// testCorpus is the text of every test file and script of the package but
// this one (which names pieces of messages in its comments), twice: as
// written, and with the backslashes of regular expressions and of Go
// string escapes taken out, so that `\(press Ctrl-C` and "\"fancy\"" count
// as the text they match.
func testCorpus(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	for _, pattern := range []string{"*_test.go", "testdata/*.txtar"} {
		files, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if f == "messages_test.go" {
				continue
			}
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			b.Write(raw)
			b.WriteByte('\n')
		}
	}
	text := b.String()
	return text + "\n" + regexp.MustCompile(`\\([\\.()\[\]*+?|{}^$"])`).ReplaceAllString(text, "$1")
}
