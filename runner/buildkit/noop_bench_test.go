package buildkit

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/orch-build/orch/internal/benchgen"
)

// noopShape writes the project of a shape into dir and returns its bake
// file: benchgen's LinkedProject, or with files > 0 its BigContext.
func noopShape(tb testing.TB, dir string, libs, services, files int) string {
	tb.Helper()
	project := benchgen.LinkedProject(libs, services)
	if files > 0 {
		project = benchgen.BigContext(files)
	}
	if err := benchgen.Write(dir, project); err != nil {
		tb.Fatal(err)
	}
	return filepath.Join(dir, "docker-bake.hcl")
}

// BenchmarkNoOpVsBake measures a run with nothing changed, the common case
// of a monorepo's CI: `orch build` (which finds every target up to date
// and sends no solve) against `buildx bake` (which solves and exports
// every target again, from the builder's cache), on the same file and the
// same buildkitd (the test bed's; bake through a remote driver). Shapes:
// the 100 linked targets (base, 9 libraries, 90 services, COPY
// only, OCI layouts), and one target whose context holds 20,000 files.
// Each tool works on its own copy of the project and runs once untimed
// first (orch's run builds everything and leaves its caches warm); each
// timed orch run must report every target up-to-date. Metrics: seconds per run of each (medians) and the median
// of each iteration's bake/orch ratio. Targets (issue 13): the 100-target
// no-op under 0.3 s and at least 30 times faster than bake.
//
//	go test -run '^$' -bench NoOpVsBake -benchtime 5x ./runner/buildkit
func BenchmarkNoOpVsBake(b *testing.B) {
	p := newBenchPeers(b, "orch-noop-bench")
	bk, orch, buildx, builder := p.bk, p.orch, p.buildx, p.builder
	// orch's stat caches and records, kept across the runs.
	env := append(p.env, "XDG_CACHE_HOME="+b.TempDir())

	for _, shape := range []struct {
		name                  string
		libs, services, files int
	}{
		{"targets=100", 9, 90, 0},
		{"files=20000", 0, 0, 20000},
	} {
		b.Run(shape.name, func(b *testing.B) {
			// Each tool has a copy of the project: bake rewrites its
			// layouts every run, which would leave orch's without the
			// image orch recorded.
			orchDir, bakeDir := b.TempDir(), b.TempDir()
			report := filepath.Join(orchDir, "report.json")
			orchArgs := []string{orch, "build", "--builder", bk.Addr, "--progress", "quiet", "--report", report,
				"-f", noopShape(b, orchDir, shape.libs, shape.services, shape.files)}
			bakeArgs := []string{buildx, "bake", "--builder", builder, "--progress", "quiet",
				"-f", noopShape(b, bakeDir, shape.libs, shape.services, shape.files)}
			run := func(dir string, argv []string) time.Duration {
				start := time.Now()
				if out, err := command(dir, env, argv[0], argv[1:]...); err != nil {
					b.Fatalf("%s: %v\n%s", filepath.Base(argv[0]), err, out)
				}
				return time.Since(start)
			}
			run(orchDir, orchArgs)
			run(bakeDir, bakeArgs)

			var orchRuns, bakeRuns, ratios []float64
			iter := 0
			for b.Loop() {
				var o, k time.Duration
				if iter%2 == 0 {
					o, k = run(orchDir, orchArgs), run(bakeDir, bakeArgs)
				} else {
					k, o = run(bakeDir, bakeArgs), run(orchDir, orchArgs)
				}
				iter++
				b.StopTimer()
				assertNoOp(b, report)
				b.StartTimer()
				orchRuns = append(orchRuns, o.Seconds())
				bakeRuns = append(bakeRuns, k.Seconds())
				ratios = append(ratios, k.Seconds()/o.Seconds())
			}
			b.ReportMetric(median(orchRuns), "orch-s/op")
			b.ReportMetric(median(bakeRuns), "bake-s/op")
			b.ReportMetric(median(ratios), "bake/orch")
		})
	}
}

// assertNoOp fails the benchmark unless the run report at path has every
// target up-to-date.
func assertNoOp(b *testing.B, path string) {
	b.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	var rep struct {
		Targets []struct {
			Name   string `json:"name"`
			Status string `json:"status"`
		} `json:"targets"`
	}
	if err := json.Unmarshal(raw, &rep); err != nil {
		b.Fatal(err)
	}
	if len(rep.Targets) == 0 {
		b.Fatalf("report %s lists no targets", path)
	}
	for _, t := range rep.Targets {
		if t.Status != "up-to-date" {
			b.Fatalf("orch's no-op run: target %s is %s, want up-to-date", t.Name, t.Status)
		}
	}
}
