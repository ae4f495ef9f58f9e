package graph

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orch-build/orch/config"
)

// TestExamples plans every project under examples/ as `orch plan` and
// `orch graph` would with no names (the default group) and compares each
// rendering with testdata/examples/<project>.*; go test -update rewrites
// them after a change to an example. The environment is left out so that
// variables keep their defaults, and absolute paths print as $EXAMPLE.
func TestExamples(t *testing.T) {
	dirs, err := filepath.Glob("../examples/*/orch.hcl")
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) == 0 {
		t.Fatal("no examples/*/orch.hcl found")
	}
	for _, file := range dirs {
		dir, err := filepath.Abs(filepath.Dir(file))
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			cfg, diags := config.Load(config.Options{WorkDir: dir, LocalPlatform: "linux/amd64"})
			if diags.HasErrors() {
				t.Fatalf("load %s: %v", dir, diags)
			}
			p, err := New(cfg, nil)
			if err != nil {
				t.Fatalf("plan %s: %v", dir, err)
			}
			renderings := []struct {
				ext    string
				render func(*bytes.Buffer) error
			}{
				{"plan.txt", func(b *bytes.Buffer) error { return p.WriteTable(b, RenderOptions{Dir: dir}) }},
				{"plan.json", func(b *bytes.Buffer) error { return p.WriteJSON(b) }},
				{"dot", func(b *bytes.Buffer) error { return p.WriteDOT(b) }},
				{"mmd", func(b *bytes.Buffer) error { return p.WriteMermaid(b) }},
			}
			for _, r := range renderings {
				var buf bytes.Buffer
				if err := r.render(&buf); err != nil {
					t.Fatal(err)
				}
				got := strings.ReplaceAll(buf.String(), dir, "$EXAMPLE")
				golden(t, filepath.Join("examples", name+"."+r.ext), []byte(got))
			}
		})
	}
}
