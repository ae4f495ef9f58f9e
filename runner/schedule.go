package runner

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"sync"
)

// Scheduler places solves on the builder nodes of a pool. Run makes one
// for a run with Options.Pool and asks it for every attempt; it is
// exported so that other programs can place work the way orch does.
//
// Its rules, in order:
//
//   - a platform goes to a node where it is native, and to a node that
//     emulates it only while no node that has it native is left: an
//     emulated build is many times slower, so waiting for a native slot
//     beats taking an idle emulator;
//   - a `target:` child goes to the node holding its parent's result of
//     the same platform (Request.Affinity) when that node is one the
//     first rule allows, waiting for its slot: the hand-over inside one
//     daemon costs nothing, a transfer between nodes costs an export;
//   - among the nodes the rules allow, the least loaded one (running
//     solves over its limit, then fewer solves so far, then pool order)
//     with a free slot; when none has one the request waits, first come
//     first served among requests that can use the slot freed;
//   - a split request (Request.Split) places each platform on its own,
//     reusing a node already chosen for another platform of the request
//     where the rules allow it; otherwise all platforms go to one node,
//     the one with the most of them native. A request holds one slot per
//     node it uses, all granted at once, so two requests never hold a
//     slot each and wait for the other's;
//   - a node marked Lost takes no more solves; a platform no node left
//     can build makes Acquire fail with a *NoBuilderError.
type Scheduler struct {
	mu    sync.Mutex
	nodes []*slotNode
	index map[string]int
	// def is the platform of a request that names none.
	def string
	// have lists every platform the pool builds, for errors.
	have []string
	// free counts the free slots of nodes not lost.
	free  int
	queue []*waiter
}

// slotNode is a Builder with its load.
type slotNode struct {
	Builder
	limit            int
	native, emulated map[string]bool
	running, solves  int
	lost             bool
}

// Request is what one solve asks of the scheduler.
type Request struct {
	// Platforms are the canonical platforms to build; empty means the
	// pool's default platform (Placement.Platform).
	Platforms []string
	// Split lets the platforms go to different nodes.
	Split bool
	// Affinity maps a platform to the node holding a linked parent's
	// result of that platform.
	Affinity map[string]string
}

// Lease is a granted Request: where each platform is built, and the slots
// held until Release.
type Lease struct {
	// Placement has one entry per platform of the request, in its order.
	Placement []Placement
	parts     []int
	released  bool
}

// waiter is a request that found no free slot.
type waiter struct {
	req Request
	ch  chan grant
}

type grant struct {
	lease *Lease
	err   error
}

// NewScheduler returns a scheduler for the builders of pool, which must
// be valid (named, at least one platform each).
func NewScheduler(pool *Pool) *Scheduler {
	s := &Scheduler{index: map[string]int{}}
	for i, b := range pool.Builders {
		n := &slotNode{Builder: b, limit: max(b.Limit, 1), native: set(b.Native), emulated: set(b.Emulated)}
		s.nodes = append(s.nodes, n)
		s.index[b.Name] = i
		s.free += n.limit
		for _, p := range append(slices.Clone(b.Native), b.Emulated...) {
			if !slices.Contains(s.have, p) {
				s.have = append(s.have, p)
			}
		}
	}
	slices.Sort(s.have)
	if len(s.nodes) > 0 {
		s.def = s.nodes[0].Native[0]
	}
	return s
}

func set(items []string) map[string]bool {
	m := make(map[string]bool, len(items))
	for _, it := range items {
		m[it] = true
	}
	return m
}

// Default is the platform of a request that names none: the first
// builder's first native platform, so that a target without platforms
// gets the same image whichever node builds it.
func (s *Scheduler) Default() string { return s.def }

