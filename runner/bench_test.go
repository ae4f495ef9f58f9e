package runner

import (
	"context"
	"testing"

	"github.com/orch-build/orch/graph"
)

// The scheduling overhead target: 10,000 nodes with a no-op solver must
// run in under 500 ms, on a chain (every node waits for the one before)
// and on a deep layered graph (100 layers of 100, two edges per node).
func BenchmarkRun(b *testing.B) {
	for _, bc := range []struct {
		name string
		plan *graph.Plan
	}{
		{name: "chain-10000", plan: chainPlan(10000)},
		{name: "layered-100x100", plan: layeredPlan(100, 100)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			solver := &FakeSolver{}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Run(context.Background(), bc.plan, solver, Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
