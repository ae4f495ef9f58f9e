package runner

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orch-build/orch/graph"
)

// newPlan builds a plan from specs "name: dep, @orderDep, ...": a plain
// dependency is a data edge whose key is the parent's name, an "@" one an
// order edge. Specs must come in topological order.
func newPlan(t testing.TB, specs ...string) *graph.Plan {
	t.Helper()
	plan := &graph.Plan{}
	index := map[string]int{}
	for _, spec := range specs {
		name, deps, _ := strings.Cut(spec, ":")
		name = strings.TrimSpace(name)
		node := &graph.Node{Name: name, Export: true}
		for _, d := range strings.Split(deps, ",") {
			d = strings.TrimSpace(d)
			if d == "" {
				continue
			}
			kind, key := graph.DataEdge, d
			if strings.HasPrefix(d, "@") {
				kind, key, d = graph.OrderEdge, "", d[1:]
			}
			to, ok := index[d]
			if !ok {
				t.Fatalf("newPlan: %q depends on unknown or later node %q", name, d)
			}
			node.Deps = append(node.Deps, graph.Edge{Kind: kind, To: to, Key: key})
		}
		sortEdges(node.Deps)
		index[name] = len(plan.Nodes)
		plan.Nodes = append(plan.Nodes, node)
	}
	return plan
}

func sortEdges(edges []graph.Edge) {
	slices.SortFunc(edges, func(a, b graph.Edge) int {
		if a.To != b.To {
			return a.To - b.To
		}
		return strings.Compare(a.Key, b.Key)
	})
}

// chainPlan is n nodes, each depending on the one before.
func chainPlan(n int) *graph.Plan {
	plan := &graph.Plan{Nodes: make([]*graph.Node, n)}
	for i := range n {
		node := &graph.Node{Name: fmt.Sprintf("n%05d", i), Export: true}
		if i > 0 {
			node.Deps = []graph.Edge{{Kind: graph.DataEdge, To: i - 1, Key: "prev"}}
		}
		plan.Nodes[i] = node
	}
	return plan
}

// randomPlan is a seeded random DAG: each node depends on up to three
// earlier nodes, through data or order edges, sometimes twice on one
// parent under different keys.
func randomPlan(seed uint64, n int) *graph.Plan {
	rng := rand.New(rand.NewPCG(seed, seed))
	plan := &graph.Plan{Nodes: make([]*graph.Node, n)}
	for i := range n {
		node := &graph.Node{Name: fmt.Sprintf("r%03d", i), Export: true}
		for k := range min(i, rng.IntN(4)) {
			to := rng.IntN(i)
			if rng.IntN(3) == 0 {
				node.Deps = append(node.Deps, graph.Edge{Kind: graph.OrderEdge, To: to})
			} else {
				node.Deps = append(node.Deps, graph.Edge{Kind: graph.DataEdge, To: to, Key: fmt.Sprintf("k%d", k)})
			}
		}
		sortEdges(node.Deps)
		node.Deps = slices.Compact(node.Deps)
		plan.Nodes[i] = node
	}
	return plan
}

// layeredPlan is depth layers of width nodes; each node depends on two
// nodes of the layer before.
func layeredPlan(depth, width int) *graph.Plan {
	plan := &graph.Plan{}
	for l := range depth {
		for w := range width {
			node := &graph.Node{Name: fmt.Sprintf("l%03d-%03d", l, w), Export: true}
			if l > 0 {
				base := (l - 1) * width
				a, b := base+w, base+(w+1)%width
				if a > b {
					a, b = b, a
				}
				node.Deps = []graph.Edge{{Kind: graph.DataEdge, To: a, Key: "a"}}
				if b != a {
					node.Deps = append(node.Deps, graph.Edge{Kind: graph.OrderEdge, To: b})
				}
			}
			plan.Nodes = append(plan.Nodes, node)
		}
	}
	return plan
}

// runWithin runs the plan and fails the test if Run has not returned
// after limit: a deadlock shows as a failure, not a hung test binary.
func runWithin(t *testing.T, limit time.Duration, ctx context.Context, plan *graph.Plan, s Solver, opts Options) (*Report, error) {
	t.Helper()
	type ret struct {
		r   *Report
		err error
	}
	ch := make(chan ret, 1)
	go func() {
		r, err := Run(ctx, plan, s, opts)
		ch <- ret{r, err}
	}()
	select {
	case got := <-ch:
		return got.r, got.err
	case <-time.After(limit):
		t.Fatalf("Run did not return within %s (deadlock?)", limit)
		return nil, nil
	}
}

// fakeClock is a clock that only moves when told to or when slept on.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	return ctx.Err()
}

func (c *fakeClock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.sleeps)
}

// verdict is the part of an Outcome that status tests compare.
type verdict struct {
	Status    Status
	Reason    string
	BlockedBy string
	Attempts  int
}

func verdicts(r *Report) map[string]verdict {
	out := map[string]verdict{}
	for _, o := range r.Outcomes {
		out[o.Name] = verdict{Status: o.Status, Reason: o.Reason, BlockedBy: o.BlockedBy, Attempts: len(o.Attempts)}
	}
	return out
}

// errText renders an error for comparisons; nil becomes "".
func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
