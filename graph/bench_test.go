package graph

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/orch-build/orch/config"
	"github.com/orch-build/orch/internal/benchgen"
)

// benchConfig builds n targets with exactly e links, each to a target
// declared earlier (so the graph is acyclic), half of them `target:`
// contexts and half depends_on; every target has two platforms and an OCI
// layout output of its own, so the platform and destination checks run
// on every node and edge.
func benchConfig(n, e int) *config.Config {
	rng := rand.New(rand.NewPCG(1, 2))
	ts := make([]*config.Target, n)
	name := func(i int) string { return fmt.Sprintf("target-%05d", i) }
	for i := range ts {
		ts[i] = target(name(i), i*10,
			platforms("linux/amd64", "linux/arm64"),
			outputs(out("oci", fmt.Sprintf("/w/out/%s", name(i)), "tar", "false")))
	}
	type link struct{ from, to int }
	seen := map[link]bool{}
	for added := 0; added < e; {
		i := 1 + rng.IntN(n-1)
		j := rng.IntN(i)
		if seen[link{i, j}] {
			continue
		}
		seen[link{i, j}] = true
		t := ts[i]
		if added%2 == 0 {
			if t.Contexts == nil {
				t.Contexts = map[string]string{}
			}
			t.Contexts[fmt.Sprintf("ctx%d", j)] = "target:" + name(j)
		} else {
			t.DependsOn = append(t.DependsOn, name(j))
		}
		added++
	}
	return conf(ts)
}

// BenchmarkNew plans 10,000 targets with 20,000 edges, the size the
// planner must handle in under 200 ms and 100 MB. B/op is every byte
// allocated while planning, an upper bound on the memory planning needs;
// live-MB is the heap still held by the finished plan after a GC.
func BenchmarkNew(b *testing.B) {
	cfg := benchConfig(10_000, 20_000)
	b.ReportAllocs()
	var p *Plan
	for b.Loop() {
		var err error
		if p, err = New(cfg, []string{"all"}); err != nil {
			b.Fatal(err)
		}
	}
	if len(p.Nodes) != 10_000 {
		b.Fatalf("planned %d nodes", len(p.Nodes))
	}
	edges := 0
	for _, n := range p.Nodes {
		edges += len(n.Deps)
	}
	if edges != 20_000 {
		b.Fatalf("planned %d edges", edges)
	}
	b.ReportMetric(liveMB(func() any { p, _ := New(cfg, []string{"all"}); return p }), "live-MB")
}

// BenchmarkRender times the renderers on the same plan.
func BenchmarkRender(b *testing.B) {
	p, err := New(benchConfig(10_000, 20_000), []string{"all"})
	if err != nil {
		b.Fatal(err)
	}
	for _, r := range []struct {
		name   string
		render func() error
	}{
		{"table", func() error { return p.WriteTable(discard{}, RenderOptions{Dir: "/w"}) }},
		{"json", func() error { return p.WriteJSON(discard{}) }},
		{"dot", func() error { return p.WriteDOT(discard{}) }},
		{"mermaid", func() error { return p.WriteMermaid(discard{}) }},
	} {
		b.Run(r.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := r.render(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// liveMB measures the heap that the value made by f keeps alive.
func liveMB(f func() any) float64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	v := f()
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(v)
	return float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / (1 << 20)
}

// BenchmarkPlanFile is `orch plan` with no names (the default group) on the
// generated shapes of package benchgen, from reading the files to the
// finished plan: loading, selecting, linking and checking destinations.
// The 10,000-target monorepo must plan in under a second, and time must
// grow linearly with the size (compare 1k, 10k and 50k).
func BenchmarkPlanFile(b *testing.B) {
	shapes := []struct {
		name  string
		files func(n int) ([]string, [][]byte)
	}{
		{"monorepo", func(n int) ([]string, [][]byte) {
			return []string{"docker-bake.hcl"}, [][]byte{benchgen.Monorepo(n)}
		}},
		{"matrix", func(n int) ([]string, [][]byte) { return benchgen.Matrix(n, 20) }},
	}
	for _, s := range shapes {
		for _, n := range []int{1000, 10000, 50000} {
			b.Run(fmt.Sprintf("%s/%dk", s.name, n/1000), func(b *testing.B) {
				dir := b.TempDir()
				names, data := s.files(n)
				for i, name := range names {
					if err := os.WriteFile(filepath.Join(dir, name), data[i], 0o644); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportAllocs()
				for b.Loop() {
					cfg, diags := config.Load(config.Options{Files: names, WorkDir: dir, LocalPlatform: "linux/amd64"})
					if diags.HasErrors() {
						b.Fatal(diags.Error())
					}
					p, err := New(cfg, nil)
					if err != nil {
						b.Fatal(err)
					}
					if len(p.Nodes) < n {
						b.Fatalf("planned %d nodes, want at least %d", len(p.Nodes), n)
					}
				}
			})
		}
	}
}
