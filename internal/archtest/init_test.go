package archtest

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestNoProcessStateOnImport keeps orch's library packages from changing
// process-wide state (loggers, the environment, flags) when they are
// imported: an init function outside cmd/orch may set its own package's
// variables, but call nothing of another package. A library exports what
// it needs done (buildkit.QuietLogs) and the command decides.
func TestNoProcessStateOnImport(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}} {{.Dir}} {{join .GoFiles \",\"}}", module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		if len(fields) < 3 || fields[0] == module+"/cmd/orch" {
			continue
		}
		for _, name := range strings.Split(fields[2], ",") {
			file := filepath.Join(fields[1], name)
			f, err := parser.ParseFile(token.NewFileSet(), file, nil, parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			checked++
			for _, call := range initCallsOut(f) {
				t.Errorf("%s: init() calls %s; export a function the command calls instead", file, call)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no files checked")
	}
}

// majorVersion matches the /vN suffix of a module path.
var majorVersion = regexp.MustCompile(`^v[0-9]+$`)

// initCallsOut lists the calls f's init functions make into imported
// packages, as "pkg.Name".
func initCallsOut(f *ast.File) []string {
	imported := map[string]bool{}
	for _, imp := range f.Imports {
		p, _ := strconv.Unquote(imp.Path.Value)
		name := path.Base(p)
		if majorVersion.MatchString(name) {
			name = path.Base(path.Dir(p))
		}
		if imp.Name != nil {
			name = imp.Name.Name
		}
		imported[name] = true
	}
	var calls []string
	for _, d := range f.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || fn.Recv != nil || fn.Name.Name != "init" || fn.Body == nil {
			continue
		}
		ast.Inspect(fn.Body, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			// pkg.F(...) or pkg.V.M(...): the leftmost name is the package.
			x := call.Fun
			for {
				sel, ok := x.(*ast.SelectorExpr)
				if !ok {
					break
				}
				x = sel.X
				if id, ok := x.(*ast.Ident); ok && imported[id.Name] {
					calls = append(calls, id.Name+"."+sel.Sel.Name)
					break
				}
			}
			return true
		})
	}
	return calls
}

// TestInitCallsOut checks the detector on the init this test was written
// against (the adapter's, which silenced BuildKit's loggers on import)
// and on one that only fills its own tables.
func TestInitCallsOut(t *testing.T) {
	src := `package p
import (
	stdlog "log"
	"io"
	"github.com/containerd/log"
	"github.com/sirupsen/logrus"
)
func init() {
	log.L.Logger.SetLevel(logrus.ErrorLevel)
	stdlog.SetOutput(io.Discard)
}
`
	f, err := parser.ParseFile(token.NewFileSet(), "p.go", src, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(initCallsOut(f), " "), "log.L stdlog.SetOutput"; got != want {
		t.Errorf("calls out = %q, want %q", got, want)
	}
	own := `package p
import "strings"
var table []string
func init() { table = append(table, local("x")) }
func local(s string) string { return strings.ToUpper(s) }
`
	if f, err = parser.ParseFile(token.NewFileSet(), "p.go", own, parser.SkipObjectResolution); err != nil {
		t.Fatal(err)
	}
	if got := initCallsOut(f); len(got) != 0 {
		t.Errorf("an init filling its own table calls out %q", got)
	}
}
