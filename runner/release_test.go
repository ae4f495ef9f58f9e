package runner

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/orch-build/orch/graph"
)

// TestRunRelease checks that every result is released exactly once, after
// every dependent finished (whatever its status), and a result without
// dependents right after its own node finished, all before Run returns.
func TestRunRelease(t *testing.T) {
	plans := map[string]*graph.Plan{
		// base has two keys into "both", which counts as one dependent.
		"diamond": newPlan(t, "base", "b: base", "c: base", "d: b, c", "lone", "both: base, @lone"),
		// broken fails: its parent is released after it, its child is
		// skipped and still counts.
		"failure": newPlan(t, "p", "broken: p", "child: broken, @p"),
		"random":  randomPlan(11, 30),
	}
	plans["diamond"].Nodes[5].Deps = append(plans["diamond"].Nodes[5].Deps, graph.Edge{Kind: graph.DataEdge, To: 0, Key: "again"})
	sortEdges(plans["diamond"].Nodes[5].Deps)

	for name, plan := range plans {
		for _, jobs := range []int{1, 2, 4} {
			t.Run(fmt.Sprintf("%s/jobs=%d", name, jobs), func(t *testing.T) {
				var mu sync.Mutex
				seq := 0
				next := func() int { seq++; return seq }
				finished := map[string]int{}
				released := map[string][]int{}
				solver := &FakeSolver{SolveFunc: func(ctx context.Context, job Job) (*Result, error) {
					name := job.Node.Name
					res := &Result{Release: func() {
						mu.Lock()
						defer mu.Unlock()
						released[name] = append(released[name], next())
					}}
					if name == "broken" || name == "r017" {
						// A failed solve may still hand back something to free.
						return res, errors.New("boom")
					}
					time.Sleep(time.Duration(len(name)%3) * 200 * time.Microsecond)
					return res, nil
				}}
				obs := ObserverFunc(func(e Event) {
					if e.Kind == NodeFinished {
						mu.Lock()
						finished[e.Name] = next()
						mu.Unlock()
					}
				})
				report, _ := runWithin(t, 10*time.Second, context.Background(), plan, solver,
					Options{Jobs: jobs, KeepGoing: true, Observer: obs})

				mu.Lock()
				defer mu.Unlock()
				for i, node := range plan.Nodes {
					o := report.Outcomes[i]
					if !o.Status.Succeeded() {
						if o.Status == StatusFailed && len(released[node.Name]) != 1 {
							t.Errorf("%s: result of failed solve released %d times, want 1", node.Name, len(released[node.Name]))
						}
						continue
					}
					rel := released[node.Name]
					if len(rel) != 1 {
						t.Errorf("%s released %d times, want 1", node.Name, len(rel))
						continue
					}
					if rel[0] < finished[node.Name] {
						t.Errorf("%s released (seq %d) before it finished (seq %d)", node.Name, rel[0], finished[node.Name])
					}
					for j, child := range plan.Nodes {
						for _, e := range child.Deps {
							if e.To == i && rel[0] < finished[child.Name] {
								t.Errorf("%s released (seq %d) before dependent %s (%s) finished (seq %d)",
									node.Name, rel[0], child.Name, report.Outcomes[j].Status, finished[child.Name])
							}
						}
					}
				}
			})
		}
	}
}

// TestRunReleaseNotEarly checks the rule from the solver's side:
// a parent's result must still be usable while a slow child solves.
func TestRunReleaseNotEarly(t *testing.T) {
	plan := newPlan(t, "parent", "fast: parent", "slow: parent")
	var mu sync.Mutex
	releasedParent := false
	solver := &FakeSolver{SolveFunc: func(ctx context.Context, job Job) (*Result, error) {
		switch job.Node.Name {
		case "parent":
			return &Result{Release: func() { mu.Lock(); releasedParent = true; mu.Unlock() }}, nil
		case "slow":
			time.Sleep(30 * time.Millisecond)
			mu.Lock()
			defer mu.Unlock()
			if releasedParent {
				return nil, errors.New("parent released while a dependent was still solving")
			}
		}
		return &Result{}, nil
	}}
	if _, err := Run(context.Background(), plan, solver, Options{Jobs: 2}); err != nil {
		t.Fatal(err)
	}
	if !releasedParent {
		t.Error("parent never released")
	}
}
