package graph

// cycles finds the strongly connected components of the link graph
// (Tarjan's algorithm) and reports one cycle through each component that
// has more than one node: the shortest cycle through the component's
// alphabetically first node. Reporting every component, not only the
// first cycle met, lets a user fix all of them in one go; reporting one
// cycle per component keeps the message short when a component has many.
func (b *builder) cycles() []error {
	t := &tarjan{
		b:     b,
		index: make([]int, len(b.nodes)),
		low:   make([]int, len(b.nodes)),
		on:    make([]bool, len(b.nodes)),
	}
	for i := range t.index {
		t.index[i] = -1
	}
	// Visiting in name order makes the order of the errors deterministic.
	for i := range b.nodes {
		if t.index[i] < 0 {
			t.visit(i)
		}
	}
	return t.errs
}

// tarjan holds the state of one run of Tarjan's algorithm.
type tarjan struct {
	b     *builder
	next  int
	index []int // discovery number, -1 while unvisited
	low   []int
	on    []bool // on the stack
	stack []int
	errs  []error
}

// visit is recursive; the depth is bounded by the longest dependency
// chain, and Go stacks grow as needed, so large plans are fine.
func (t *tarjan) visit(v int) {
	t.index[v], t.low[v] = t.next, t.next
	t.next++
	t.stack = append(t.stack, v)
	t.on[v] = true
	for _, w := range t.b.nodes[v].deps {
		switch {
		case t.index[w] < 0:
			t.visit(w)
			t.low[v] = min(t.low[v], t.low[w])
		case t.on[w]:
			t.low[v] = min(t.low[v], t.index[w])
		}
	}
	if t.low[v] != t.index[v] {
		return
	}
	// v is the root of a component: pop it.
	var comp []int
	for {
		w := t.stack[len(t.stack)-1]
		t.stack = t.stack[:len(t.stack)-1]
		t.on[w] = false
		comp = append(comp, w)
		if w == v {
			break
		}
	}
	if len(comp) > 1 {
		t.errs = append(t.errs, t.b.cycleThrough(comp))
	}
}

// cycleThrough returns the shortest cycle through the first node (by name)
// of the component comp, found by a breadth-first search that stays inside
// comp and follows links in their recorded order.
func (b *builder) cycleThrough(comp []int) *CycleError {
	inComp := make(map[int]bool, len(comp))
	start := comp[0]
	for _, v := range comp {
		inComp[v] = true
		start = min(start, v)
	}
	// via[v] is the link by which the search first reached v.
	via := make(map[int]Link, len(comp))
	from := make(map[int]int, len(comp))
	queue := []int{start}
	for len(queue) > 0 {
		v := queue[0]
		queue = queue[1:]
		n := b.nodes[v]
		for j, w := range n.deps {
			if !inComp[w] {
				continue
			}
			if w == start {
				// Walk back from v to start, then reverse.
				links := []Link{n.links[j]}
				for u := v; u != start; u = from[u] {
					links = append(links, via[u])
				}
				for i, k := 0, len(links)-1; i < k; i, k = i+1, k-1 {
					links[i], links[k] = links[k], links[i]
				}
				return &CycleError{Links: links}
			}
			if _, seen := via[w]; !seen {
				via[w], from[w] = n.links[j], v
				queue = append(queue, w)
			}
		}
	}
	// Unreachable: every node of a strongly connected component with more
	// than one node lies on a cycle through any other.
	return &CycleError{}
}
