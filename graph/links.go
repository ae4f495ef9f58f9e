package graph

import (
	"cmp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/orch-build/orch/config"
)

// targetPrefix marks a context value that links to another target.
const targetPrefix = "target:"

// pending is a node while the plan is being built. Its index in
// builder.nodes is its "build index": nodes are sorted by name there, and
// only plan() puts them in execution order.
type pending struct {
	name   string
	target *config.Target
	// selected holds the "selected ..." reasons, sorted; empty when the
	// node is in the plan only because others link to it.
	selected []string
	// links are the node's valid links (known target, not itself), data
	// links first by context key, then depends_on in written order; deps
	// holds the build index of each link's To.
	links []Link
	deps  []int
	// export is true when the node's outputs are written: it is selected,
	// or a node depends_on it. No data passes on an order edge, so only a
	// finished, exported target satisfies one; a node reached only through
	// `target:` contexts feeds its dependents in memory and writes nothing
	// (bake's cacheonly rule).
	export bool
	// neededBy are the reasons its dependents contribute.
	neededBy []string
}

// builder collects the nodes of a plan and the problems found on the way.
type builder struct {
	cfg    *config.Config
	nodes  []*pending
	byName map[string]int
	errs   []error
	// targetNames is every target name, sorted, built on the first unknown
	// link only: the candidates for "did you mean".
	targetNames []string
}

// newBuilder adds the selected targets and, transitively, every target
// they link to, then sorts the nodes by name and resolves links to build
// indices.
func newBuilder(cfg *config.Config, sel *Selection) *builder {
	b := &builder{cfg: cfg, byName: make(map[string]int, len(sel.Targets))}
	// Visiting in name order makes the order of link errors
	// deterministic.
	for _, name := range sel.Targets {
		b.add(name).selected = sel.Reasons(name)
	}
	for i := 0; i < len(b.nodes); i++ {
		b.readLinks(b.nodes[i])
	}

	slices.SortFunc(b.nodes, func(x, y *pending) int { return strings.Compare(x.name, y.name) })
	for i, n := range b.nodes {
		b.byName[n.name] = i
	}
	for _, n := range b.nodes {
		n.deps = make([]int, len(n.links))
		for j, l := range n.links {
			n.deps[j] = b.byName[l.To]
			parent := b.nodes[n.deps[j]]
			if l.Kind == OrderEdge {
				parent.export = true
				parent.neededBy = append(parent.neededBy, "ordered before "+n.name)
			} else {
				parent.neededBy = append(parent.neededBy, "needed by "+n.name+" as context "+l.Key)
			}
		}
	}
	for _, n := range b.nodes {
		if len(n.selected) > 0 {
			n.export = true
		}
	}
	return b
}

// add returns the pending node of the named target, creating it.
func (b *builder) add(name string) *pending {
	if i, ok := b.byName[name]; ok {
		return b.nodes[i]
	}
	n := &pending{name: name, target: b.cfg.Targets[name]}
	b.byName[name] = len(b.nodes)
	b.nodes = append(b.nodes, n)
	return n
}

// readLinks records n's links and adds their targets to the plan. A link to
// an unknown target or to n itself is reported and dropped.
func (b *builder) readLinks(n *pending) {
	t := n.target
	keys := make([]string, 0, len(t.Contexts))
	for key, value := range t.Contexts {
		if strings.HasPrefix(value, targetPrefix) {
			keys = append(keys, key)
		}
	}
	sort.Strings(keys)
	n.links = make([]Link, 0, len(keys)+len(t.DependsOn))
	for _, key := range keys {
		to := strings.TrimPrefix(t.Contexts[key], targetPrefix)
		b.link(n, Link{From: n.name, To: to, Kind: DataEdge, Key: key, Range: contextRange(t, key)},
			"target "+strconv.Quote(n.name)+" context "+strconv.Quote(key))
	}
	for i, to := range t.DependsOn {
		// Lists are short: a scan beats a map for repeats.
		if slices.Contains(t.DependsOn[:i], to) {
			continue
		}
		b.link(n, Link{From: n.name, To: to, Kind: OrderEdge, Range: attrRange(t, "depends_on")},
			"target "+strconv.Quote(n.name)+" depends_on")
	}
}

// link checks l, written at referrer, and records it on n when valid.
func (b *builder) link(n *pending, l Link, referrer string) {
	if l.To == n.name {
		b.errs = append(b.errs, &SelfLinkError{Link: l})
		return
	}
	if t, ok := b.cfg.Targets[l.To]; !ok || t == nil {
		if b.targetNames == nil {
			b.targetNames = make([]string, 0, len(b.cfg.Targets))
			for name := range b.cfg.Targets {
				b.targetNames = append(b.targetNames, name)
			}
			sort.Strings(b.targetNames)
		}
		rng := l.Range
		b.errs = append(b.errs, &UnknownNameError{
			Name: l.To, Referrer: referrer, TargetsOnly: true,
			Suggestion: suggest(l.To, b.targetNames), Range: &rng,
		})
		return
	}
	n.links = append(n.links, l)
	b.add(l.To)
}

// checkPlatforms applies bake's rule to every data link: when child and
// parent both build several platforms, the child's must be a subset of the
// parent's. With one platform on either side there is nothing to match.
func (b *builder) checkPlatforms() {
	for _, n := range b.nodes {
		for j, l := range n.links {
			if l.Kind != DataEdge {
				continue
			}
			child, parent := n.target.Platforms, b.nodes[n.deps[j]].target
			if len(child) < 2 || len(parent.Platforms) < 2 {
				continue
			}
			var missing []string
			for _, p := range child {
				if !slices.Contains(parent.Platforms, p) {
					missing = append(missing, p)
				}
			}
			if len(missing) > 0 {
				b.errs = append(b.errs, &PlatformError{
					Link: l, ChildPlatforms: child, ParentPlatforms: parent.Platforms,
					Missing: missing, ParentRange: attrRange(parent, "platforms"),
				})
			}
		}
	}
}

// plan builds the Plan from the nodes in order, a permutation of build
// indices.
func (b *builder) plan(order []int) *Plan {
	pos := make([]int, len(b.nodes))
	for i, bi := range order {
		pos[bi] = i
	}
	p := &Plan{Nodes: make([]*Node, len(order)), index: make(map[string]int, len(order))}
	for i, bi := range order {
		n := b.nodes[bi]
		deps := make([]Edge, len(n.links))
		for j, l := range n.links {
			deps[j] = Edge{Kind: l.Kind, To: pos[n.deps[j]], Key: l.Key}
		}
		slices.SortFunc(deps, func(x, y Edge) int {
			return cmp.Or(cmp.Compare(x.To, y.To), strings.Compare(x.Key, y.Key))
		})
		sort.Strings(n.neededBy)
		p.Nodes[i] = &Node{
			Name:    n.name,
			Target:  n.target,
			Deps:    deps,
			Export:  n.export,
			Reasons: append(n.selected, n.neededBy...),
		}
		p.index[n.name] = i
	}
	return p
}

// contextRange is where target t sets its context key: the value's own
// range when the loader recorded it, else the whole contexts attribute.
func contextRange(t *config.Target, key string) hcl.Range {
	if r, ok := t.ContextRanges[key]; ok {
		return r
	}
	return attrRange(t, "contexts")
}

// attrRange is where target t sets attr, falling back to the block itself.
func attrRange(t *config.Target, attr string) hcl.Range {
	if r, ok := t.AttrRanges[attr]; ok {
		return r
	}
	return t.DefRange
}
