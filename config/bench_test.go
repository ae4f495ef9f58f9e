package config_test

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orch-build/orch/config"
	"github.com/orch-build/orch/graph"
	"github.com/orch-build/orch/internal/benchgen"
)

// shape is a generated input: files (name → content) and their order.
type shape struct {
	name  string
	files func(n int) ([]string, [][]byte)
}

// shapes are the two kinds of large input: one monorepo file (inherits,
// functions, `target:` links, two platforms, a default group naming every
// target) and many small matrix files given with several -f.
var shapes = []shape{
	{"monorepo", func(n int) ([]string, [][]byte) {
		return []string{"docker-bake.hcl"}, [][]byte{benchgen.Monorepo(n)}
	}},
	{"matrix", func(n int) ([]string, [][]byte) { return benchgen.Matrix(n, 20) }},
}

// writeShape writes a shape of n targets into a new directory.
func writeShape(b *testing.B, s shape, n int) (dir string, files []string) {
	b.Helper()
	dir = b.TempDir()
	names, data := s.files(n)
	for i, name := range names {
		if err := os.WriteFile(filepath.Join(dir, name), data[i], 0o644); err != nil {
			b.Fatal(err)
		}
	}
	return dir, names
}

// BenchmarkPrint is `orch print` with no names (the default group) on each
// shape, from reading the files to the last byte of JSON: loading,
// selecting and checking links (graph.PrintSet) and rendering. The 10,000
// target monorepo must print in under a second and 150 MB, and time must
// grow linearly with the size (compare 1k, 10k and 50k).
func BenchmarkPrint(b *testing.B) {
	for _, s := range shapes {
		for _, n := range []int{1000, 10000, 50000} {
			b.Run(fmt.Sprintf("%s/%dk", s.name, n/1000), func(b *testing.B) {
				dir, files := writeShape(b, s, n)
				b.ReportAllocs()
				for b.Loop() {
					cfg, diags := config.Load(config.Options{Files: files, WorkDir: dir, LocalPlatform: "linux/amd64"})
					if diags.HasErrors() {
						b.Fatal(diags.Error())
					}
					set, err := graph.PrintSet(cfg, nil)
					if err != nil {
						b.Fatal(err)
					}
					if len(set.Targets) < n {
						b.Fatalf("selected %d targets, want at least %d", len(set.Targets), n)
					}
					if diags := cfg.WritePrintJSON(io.Discard, set); diags.HasErrors() {
						b.Fatal(diags.Error())
					}
				}
			})
		}
	}
}

// TestShapesLoad keeps the benchmark inputs valid: each shape loads, with
// the targets, links and default group it promises.
func TestShapesLoad(t *testing.T) {
	for _, s := range shapes {
		t.Run(s.name, func(t *testing.T) {
			dir := t.TempDir()
			names, data := s.files(200)
			for i, name := range names {
				if err := os.WriteFile(filepath.Join(dir, name), data[i], 0o644); err != nil {
					t.Fatal(err)
				}
			}
			cfg, diags := config.Load(config.Options{Files: names, WorkDir: dir})
			if diags.HasErrors() {
				t.Fatal(diags.Error())
			}
			set, err := graph.PrintSet(cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(set.Targets) < 200 {
				t.Errorf("the default group selects %d targets, want at least 200", len(set.Targets))
			}
			links := 0
			for _, tg := range cfg.Targets {
				for _, c := range tg.Contexts {
					if strings.HasPrefix(c, "target:") {
						links++
					}
				}
				if tg.Name != "_base" && len(tg.Platforms) == 0 {
					t.Errorf("target %s has no platform", tg.Name)
				}
			}
			if links == 0 {
				t.Error("no target: links")
			}
		})
	}
}
