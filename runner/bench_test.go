package runner

import (
	"context"
	"fmt"
	"testing"

	"github.com/orch-build/orch/config"
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

// simulatedPool is n builder nodes, half linux/amd64 and half linux/arm64
// native, each emulating the other, limit solves at once each.
func simulatedPool(n, limit int) *Pool {
	p := &Pool{Split: func(n *graph.Node) bool { return n.Target != nil && len(n.Target.Platforms) > 1 }}
	for i := range n {
		native, emulated := "linux/amd64", "linux/arm64"
		if i%2 == 1 {
			native, emulated = emulated, native
		}
		p.Builders = append(p.Builders, Builder{Name: fmt.Sprintf("bk%02d", i), Native: []string{native}, Emulated: []string{emulated}, Limit: limit})
	}
	return p
}

// platformsPlan is n independent targets: a third name no platform, a
// third linux/arm64, a third both platforms (split across nodes).
func platformsPlan(n int) *graph.Plan {
	plan := &graph.Plan{Nodes: make([]*graph.Node, n)}
	for i := range n {
		t := &config.Target{Name: fmt.Sprintf("t%05d", i)}
		switch i % 3 {
		case 1:
			t.Platforms = []string{"linux/arm64"}
		case 2:
			t.Platforms = []string{"linux/amd64", "linux/arm64"}
		}
		plan.Nodes[i] = &graph.Node{Name: t.Name, Target: t, Export: true}
	}
	return plan
}

// BenchmarkPoolRun is the scheduling overhead of a pool: 10,000 targets
// over 50 simulated nodes (limit 4 each) with a no-op solver, against the
// same run without a pool. ns/target is the whole run's time per target;
// the difference between the two is what placing every solve costs.
func BenchmarkPoolRun(b *testing.B) {
	for _, bc := range []struct {
		name string
		plan *graph.Plan
	}{
		{name: "independent-10000", plan: platformsPlan(10000)},
		{name: "layered-100x100", plan: layeredPlan(100, 100)},
	} {
		for _, pooled := range []bool{false, true} {
			name := bc.name + "/no-pool"
			opts := Options{Jobs: 200}
			if pooled {
				name = bc.name + "/pool-50"
				opts.Pool = simulatedPool(50, 4)
			}
			b.Run(name, func(b *testing.B) {
				solver := &FakeSolver{}
				b.ReportAllocs()
				for b.Loop() {
					if _, err := Run(context.Background(), bc.plan, solver, opts); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(bc.plan.Nodes)), "ns/target")
			})
		}
	}
}