// Acquire waits until req can be placed within the nodes' limits and
// returns the lease, or fails with a *NoBuilderError when no node left
// can build one of its platforms, or with ctx's error.
func (s *Scheduler) Acquire(ctx context.Context, req Request) (*Lease, error) {
	s.mu.Lock()
	l, err := s.tryPlace(req, true)
	if l != nil || err != nil {
		s.mu.Unlock()
		return l, err
	}
	w := &waiter{req: req, ch: make(chan grant, 1)}
	s.queue = append(s.queue, w)
	s.mu.Unlock()
	select {
	case g := <-w.ch:
		return g.lease, g.err
	case <-ctx.Done():
	}
	s.mu.Lock()
	if i := slices.Index(s.queue, w); i >= 0 {
		s.queue = slices.Delete(s.queue, i, i+1)
		s.mu.Unlock()
		return nil, ctx.Err()
	}
	s.mu.Unlock()
	// Granted while ctx ended: give the slots back.
	if g := <-w.ch; g.lease != nil {
		s.Release(g.lease)
	}
	return nil, ctx.Err()
}

// Release gives back the slots of l. It may be called more than once.
func (s *Scheduler) Release(l *Lease) {
	if l == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if l.released {
		return
	}
	l.released = true
	for _, i := range l.parts {
		n := s.nodes[i]
		n.running--
		if !n.lost {
			s.free++
		}
	}
	s.wake(false)
}

// Lost marks the node name as gone: it takes no more solves, and waiting
// requests that only it could serve fail. It reports whether the node was
// not marked before.
func (s *Scheduler) Lost(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	i, ok := s.index[name]
	if !ok || s.nodes[i].lost {
		return false
	}
	n := s.nodes[i]
	n.lost = true
	s.free -= n.limit - n.running
	s.wake(true)
	return true
}

// IsLost reports whether Lost marked the node name.
func (s *Scheduler) IsLost(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	i, ok := s.index[name]
	return ok && s.nodes[i].lost
}

// wake grants the waiting requests that can be placed now, in the order
// they came, and fails those that never can. After a release only a free
// slot can change anything; after a loss every waiter is looked at.
func (s *Scheduler) wake(all bool) {
	kept := s.queue[:0]
	for _, w := range s.queue {
		if s.free == 0 && !all {
			kept = append(kept, w)
			continue
		}
		l, err := s.tryPlace(w.req, true)
		switch {
		case err != nil:
			w.ch <- grant{err: err}
		case l != nil:
			w.ch <- grant{lease: l}
		default:
			kept = append(kept, w)
		}
	}
	clear(s.queue[len(kept):])
	s.queue = kept
}

// tryPlace places req and takes its slots, or returns nil when it must
// wait. bounded false ignores the limits (for Forecast).
func (s *Scheduler) tryPlace(req Request, bounded bool) (*Lease, error) {
	plats := req.Platforms
	if len(plats) == 0 {
		plats = []string{s.def}
	}
	var placement []Placement
	var parts []int
	var err error
	if req.Split && len(plats) > 1 {
		placement, parts, err = s.placeSplit(plats, req.Affinity, bounded)
	} else {
		placement, parts, err = s.placeTogether(plats, req.Affinity, bounded)
	}
	if err != nil || placement == nil {
		return nil, err
	}
	for _, i := range parts {
		n := s.nodes[i]
		n.running++
		n.solves++
		if !n.lost {
			s.free--
		}
	}
	return &Lease{Placement: placement, parts: parts}, nil
}

// candidates are the nodes the first rule allows for platform p: those
// left that have it native, else those left that emulate it.
func (s *Scheduler) candidates(p string) ([]int, error) {
	var native, emulated []int
	for i, n := range s.nodes {
		switch {
		case n.lost:
		case n.native[p]:
			native = append(native, i)
		case n.emulated[p]:
			emulated = append(emulated, i)
		}
	}
	if len(native) > 0 {
		return native, nil
	}
	if len(emulated) > 0 {
		return emulated, nil
	}
	return nil, s.noBuilder(p)
}

