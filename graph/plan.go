// Package graph turns evaluated targets and a user's selection into a build
// plan: the nodes to build, the edges between them, a deterministic
// topological order and the reason each node is in the plan. It is pure: no
// I/O, no HCL, no BuildKit.
package graph

import "github.com/orch-build/orch/config"

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
	// written (bake's cacheonly rule).
	Export bool
	// Reasons say why the node is in the plan, e.g. "selected",
	// "needed by api as context base", "ordered before migrate".
	Reasons []string
}

// Plan is the set of nodes to build in a deterministic topological order:
// every node comes after all of its dependencies, ties broken by name.
type Plan struct {
	Nodes []*Node
}
