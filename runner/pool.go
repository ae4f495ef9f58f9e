package runner

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/orch-build/orch/graph"
)

// This file is the runner's side of a builder pool: the facts the
// scheduler knows of each node (Builder), where each platform of a solve
// runs (Placement), and the errors that tie a failure to a node. The
// scheduler itself is in schedule.go; the adapter learns the facts from
// the daemons and builds what Job.Placement says.

// Builder is one builder node of a pool as the scheduler knows it.
type Builder struct {
	// Name identifies the node in plans, reports and errors, e.g. "bk1"
	// or a buildx node's name. Names are unique within a pool.
	Name string
	// Endpoint is the node's address, for display.
	Endpoint string
	// Native are the platforms the node builds without emulation, in the
	// canonical form Pool.Normalize gives; the first is the platform it
	// builds for a target that names none.
	Native []string
	// Emulated are the other platforms it can build (through QEMU).
	Emulated []string
	// Limit bounds the solves the node runs at once; 0 means 1.
	Limit int
}

// Pool is the builder nodes a run spreads its solves across (see
// Options.Pool). Run places every solve itself: each platform on a node
// where it is native before one that emulates it, the least loaded of
// those within their limits, a `target:` child on its parent's node when
// that node is eligible; a node that went away is not used again.
type Pool struct {
	Builders []Builder
	// Normalize returns the canonical form of a target's platform, the
	// form Builder's platforms are in ("linux/arm64/v8" is
	// "linux/arm64"); nil compares platforms as written.
	Normalize func(string) string
	// Split reports whether the platforms of a node's target may be
	// built on different builder nodes, the adapter assembling the one
	// image index; nil never splits. A target that is not split builds
	// all its platforms on one node.
	Split func(*graph.Node) bool
}

// DefaultLimit is the limit of a builder node with cpus CPUs when none is
// set: as many solves as orch runs on one builder by default
// (DefaultJobs' rule for that machine). A node whose CPUs are not known
// counts as one, which the rule's floor of 32 covers.
func DefaultLimit(cpus int) int { return defaultJobs(max(cpus, 1)) }

// Placement is where one platform of a solve is built.
type Placement struct {
	// Platform is the canonical platform. For a target that names none
	// it is the pool's default platform, the first native platform of the
	// first builder.
	Platform string
	// Node is the Builder's name.
	Node string
}

// Nodes lists the distinct nodes of placements, in order of first use:
// the parts a solve is split into.
func Nodes(placements []Placement) []string {
	var out []string
	for _, p := range placements {
		if !slices.Contains(out, p.Node) {
			out = append(out, p.Node)
		}
	}
	return out
}

// nodeList renders the nodes of placements for Attempt.Node.
func nodeList(placements []Placement) string {
	return strings.Join(Nodes(placements), ",")
}

// LostBuilderError is a solve that failed because its builder node went
// away (the daemon died, its machine or pod is gone). The adapter returns
// it, and Run then uses the node no more in the run; it is transient, so
// the solve is tried again on another node within Options.Retries.
type LostBuilderError struct {
	// Node is the Builder's name.
	Node string
	Err  error
}

func (e *LostBuilderError) Error() string {
	return fmt.Sprintf("builder node %s went away: %v", e.Node, e.Err)
}

func (e *LostBuilderError) Unwrap() error { return e.Err }

// Temporary reports true: another node may build what this one could not.
func (e *LostBuilderError) Temporary() bool { return true }

// NoBuilderError is a platform that no node of the pool can build, or no
// node left after some went away.
type NoBuilderError struct {
	// Platform is the platform, or with Together the platforms joined
	// with commas, of a target that must build them on one node.
	Platform string
	Together bool
	// Lost names the nodes that could have built it and went away.
	Lost []string
	// Have lists the platforms the pool can build, for the message.
	Have []string
}

func (e *NoBuilderError) Error() string {
	if e.Together {
		return fmt.Sprintf("no builder node left can build %s together, and the target's outputs need one node for all its platforms", e.Platform)
	}
	if len(e.Lost) > 0 {
		return fmt.Sprintf("no builder node left that can build %s: %s went away", e.Platform, strings.Join(e.Lost, ", "))
	}
	return fmt.Sprintf("no builder node can build %s; the pool builds %s", e.Platform, strings.Join(e.Have, ", "))
}

// ErrNoBuilder is what every *NoBuilderError is, for errors.Is.
var ErrNoBuilder = errors.New("no builder node can build the platform")

// Is makes errors.Is(err, ErrNoBuilder) hold.
func (e *NoBuilderError) Is(target error) bool { return target == ErrNoBuilder }

// platforms returns the canonical platforms of node n's target, nil for a
// target that names none.
func (p *Pool) platforms(n *graph.Node) []string {
	if n.Target == nil || len(n.Target.Platforms) == 0 {
		return nil
	}
	out := make([]string, 0, len(n.Target.Platforms))
	for _, pl := range n.Target.Platforms {
		if p.Normalize != nil {
			pl = p.Normalize(pl)
		}
		if !slices.Contains(out, pl) {
			out = append(out, pl)
		}
	}
	return out
}

// split reports whether node n's platforms may go to different nodes.
func (p *Pool) split(n *graph.Node) bool {
	return p.Split != nil && p.Split(n)
}

// check validates the pool for Options.withDefaults.
func (p *Pool) check() error {
	if len(p.Builders) == 0 {
		return fmt.Errorf("%w: the builder pool has no nodes", ErrInvalidOptions)
	}
	seen := map[string]bool{}
	for _, b := range p.Builders {
		switch {
		case b.Name == "":
			return fmt.Errorf("%w: a builder node has no name", ErrInvalidOptions)
		case seen[b.Name]:
			return fmt.Errorf("%w: two builder nodes are named %s", ErrInvalidOptions, b.Name)
		case b.Limit < 0:
			return fmt.Errorf("%w: builder node %s: limit %d, want 1 or more", ErrInvalidOptions, b.Name, b.Limit)
		case len(b.Native) == 0:
			return fmt.Errorf("%w: builder node %s reports no platform", ErrInvalidOptions, b.Name)
		}
		seen[b.Name] = true
	}
	return nil
}

// capacity is how many solves the pool runs at once.
func (p *Pool) capacity() int {
	n := 0
	for _, b := range p.Builders {
		n += max(b.Limit, 1)
	}
	return n
}
