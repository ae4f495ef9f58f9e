package runner

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/orch-build/orch/graph"
)

// Forecast is where the solves of a plan would run on a pool, for `orch
// plan`: the Scheduler's own rules applied level by level (graph.Plan's
// Levels), as if every solve took as long as every other, so that each
// level's targets start together and spread by load. A run places every
// attempt when it starts, by the nodes' load then; the forecast says what
// the rules make of the plan, not which node a busy run will pick among
// equals.
type Forecast struct {
	// Builders are the pool's nodes.
	Builders []Builder
	// Default is the platform of a target that names none.
	Default string
	// Targets has one entry per plan node, in plan order.
	Targets []ForecastTarget
}

// ForecastTarget is where one target's platforms would be built.
type ForecastTarget struct {
	Name string
	// Placement has one entry per platform; empty when Err is set.
	Placement []Placement
	// Emulated lists the platforms of Placement their node emulates.
	Emulated []string
	// Transfers are the linked parents' results that would cross nodes.
	Transfers []Transfer
	// Err is why no node can build the target (a *NoBuilderError).
	Err error
}

// Transfer is a `target:` parent's result that a child builds on another
// node than the parent's: the adapter exports it from the parent's node as
// an OCI layout and serves it to the child's node, no registry involved.
type Transfer struct {
	// Context is the child's context name, Parent the parent target.
	Context, Parent string
	// Platform is the platform handed over; From and To the nodes.
	Platform, From, To string
}

// Forecast places plan's solves on the pool (see Forecast).
func (p *Pool) Forecast(plan *graph.Plan) *Forecast {
	s := NewScheduler(p)
	f := &Forecast{Builders: p.Builders, Default: s.Default(), Targets: make([]ForecastTarget, len(plan.Nodes))}
	index := map[*graph.Node]int{}
	for i, n := range plan.Nodes {
		index[n] = i
	}
	placed := make([][]Placement, len(plan.Nodes))
	for _, level := range plan.Levels() {
		var leases []*Lease
		for _, n := range level {
			i := index[n]
			ft := &f.Targets[i]
			ft.Name = n.Name
			req := Request{Platforms: p.platforms(n), Split: p.split(n), Affinity: affinityOf(n, placed)}
			s.mu.Lock()
			l, err := s.tryPlace(req, false)
			s.mu.Unlock()
			if err != nil {
				ft.Err = err
				continue
			}
			leases = append(leases, l)
			ft.Placement, placed[i] = l.Placement, l.Placement
			for _, pl := range l.Placement {
				if !slices.Contains(p.builder(pl.Node).Native, pl.Platform) {
					ft.Emulated = append(ft.Emulated, pl.Platform)
				}
			}
			ft.Transfers = transfers(plan, n, l.Placement, placed)
		}
		// The level is done: its solves free their nodes for the next.
		for _, l := range leases {
			s.Release(l)
		}
	}
	return f
}

// builder returns the named node of the pool.
func (p *Pool) builder(name string) Builder {
	for _, b := range p.Builders {
		if b.Name == name {
			return b
		}
	}
	return Builder{}
}

// transfers lists the data edges of n whose parent's result of a platform
// n builds lives on another node. A parent of one platform hands that one
// result to every platform of the child.
func transfers(plan *graph.Plan, n *graph.Node, placement []Placement, placed [][]Placement) []Transfer {
	var out []Transfer
	for _, e := range n.Deps {
		if e.Kind != graph.DataEdge {
			continue
		}
		parent := placed[e.To]
		for _, pl := range placement {
			from := ""
			for _, pp := range parent {
				if pp.Platform == pl.Platform || len(parent) == 1 {
					from = pp.Node
				}
			}
			if from != "" && from != pl.Node {
				out = append(out, Transfer{Context: e.Key, Parent: plan.Nodes[e.To].Name, Platform: pl.Platform, From: from, To: pl.Node})
			}
		}
	}
	return out
}

// WriteTable writes the forecast as a table: each target's platforms and
// their nodes, emulated ones marked, and every result that crosses nodes.
func (f *Forecast) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TARGET\tPLATFORM\tNODE\tNOTE")
	for _, t := range f.Targets {
		if t.Err != nil {
			fmt.Fprintf(tw, "%s\t-\t-\t%v\n", t.Name, t.Err)
			continue
		}
		for _, pl := range t.Placement {
			var notes []string
			if slices.Contains(t.Emulated, pl.Platform) {
				notes = append(notes, "emulated")
			}
			for _, x := range t.Transfers {
				if x.Platform == pl.Platform {
					notes = append(notes, fmt.Sprintf("gets %s from %s as an OCI layout (context %s)", x.Parent, x.From, x.Context))
				}
			}
			note := strings.Join(notes, "; ")
			if note == "" {
				note = "-"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", t.Name, pl.Platform, pl.Node, note)
		}
	}
	return tw.Flush()
}

// Annotate adds the forecast to a plan's JSON document: the builders, and
// each target's placement and the transfers of its dependencies.
func (f *Forecast) Annotate(d *graph.Document) {
	for _, b := range f.Builders {
		d.Builders = append(d.Builders, graph.DocumentBuilder{
			Name: b.Name, Endpoint: b.Endpoint, Native: nonNil(b.Native), Emulated: nonNil(b.Emulated), Limit: max(b.Limit, 1),
		})
	}
	for i := range d.Targets {
		t := &f.Targets[i]
		dt := &d.Targets[i]
		if t.Err != nil {
			dt.PlacementError = t.Err.Error()
			continue
		}
		dt.Placement = []graph.DocumentPlacement{}
		for _, pl := range t.Placement {
			dt.Placement = append(dt.Placement, graph.DocumentPlacement{Platform: pl.Platform, Node: pl.Node, Emulated: slices.Contains(t.Emulated, pl.Platform)})
		}
		for k := range dt.Dependencies {
			dep := &dt.Dependencies[k]
			for _, x := range t.Transfers {
				if x.Parent == dep.Target && x.Context == dep.Key {
					dep.Transfers = append(dep.Transfers, graph.DocumentTransfer{Platform: x.Platform, From: x.From, To: x.To, Via: "oci-layout"})
				}
			}
		}
	}
}
