package archtest

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestNoInitInLibraries keeps orch's packages from changing process-wide
// state (loggers, flags, environment) when they are imported: no package
// but cmd/orch has an init function. A library exports what it needs done
// (buildkit.QuietLogs) and the command decides.
func TestNoInitInLibraries(t *testing.T) {
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
			path := filepath.Join(fields[1], name)
			f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			checked++
			for _, d := range f.Decls {
				if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv == nil && fn.Name.Name == "init" {
					t.Errorf("%s declares init(); export a function the command calls instead", path)
				}
			}
		}
	}
	if checked == 0 {
		t.Fatal("no files checked")
	}
}