// noBuilder explains why no node can build p.
func (s *Scheduler) noBuilder(p string) error {
	e := &NoBuilderError{Platform: p, Have: s.have}
	for _, n := range s.nodes {
		if n.lost && (n.native[p] || n.emulated[p]) {
			e.Lost = append(e.Lost, n.Name)
		}
	}
	return e
}

// preferAffinity narrows candidates to the node holding a parent's result
// of platform p, when it is one of them.
func (s *Scheduler) preferAffinity(cands []int, affinity map[string]string, p string) []int {
	if name, ok := affinity[p]; ok {
		if i, ok := s.index[name]; ok && slices.Contains(cands, i) {
			return []int{i}
		}
	}
	return cands
}

// placeSplit places each platform on its own.
func (s *Scheduler) placeSplit(plats []string, affinity map[string]string, bounded bool) ([]Placement, []int, error) {
	placement := make([]Placement, len(plats))
	var parts []int
	for k, p := range plats {
		cands, err := s.candidates(p)
		if err != nil {
			return nil, nil, err
		}
		cands = s.preferAffinity(cands, affinity, p)
		i := -1
		for _, c := range cands {
			if slices.Contains(parts, c) {
				i = c
				break
			}
		}
		if i < 0 {
			if i = s.leastLoaded(cands, bounded); i < 0 {
				return nil, nil, nil
			}
			parts = append(parts, i)
		}
		placement[k] = Placement{Platform: p, Node: s.nodes[i].Name}
	}
	return placement, parts, nil
}

// placeTogether places every platform on one node: among the nodes that
// can build them all, those with the most platforms native (the first
// platform native breaking ties), then the parent's node, then load.
func (s *Scheduler) placeTogether(plats []string, affinity map[string]string, bounded bool) ([]Placement, []int, error) {
	// Every platform must be buildable by some node left.
	for _, p := range plats {
		if _, err := s.candidates(p); err != nil {
			return nil, nil, err
		}
	}
	var class []int
	var best [3]int
	for i, n := range s.nodes {
		if n.lost {
			continue
		}
		// score: platforms native, the first one native, parents' votes.
		var score [3]int
		ok := true
		for k, p := range plats {
			switch {
			case n.native[p]:
				score[0]++
				if k == 0 {
					score[1] = 1
				}
			case !n.emulated[p]:
				ok = false
			}
			if affinity[p] == n.Name {
				score[2]++
			}
		}
		switch c := compareScores(score, best); {
		case !ok, c < 0 && class != nil:
		case c > 0 || class == nil:
			class, best = []int{i}, score
		default:
			class = append(class, i)
		}
	}
	if len(class) == 0 {
		return nil, nil, &NoBuilderError{Platform: strings.Join(plats, ","), Together: true, Have: s.have}
	}
	i := s.leastLoaded(class, bounded)
	if i < 0 {
		return nil, nil, nil
	}
	placement := make([]Placement, len(plats))
	for k, p := range plats {
		placement[k] = Placement{Platform: p, Node: s.nodes[i].Name}
	}
	return placement, []int{i}, nil
}

// compareScores compares two scores of placeTogether lexicographically.
func compareScores(a, b [3]int) int {
	for k := range a {
		if a[k] != b[k] {
			return cmp.Compare(a[k], b[k])
		}
	}
	return 0
}

// leastLoaded returns the candidate with the lowest share of its limit in
// use, then the fewest solves so far, then the first; with bounded, only
// among those with a free slot. It returns -1 when none qualifies.
func (s *Scheduler) leastLoaded(cands []int, bounded bool) int {
	best := -1
	for _, i := range cands {
		n := s.nodes[i]
		if bounded && n.running >= n.limit {
			continue
		}
		if best < 0 {
			best = i
			continue
		}
		b := s.nodes[best]
		// running/limit compared without division.
		l, r := n.running*b.limit, b.running*n.limit
		if l < r || l == r && n.solves < b.solves {
			best = i
		}
	}
	return best
}
