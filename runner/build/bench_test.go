package build_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/orch-build/orch/config"
	"github.com/orch-build/orch/internal/benchgen"
	"github.com/orch-build/orch/runner/build"
)

// BenchmarkCheck is `orch plan` without its rendering: loading the
// generated monorepo file (inherits, functions, target: links, two
// platforms, a default group naming every target), planning the default
// group and checking every target as a build would (contexts, Dockerfiles,
// outputs). The 10,000-target file must plan in under a second; compare
// 1k, 10k and 50k for linear growth.
func BenchmarkCheck(b *testing.B) {
	benchmarkPlan(b, func(opts build.Options) (*build.Checked, error) { return build.Check(opts) })
}

// BenchmarkPlan is `orch plan` without its rendering: Check, then the
// incremental check of every target (fingerprints of contexts and
// Dockerfiles, destinations), with a warm cache after the first run.
func BenchmarkPlan(b *testing.B) {
	b.Setenv("XDG_CACHE_HOME", b.TempDir())
	benchmarkPlan(b, func(opts build.Options) (*build.Checked, error) { return build.Plan(b.Context(), opts) })
}

func benchmarkPlan(b *testing.B, plan func(build.Options) (*build.Checked, error)) {
	for _, n := range []int{1000, 10000, 50000} {
		b.Run(fmt.Sprintf("monorepo/%dk", n/1000), func(b *testing.B) {
			dir := b.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "docker-bake.hcl"), benchgen.Monorepo(n), 0o644); err != nil {
				b.Fatal(err)
			}
			for _, c := range benchgen.MonorepoContexts(n) {
				if err := os.MkdirAll(filepath.Join(dir, c), 0o755); err != nil {
					b.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, c, "Dockerfile"), []byte("FROM scratch\n"), 0o644); err != nil {
					b.Fatal(err)
				}
			}
			opts := build.Options{Config: config.Options{Files: []string{"docker-bake.hcl"}, WorkDir: dir, LocalPlatform: "linux/amd64"}}
			b.ReportAllocs()
			for b.Loop() {
				ch, err := plan(opts)
				if err != nil {
					b.Fatal(err)
				}
				if got := len(ch.Plan.Nodes); got < n {
					b.Fatalf("planned %d targets, want at least %d", got, n)
				}
			}
		})
	}
}
