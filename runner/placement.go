package runner

import (
	"errors"
	"slices"

	"github.com/orch-build/orch/graph"
)

// This file is how Run uses a pool's Scheduler: one lease per attempt,
// asked for after the attempt took its --jobs slot, released when the
// solve returned; a *LostBuilderError marks its node lost first, so the
// retry goes elsewhere.

// poolState is a run's scheduler and where each node's result lives.
type poolState struct {
	pool  *Pool
	sched *Scheduler
	// placed holds the placement of each plan node's successful attempt;
	// a child reads its parents' once they are done.
	placed [][]Placement
}

func newPoolState(pool *Pool, nodes int) *poolState {
	if pool == nil {
		return nil
	}
	return &poolState{pool: pool, sched: NewScheduler(pool), placed: make([][]Placement, nodes)}
}

// place waits for the builder slots of an attempt at node i and sets
// job.Placement. Without a pool it does nothing.
func (r *run) place(i int, job *Job) (*Lease, error) {
	ps := r.pool
	if ps == nil {
		return nil, nil
	}
	node := r.plan.Nodes[i]
	req := Request{Platforms: ps.pool.platforms(node), Split: ps.pool.split(node), Affinity: r.affinity(node)}
	l, err := ps.sched.Acquire(r.ctx, req)
	if err != nil {
		return nil, err
	}
	job.Placement = l.Placement
	return l, nil
}

// affinity maps each platform of node to where its linked parents built it.
func (r *run) affinity(node *graph.Node) map[string]string {
	return affinityOf(node, r.pool.placed)
}

// affinityOf maps each platform to the node where node's linked parents
// built it (placed, by plan index), the node most of them used when they
// differ.
func affinityOf(node *graph.Node, placed [][]Placement) map[string]string {
	votes := map[string]map[string]int{}
	for _, e := range node.Deps {
		if e.Kind != graph.DataEdge {
			continue
		}
		for _, p := range placed[e.To] {
			if votes[p.Platform] == nil {
				votes[p.Platform] = map[string]int{}
			}
			votes[p.Platform][p.Node]++
		}
	}
	if len(votes) == 0 {
		return nil
	}
	out := map[string]string{}
	for p, byNode := range votes {
		best := ""
		// Sorted, so that a tie goes the same way every run.
		for _, n := range sortedNodes(byNode) {
			if best == "" || byNode[n] > byNode[best] {
				best = n
			}
		}
		out[p] = best
	}
	return out
}

func sortedNodes(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for n := range m {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// settle ends an attempt's lease: a solve that lost its builder marks the
// node lost first, so no retry is placed there; a success records where
// node i's result lives, for its children's affinity.
func (r *run) settle(i int, l *Lease, err error) {
	if l == nil {
		return
	}
	var lost *LostBuilderError
	if errors.As(err, &lost) && r.pool.sched.Lost(lost.Node) {
		r.warn("builder node " + lost.Node + " went away; the run does not use it again")
	}
	if err == nil {
		r.pool.placed[i] = l.Placement
	}
	r.pool.sched.Release(l)
}

// onNode is " on NODE" for log lines, "" without a pool.
func onNode(node string) string {
	if node == "" {
		return ""
	}
	return " on " + node
}
