// Package graph turns evaluated targets and a user's selection into a build
// plan: the nodes to build, the edges between them, a deterministic
// topological order and the reason each node is in the plan. It also
// renders plans (table, JSON, DOT, Mermaid) to an io.Writer.
//
// It holds the one reading of a selection (Select) and the one check of
// the links between targets (unknown names, self-links, cycles, platforms)
// that every command uses: New for plan, validate and build, PrintSet for
// print, AllTargets for ls.
//
// It is pure: it reads no files, parses no HCL (it only passes on the
// hcl.Range values config recorded, in its errors and diagnostics) and
// knows nothing of BuildKit.
package graph

import (
	"errors"
	"path/filepath"

	"github.com/orch-build/orch/config"
)

// EdgeKind says what an edge carries.
type EdgeKind int

const (
	// DataEdge is a `contexts = { key = "target:NAME" }` link: the
	// parent's result feeds the child as the named context Key.
	DataEdge EdgeKind = iota
	// OrderEdge is a `depends_on` entry: the parent must finish first, no
	// data passes.
	OrderEdge
)

// Edge is a dependency of a node on another node of the same plan.
type Edge struct {
	Kind EdgeKind
	// To is the index in Plan.Nodes of the node depended on.
	To int
	// Key is the context name for a DataEdge, empty for an OrderEdge.
	Key string
}

// Node is one target to build.
type Node struct {
	Name   string
	Target *config.Target
	// Deps are the nodes this one waits for, sorted by (To, Key).
	Deps []Edge
	// Export is false for a target that is only reached through `target:`
	// links and not selected itself: it is built but its outputs are not
	// written (bake's cacheonly rule). A target pulled in by depends_on
	// is exported: no data passes on an order edge, so the point of
	// waiting for it is its written result.
	Export bool
	// Reasons say why the node is in the plan, e.g. "selected",
	// "needed by api as context base", "ordered before migrate".
	Reasons []string
	// Freshness is what the incremental check found, nil when it did not
	// run; see Freshness.
	Freshness *Freshness
}

// Plan is the set of nodes to build in a deterministic topological order:
// every node comes after all of its dependencies, ties broken by name.
type Plan struct {
	Nodes []*Node

	// index maps a target name to its position in Nodes.
	index map[string]int
}

// Node returns the node of the named target, or nil when the target is not
// in the plan.
func (p *Plan) Node(name string) *Node {
	if p.index == nil {
		// A Plan built by hand, as tests of other packages do.
		for _, n := range p.Nodes {
			if n.Name == name {
				return n
			}
		}
		return nil
	}
	if i, ok := p.index[name]; ok {
		return p.Nodes[i]
	}
	return nil
}

// New plans the build of selection, a list of target names, group names,
// globs (`app-*`) and `all` (see Select); an empty selection means the
// "default" group or target. It adds every target the selected ones link
// to through `target:` contexts or depends_on, orders all of them and
// checks the result.
//
// Options tune what New compares; see WithCanonicalizer.
//
// The error, when not nil, is one of the types in errors.go or several of
// them joined with errors.Join: unknown names, self-links, cycles, platform
// mismatches of linked targets and destination conflicts. Problems are
// collected in one pass, so a user sees all of them at once; only an
// invalid selection stops planning early, since nothing can be checked
// without it.
func New(cfg *config.Config, selection []string, opts ...Option) (*Plan, error) {
	o := options{canonical: filepath.Clean}
	for _, opt := range opts {
		opt(&o)
	}
	b, _, err := collect(cfg, selection)
	if err != nil {
		return nil, err
	}
	order := b.checkLinks()
	b.errs = append(b.errs, checkDestinations(b.nodes, o.canonical)...)
	if len(b.errs) > 0 {
		return nil, errors.Join(b.errs...)
	}
	return b.plan(order), nil
}

// checkLinks checks the links of the targets collected: the one link checker of
// every command. Its problems are in b.errs; order is the execution order
// when there is no cycle.
func (b *builder) checkLinks() (order []int) {
	order, cycles := b.order()
	b.errs = append(b.errs, cycles...)
	b.checkPlatforms()
	return order
}

// PrintSet selects and checks selection exactly as New does, with the same
// errors at the same lines, and returns what `orch print` shows: the
// selection and the targets its `target:` contexts reach, which config
// renders as bake's --print document. Destinations are not checked, since
// bake prints outputs that would overwrite each other, and depends_on
// targets are not printed (bake has no depends_on).
func PrintSet(cfg *config.Config, selection []string) (config.PrintSet, error) {
	b, sel, err := collect(cfg, selection)
	if err != nil {
		return config.PrintSet{}, err
	}
	b.checkLinks()
	if len(b.errs) > 0 {
		return config.PrintSet{}, errors.Join(b.errs...)
	}
	set := config.PrintSet{Names: sel.Names, Groups: sel.Groups, Targets: sel.Targets}
	// Walk the data links from the selected targets; the order edges of
	// depends_on are not followed.
	reached := make([]bool, len(b.nodes))
	var walk func(i int)
	walk = func(i int) {
		for j, l := range b.nodes[i].links {
			if d := b.nodes[i].deps[j]; l.Kind == DataEdge && !reached[d] {
				reached[d] = true
				walk(d)
			}
		}
	}
	for i, n := range b.nodes {
		if len(n.selected) > 0 {
			walk(i)
		}
	}
	for i, n := range b.nodes {
		if reached[i] && len(n.selected) == 0 {
			set.Linked = append(set.Linked, n.name)
		}
	}
	return set, nil
}

// Option tunes New.
type Option func(*options)

// options are New's settings, each with its default.
type options struct {
	// canonical maps destination paths before they are compared.
	canonical Canonicalizer
}
