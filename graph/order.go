package graph

import (
	"container/heap"
	"slices"
)

// order returns the build indices in execution order: Kahn's algorithm,
// taking among the ready nodes always the one with the smallest name, so
// the runner, `orch plan` and every golden file agree on one order. When
// nodes are left over they sit on or behind a cycle, and order returns a
// CycleError for each cycle instead.
func (b *builder) order() ([]int, []error) {
	// waiting counts each node's unfinished dependencies; dependents is
	// the reverse adjacency, which Kahn's algorithm walks.
	waiting := make([]int, len(b.nodes))
	dependents := make([][]int, len(b.nodes))
	for i, n := range b.nodes {
		waiting[i] = len(n.deps)
		for _, d := range n.deps {
			dependents[d] = append(dependents[d], i)
		}
	}
	// Build indices are in name order, so the smallest index is the
	// smallest name.
	ready := &intHeap{}
	for i, w := range waiting {
		if w == 0 {
			ready.items = append(ready.items, i)
		}
	}
	heap.Init(ready)
	order := make([]int, 0, len(b.nodes))
	for ready.Len() > 0 {
		i := heap.Pop(ready).(int)
		order = append(order, i)
		for _, d := range dependents[i] {
			waiting[d]--
			if waiting[d] == 0 {
				heap.Push(ready, d)
			}
		}
	}
	if len(order) < len(b.nodes) {
		return nil, b.cycles()
	}
	return order, nil
}

// intHeap is a min-heap of build indices.
type intHeap struct{ items []int }

func (h *intHeap) Len() int           { return len(h.items) }
func (h *intHeap) Less(i, j int) bool { return h.items[i] < h.items[j] }
func (h *intHeap) Swap(i, j int)      { h.items[i], h.items[j] = h.items[j], h.items[i] }
func (h *intHeap) Push(x any)         { h.items = append(h.items, x.(int)) }
func (h *intHeap) Pop() any {
	x := h.items[len(h.items)-1]
	h.items = h.items[:len(h.items)-1]
	return x
}

// Levels groups the nodes by depth: level 0 holds the nodes without
// dependencies, level k those whose deepest dependency is on level k-1.
// Nodes of one level can all build at once; within a level they keep plan
// order.
func (p *Plan) Levels() [][]*Node {
	level := p.levelOf()
	var levels [][]*Node
	for i, n := range p.Nodes {
		for len(levels) <= level[i] {
			levels = append(levels, nil)
		}
		levels[level[i]] = append(levels[level[i]], n)
	}
	return levels
}

// levelOf returns the level of each node by plan index. Nodes come after
// their dependencies, so one pass in order suffices.
func (p *Plan) levelOf() []int {
	level := make([]int, len(p.Nodes))
	for i, n := range p.Nodes {
		for _, e := range n.Deps {
			level[i] = max(level[i], level[e.To]+1)
		}
	}
	return level
}

// CriticalPath returns the longest chain of dependencies by node count,
// from the first node to build to the last: no schedule finishes in fewer
// steps. Among chains of equal length it prefers, at every step, the node
// that comes first in plan order, so the answer is deterministic. It is
// empty for an empty plan.
func (p *Plan) CriticalPath() []*Node {
	if len(p.Nodes) == 0 {
		return nil
	}
	// length[i] is the node count of the longest chain ending at i and
	// prev[i] the node before i on it, -1 at the start.
	length := make([]int, len(p.Nodes))
	prev := make([]int, len(p.Nodes))
	end := 0
	for i, n := range p.Nodes {
		length[i], prev[i] = 1, -1
		for _, e := range n.Deps {
			// Deps are sorted by To, so a strict comparison keeps the
			// earliest of equally long predecessors.
			if length[e.To]+1 > length[i] {
				length[i], prev[i] = length[e.To]+1, e.To
			}
		}
		if length[i] > length[end] {
			end = i
		}
	}
	var path []*Node
	for i := end; i >= 0; i = prev[i] {
		path = append(path, p.Nodes[i])
	}
	slices.Reverse(path)
	return path
}
