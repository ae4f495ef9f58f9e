package build

import (
	"path/filepath"
	"testing"

	"github.com/orch-build/orch/config"
	"github.com/orch-build/orch/internal/benchgen"
	"github.com/orch-build/orch/internal/testbed"
	"github.com/orch-build/orch/runner"
)

// BenchmarkNoOpRun is one Run where nothing changed, in process, on the
// issue's 100 linked targets and on one target with a 20,000-file
// context: the incremental check (fingerprints from warm stat caches,
// every layout's index) and a run that solves nothing. Without the
// process start that BenchmarkNoOpVsBake (runner/buildkit) includes; run
// it with -cpuprofile to see where a no-op's time goes.
func BenchmarkNoOpRun(b *testing.B) {
	bk := testbed.StartBuildKit(b)
	for _, shape := range []struct {
		name  string
		files map[string]string
	}{
		{"targets=100", benchgen.LinkedProject(9, 90)},
		{"files=20000", benchgen.BigContext(20000)},
	} {
		b.Run(shape.name, func(b *testing.B) {
			dir := b.TempDir()
			if err := benchgen.Write(dir, shape.files); err != nil {
				b.Fatal(err)
			}
			opts := Options{Config: config.Options{Files: []string{filepath.Join(dir, "docker-bake.hcl")}, WorkDir: dir}}
			opts.Builder.Addr, opts.Progress = bk.Addr, "quiet"
			run := func() *runner.Report {
				res, err := Run(b.Context(), opts)
				if err != nil {
					b.Fatal(err)
				}
				return res.Report
			}
			run()
			for b.Loop() {
				rep := run()
				if n := rep.Count(runner.StatusUpToDate); n != len(rep.Outcomes) {
					b.Fatalf("%d of %d targets up to date", n, len(rep.Outcomes))
				}
			}
		})
	}
}
