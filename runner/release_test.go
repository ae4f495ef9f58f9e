package runner

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
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
					jitter(len(name))
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

// TestRunReleaseNotEarly checks the rule from the solver's side: a
// parent's result must still be usable while a slow child solves, after
// its other child has finished. synctest.Wait makes "after" exact: every
// goroutine but the blocked slow solve is done or waiting.
func TestRunReleaseNotEarly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		plan := newPlan(t, "parent", "fast: parent", "slow: parent")
		var releasedParent atomic.Bool
		slowStarted, proceed := make(chan struct{}), make(chan struct{})
		solver := &FakeSolver{SolveFunc: func(ctx context.Context, job Job) (*Result, error) {
			switch job.Node.Name {
			case "parent":
				return &Result{Release: func() { releasedParent.Store(true) }}, nil
			case "slow":
				close(slowStarted)
				<-proceed
				if releasedParent.Load() {
					return nil, errors.New("parent released while a dependent was still solving")
				}
			}
			return &Result{}, nil
		}}
		done := make(chan error, 1)
		go func() {
			_, err := Run(context.Background(), plan, solver, Options{Jobs: 2})
			done <- err
		}()
		<-slowStarted
		synctest.Wait() // fast has finished; only slow's solve and Run wait
		if releasedParent.Load() {
			t.Error("parent released after its first dependent finished, while the other still solves")
		}
		close(proceed)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if !releasedParent.Load() {
			t.Error("parent never released")
		}
	})
}

// jitter yields the processor n%3 times ten times over, so that solves of
// different nodes take different turns; it varies the interleavings a
// test sees without waiting on the clock.
func jitter(n int) {
	for range n % 3 * 10 {
		runtime.Gosched()
	}
}
