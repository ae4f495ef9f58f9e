package graph_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"

	"github.com/orch-build/orch/config"
	"github.com/orch-build/orch/graph"
	"github.com/orch-build/orch/runner/build"
)

// TestOneDiagnosticForEveryCommand runs one file with a dependency cycle
// through the libraries of the four commands that read a selection:
// print (graph.PrintSet, after build.Load) and validate, plan and build
// (build.Check, their one check). Each must report the cycle once, with
// the same summary, detail and line.
func TestOneDiagnosticForEveryCommand(t *testing.T) {
	dir := t.TempDir()
	src := `target "a" {
  contexts = { b = "target:b" }
}
target "b" {
  depends_on = ["c"]
}
target "c" {
  contexts = { a = "target:a" }
}
group "default" {
  targets = ["a"]
}
`
	for name, content := range map[string]string{"orch.hcl": src, "Dockerfile": "FROM scratch\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	opts := build.Options{Config: config.Options{WorkDir: dir}}
	cycles := func(diags hcl.Diagnostics) []string {
		var out []string
		for _, d := range diags {
			if d.Severity == hcl.DiagError {
				out = append(out, d.Subject.String()+" "+d.Summary+": "+d.Detail)
			}
		}
		return out
	}

	loaded, err := build.Load(opts)
	if err != nil {
		t.Fatal(err)
	}
	_, perr := graph.PrintSet(loaded.Config, opts.Targets)
	printed := cycles(graph.Diagnostics(perr))
	if len(printed) != 1 {
		t.Fatalf("print reports %d errors, want the cycle once: %q", len(printed), printed)
	}
	want := "orch.hcl:2,20-30 Dependency cycle: The targets a → b → c → a wait for each other, so none can start:\n" +
		"  orch.hcl:2: target \"a\" uses \"b\" as context \"b\"\n" +
		"  orch.hcl:5: target \"b\" depends on \"c\"\n" +
		"  orch.hcl:8: target \"c\" uses \"a\" as context \"a\"\n" +
		"Remove one of these links."
	if diff := cmp.Diff(want, printed[0]); diff != "" {
		t.Errorf("print (-want +got):\n%s", diff)
	}
	for _, command := range []string{"validate", "plan", "build"} {
		ch, err := build.Check(opts)
		if err == nil {
			t.Fatalf("%s: the check passed a cycle", command)
		}
		if diff := cmp.Diff(printed, cycles(ch.Diagnostics)); diff != "" {
			t.Errorf("%s reports differently from print (-print +%s):\n%s", command, command, diff)
		}
	}
}
