package graph

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/orch-build/orch/config"
)

func TestOrder(t *testing.T) {
	tests := []struct {
		name       string
		targets    []*config.Target
		wantOrder  []string
		wantLevels [][]string
		wantPath   []string
	}{
		{
			name:       "independent targets in name order",
			targets:    targets(target("c", 1), target("a", 10), target("b", 20)),
			wantOrder:  []string{"a", "b", "c"},
			wantLevels: [][]string{{"a", "b", "c"}},
			wantPath:   []string{"a"},
		},
		{
			name: "dependencies first, ties by name",
			// z is ready first and comes before y, which has to wait.
			targets: targets(
				target("a", 1, dependsOn("z")),
				target("y", 10, contexts("a", "target:a")),
				target("z", 20),
				target("b", 30),
			),
			wantOrder:  []string{"b", "z", "a", "y"},
			wantLevels: [][]string{{"b", "z"}, {"a"}, {"y"}},
			wantPath:   []string{"z", "a", "y"},
		},
		{
			name: "diamond",
			targets: targets(
				target("base", 1),
				target("left", 10, contexts("base", "target:base")),
				target("right", 20, contexts("base", "target:base")),
				target("app", 30, contexts("l", "target:left", "r", "target:right")),
			),
			wantOrder:  []string{"base", "left", "right", "app"},
			wantLevels: [][]string{{"base"}, {"left", "right"}, {"app"}},
			wantPath:   []string{"base", "left", "app"},
		},
		{
			name: "critical path follows the longest chain, not the first",
			targets: targets(
				target("a", 1),
				target("b", 10),
				target("c", 20, dependsOn("b")),
				target("d", 30, dependsOn("c")),
				target("e", 40, dependsOn("a", "d")),
				target("f", 50, dependsOn("a")),
			),
			wantOrder:  []string{"a", "b", "c", "d", "e", "f"},
			wantLevels: [][]string{{"a", "b"}, {"c", "f"}, {"d"}, {"e"}},
			wantPath:   []string{"b", "c", "d", "e"},
		},
		{
			name: "chain",
			targets: targets(
				target("d", 1, dependsOn("c")),
				target("c", 10, contexts("up", "target:b")),
				target("b", 20, dependsOn("a")),
				target("a", 30),
			),
			wantOrder:  []string{"a", "b", "c", "d"},
			wantLevels: [][]string{{"a"}, {"b"}, {"c"}, {"d"}},
			wantPath:   []string{"a", "b", "c", "d"},
		},
		{
			name: "several edges to one parent count once",
			targets: targets(
				target("base", 1),
				target("app", 10, contexts("one", "target:base", "two", "target:base"), dependsOn("base")),
				target("tool", 20, dependsOn("app")),
			),
			wantOrder:  []string{"base", "app", "tool"},
			wantLevels: [][]string{{"base"}, {"app"}, {"tool"}},
			wantPath:   []string{"base", "app", "tool"},
		},
		{
			name: "fan-in waits for the deepest branch",
			// sink's parents sit on levels 0, 1 and 2: it goes on 3.
			targets: targets(
				target("sink", 1, contexts("r", "target:root", "m", "target:mid"), dependsOn("top")),
				target("root", 10),
				target("mid", 20, dependsOn("root")),
				target("top", 30, contexts("m", "target:mid")),
				target("other", 40),
			),
			wantOrder:  []string{"other", "root", "mid", "top", "sink"},
			wantLevels: [][]string{{"other", "root"}, {"mid"}, {"top"}, {"sink"}},
			wantPath:   []string{"root", "mid", "top", "sink"},
		},
		{
			name: "components of different depth share levels",
			targets: targets(
				target("x2", 1, dependsOn("x1")),
				target("x1", 10),
				target("y3", 20, dependsOn("y2")),
				target("y2", 30, dependsOn("y1")),
				target("y1", 40),
				target("z", 50),
			),
			wantOrder:  []string{"x1", "x2", "y1", "y2", "y3", "z"},
			wantLevels: [][]string{{"x1", "y1", "z"}, {"x2", "y2"}, {"y3"}},
			wantPath:   []string{"y1", "y2", "y3"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustPlan(t, conf(tt.targets), "all")
			if diff := cmp.Diff(tt.wantOrder, names(p.Nodes)); diff != "" {
				t.Errorf("order (-want +got):\n%s", diff)
			}
			var levels [][]string
			for _, l := range p.Levels() {
				levels = append(levels, names(l))
			}
			if diff := cmp.Diff(tt.wantLevels, levels); diff != "" {
				t.Errorf("levels (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantPath, names(p.CriticalPath())); diff != "" {
				t.Errorf("critical path (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEmptyPlan(t *testing.T) {
	p := &Plan{}
	if got := p.Levels(); len(got) != 0 {
		t.Errorf("Levels of an empty plan = %v", got)
	}
	if got := p.CriticalPath(); len(got) != 0 {
		t.Errorf("CriticalPath of an empty plan = %v", got)
	}
	if got := p.Node("x"); got != nil {
		t.Errorf("Node(x) of an empty plan = %v", got)
	}
}

func TestNodeOfPlanBuiltByHand(t *testing.T) {
	a, b := &Node{Name: "a"}, &Node{Name: "b"}
	p := &Plan{Nodes: []*Node{a, b}}
	if p.Node("b") != b || p.Node("c") != nil {
		t.Errorf("Node on a plan without index: got %v, %v", p.Node("b"), p.Node("c"))
	}
}

// randomConfig builds n targets t0000... where each links to up to k
// targets with a larger number, so the graph is acyclic; names are
// shuffled against the link direction so that name order and dependency
// order disagree.
func randomConfig(rng *rand.Rand, n, k int) *config.Config {
	perm := rng.Perm(n)
	name := func(i int) string { return fmt.Sprintf("t%04d", perm[i]) }
	var ts []*config.Target
	for i := range n {
		t := target(name(i), i)
		for range rng.IntN(k + 1) {
			if i+1 >= n {
				break
			}
			j := i + 1 + rng.IntN(n-i-1)
			if rng.IntN(2) == 0 {
				if t.Contexts == nil {
					t.Contexts = map[string]string{}
				}
				t.Contexts[fmt.Sprintf("c%d", j)] = "target:" + name(j)
			} else {
				t.DependsOn = append(t.DependsOn, name(j))
			}
		}
		ts = append(ts, t)
	}
	return conf(ts)
}

// TestPlanInvariants checks, on random graphs, what the runner relies on:
// every node comes after its dependencies, deps are sorted by (To, Key),
// the index agrees with Nodes, levels and critical path are consistent,
// and planning twice gives the same plan despite Go's random map order.
func TestPlanInvariants(t *testing.T) {
	for seed := range uint64(20) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			cfg := randomConfig(rand.New(rand.NewPCG(seed, 1)), 200, 3)
			p := mustPlan(t, cfg, "all")
			if len(p.Nodes) != 200 {
				t.Fatalf("planned %d nodes, want 200", len(p.Nodes))
			}
			for i, n := range p.Nodes {
				if p.Node(n.Name) != n {
					t.Errorf("Node(%s) does not return the node", n.Name)
				}
				for _, e := range n.Deps {
					if e.To >= i {
						t.Errorf("%s (at %d) depends on %s (at %d)", n.Name, i, p.Nodes[e.To].Name, e.To)
					}
				}
				if !slices.IsSortedFunc(n.Deps, func(x, y Edge) int {
					if x.To != y.To {
						return x.To - y.To
					}
					return strings.Compare(x.Key, y.Key)
				}) {
					t.Errorf("%s: deps not sorted: %v", n.Name, n.Deps)
				}
			}
			// A node's level is the length of its longest chain of
			// dependencies: every dependency sits on a lower level and,
			// unless it is on level 0, one sits on the level just below.
			levels := p.Levels()
			level := map[*Node]int{}
			placed := 0
			for l, nodes := range levels {
				if len(nodes) == 0 {
					t.Errorf("level %d is empty", l)
				}
				for _, n := range nodes {
					if _, twice := level[n]; twice {
						t.Errorf("%s is on two levels", n.Name)
					}
					level[n] = l
					placed++
				}
			}
			if placed != len(p.Nodes) {
				t.Errorf("levels hold %d nodes, the plan %d", placed, len(p.Nodes))
			}
			for _, n := range p.Nodes {
				below := false
				for _, e := range n.Deps {
					dl, ok := level[p.Nodes[e.To]]
					if !ok || dl >= level[n] {
						t.Errorf("%s (level %d) depends on %s (level %d, placed %v)", n.Name, level[n], p.Nodes[e.To].Name, dl, ok)
					}
					below = below || dl == level[n]-1
				}
				if level[n] > 0 && !below {
					t.Errorf("%s is on level %d but no dependency is on level %d", n.Name, level[n], level[n]-1)
				}
			}
			path := p.CriticalPath()
			if len(path) != len(levels) {
				t.Errorf("critical path has %d nodes, there are %d levels", len(path), len(levels))
			}
			for i := 1; i < len(path); i++ {
				if !slices.ContainsFunc(path[i].Deps, func(e Edge) bool { return p.Nodes[e.To] == path[i-1] }) {
					t.Errorf("critical path step %s → %s is not an edge", path[i-1].Name, path[i].Name)
				}
			}
			again := mustPlan(t, cfg, "all")
			if diff := cmp.Diff(view(p), view(again)); diff != "" || !slices.Equal(names(p.Nodes), names(again.Nodes)) {
				t.Errorf("planning twice differs:\n%s", diff)
			}
		})
	}
}
