package runner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/errgroup"

	"github.com/orch-build/orch/graph"
)

// Run builds every node of plan with solver and reports what happened to
// each. It starts one goroutine per node; a node waits until all of its
// dependencies have finished and solves only if they all succeeded, holding
// one of opts.Jobs slots for the duration of each Solve call (not while it
// waits for dependencies or for a retry's backoff, so waiting never blocks
// a slot and no job count can deadlock).
//
// The first failure cancels every solve in flight unless opts.KeepGoing is
// set; dependents of a failed target are skipped either way. Cancelling ctx
// cancels every solve, and Run returns only after every Solve call and
// every Result.Release has returned.
//
// A node whose graph.Freshness says it is up to date is not solved, and
// ends StatusUpToDate at once, unless a dependent that is solved takes its
// result through a `target:` link: then it is solved with Job.UpToDate
// set (its outputs are not written) and still ends StatusUpToDate. Its
// Result holds what its destinations hold (see upToDate).
//
// The report is complete whenever the error is not ErrInvalidOptions or a
// plan error. The error wraps ErrInterrupted (and the context's cause) when
// ctx was cancelled before the run finished, ErrFailed when a target did
// not succeed, and is nil when every target was built or cached.
func Run(ctx context.Context, plan *graph.Plan, solver Solver, opts Options) (*Report, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := checkPlan(plan); err != nil {
		return nil, err
	}
	if opts.LogDir != "" {
		if err := os.MkdirAll(opts.LogDir, 0o755); err != nil {
			return nil, fmt.Errorf("create log directory: %w", err)
		}
	}
	r := newRun(ctx, plan, solver, opts)
	report := &Report{
		Started:   opts.Now(),
		Jobs:      opts.Jobs,
		KeepGoing: opts.KeepGoing,
		Retries:   opts.Retries,
	}
	for i := range plan.Nodes {
		r.group.Go(func() error { return r.runNode(i) })
	}
	// The group's error is the first fail-fast failure, which the report
	// already tells; Wait also cancels the run's context.
	_ = r.group.Wait()
	report.Duration = opts.Now().Sub(report.Started)
	report.Outcomes = r.outcomes
	report.Warnings = r.warnings
	slices.Sort(report.Warnings) // goroutines add them in any order
	report.Interrupted = ctx.Err() != nil && report.Count(StatusCancelled) > 0
	return report, runError(ctx, report)
}

// checkPlan rejects plans whose edges do not point backwards: Run relies on
// the topological order, and a forward edge would make a node wait forever.
func checkPlan(plan *graph.Plan) error {
	if plan == nil {
		return errors.New("run plan: plan is nil")
	}
	for i, n := range plan.Nodes {
		if n == nil {
			return fmt.Errorf("run plan: node %d is nil", i)
		}
		for _, e := range n.Deps {
			if e.To < 0 || e.To >= i {
				return fmt.Errorf("run plan: node %q depends on node %d, which does not come before it", n.Name, e.To)
			}
		}
	}
	return nil
}

// runError builds Run's error from the finished report.
func runError(ctx context.Context, r *Report) error {
	if r.Interrupted {
		return fmt.Errorf("%w: %w", ErrInterrupted, context.Cause(ctx))
	}
	if r.Status() == "succeeded" {
		return nil
	}
	var parts []string
	if failed := r.Failed(); len(failed) > 0 {
		names := make([]string, 0, 3)
		for _, o := range failed[:min(len(failed), 3)] {
			names = append(names, o.Name)
		}
		list := strings.Join(names, ", ")
		if len(failed) > 3 {
			list += fmt.Sprintf(" and %d more", len(failed)-3)
		}
		parts = append(parts, fmt.Sprintf("%s failed (%s)", plural(len(failed), "target"), list))
	}
	for _, s := range []Status{StatusSkipped, StatusCancelled} {
		if n := r.Count(s); n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, s))
		}
	}
	return fmt.Errorf("%w: %s", ErrFailed, strings.Join(parts, ", "))
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// failFast is the error a node's goroutine returns when it failed without
// KeepGoing: the group cancels the run's context with it as the cause.
type failFast struct{ name string }

func (f *failFast) Error() string { return "target " + f.name + " failed" }

// run is the state of one Run call. Each node's goroutine writes only its
// own outcomes[i] and results[i]; others read them after done[i] is closed.
//
// The goroutines run in an errgroup whose context is the run's: a node
// that fails without KeepGoing returns an error, which cancels every solve
// in flight. The group has no limit (SetLimit): its members wait on each
// other, so a limit would deadlock once every member waited; slots bounds
// the solves instead, and only around each Solve call.
type run struct {
	plan   *graph.Plan
	solver Solver
	opts   Options
	retry  RetryPolicy
	parent context.Context
	ctx    context.Context
	group  *errgroup.Group
	slots  chan struct{}

	done     []chan struct{}
	outcomes []Outcome
	results  []*Result
	// parents lists each node's distinct dependencies; pending counts the
	// dependents of a node that have not finished yet.
	parents [][]int
	pending []atomic.Int32
	// solve says which nodes are solved: every node that is not up to
	// date, and every node whose result a solved node takes.
	solve []bool

	// pool schedules every attempt onto a builder node (Options.Pool);
	// nil without a pool.
	pool *poolState

	observeMu sync.Mutex
	warnMu    sync.Mutex
	warnings  []string
}

func newRun(ctx context.Context, plan *graph.Plan, solver Solver, opts Options) *run {
	n := len(plan.Nodes)
	r := &run{
		plan:     plan,
		solver:   solver,
		opts:     opts,
		retry:    opts.RetryPolicy(),
		parent:   ctx,
		slots:    make(chan struct{}, opts.Jobs),
		done:     make([]chan struct{}, n),
		outcomes: make([]Outcome, n),
		results:  make([]*Result, n),
		parents:  make([][]int, n),
		pending:  make([]atomic.Int32, n),
		solve:    solved(plan),
		pool:     newPoolState(opts.Pool, n),
	}
	r.group, r.ctx = errgroup.WithContext(ctx)
	for i, node := range plan.Nodes {
		r.done[i] = make(chan struct{})
		for _, e := range node.Deps {
			// Deps are sorted by To, so duplicates are adjacent.
			if ps := r.parents[i]; len(ps) == 0 || ps[len(ps)-1] != e.To {
				r.parents[i] = append(r.parents[i], e.To)
				if r.solve[i] {
					// A node that is not solved neither waits for its
					// parents nor uses their results.
					r.pending[e.To].Add(1)
				}
			}
		}
		deps := make([]string, len(r.parents[i]))
		for k, p := range r.parents[i] {
			deps[k] = plan.Nodes[p].Name
		}
		r.outcomes[i] = Outcome{Index: i, Name: node.Name, Exported: node.Export, Dependencies: deps, Links: links(plan, node)}
	}
	return r
}

// solved says which nodes of plan must be solved: those that are not up
// to date (see graph.Freshness) and, through data edges, every parent of
// a solved node, since the child builds on the parent's result. Order
// edges pass no data: an up-to-date node needs nothing of its order
// parents, nor they of it.
func solved(plan *graph.Plan) []bool {
	solve := make([]bool, len(plan.Nodes))
	// Dependents come after their dependencies, so walking backwards
	// decides every node after all of its dependents.
	for i := len(plan.Nodes) - 1; i >= 0; i-- {
		n := plan.Nodes[i]
		if f := n.Freshness; f == nil || !f.UpToDate {
			solve[i] = true
		}
		if !solve[i] {
			continue
		}
		for _, e := range n.Deps {
			if e.Kind == graph.DataEdge {
				solve[e.To] = true
			}
		}
	}
	return solve
}

// upToDate is the Result of an up-to-date node: what its destinations
// hold, with what a solve for its dependents returned, if there was one.
func upToDate(f *graph.Freshness, solved *Result) *Result {
	res := &Result{}
	if solved != nil {
		*res = *solved
	}
	res.Digest, res.Destinations, res.Metadata = f.Digest, slices.Clone(f.Destinations), f.Metadata
	return res
}

// runNode is the life of node i's goroutine. It returns a *failFast when
// the node failed and the run does not keep going.
func (r *run) runNode(i int) error {
	// Waiting on dependencies does not select on ctx: once ctx is
	// cancelled every dependency finishes promptly anyway, and waiting for
	// its verdict is what tells "skipped" from "cancelled" deterministically.
	// A node that is not solved has nothing to wait for.
	blocker := -1
	if r.solve[i] {
		for _, p := range r.parents[i] {
			<-r.done[p]
		}
		blocker = r.blocker(i)
	}
	out := &r.outcomes[i]
	out.Ready = r.opts.Now()
	log, err := openNodeLog(r.opts.LogDir, out.Name)
	if err != nil {
		r.warn(fmt.Sprintf("target %s: %v", out.Name, err))
		log, _ = openNodeLog("", out.Name)
	}
	out.LogFile = log.path

	switch {
	case !r.solve[i]:
		// Up to date, and no solve takes its result.
		out.Status, out.Result = StatusUpToDate, upToDate(r.plan.Nodes[i].Freshness, nil)
	case blocker >= 0:
		b := &r.outcomes[blocker]
		root := b.BlockedBy
		if b.Status == StatusFailed {
			root = b.Name
		}
		out.Status, out.BlockedBy = StatusSkipped, root
		out.Reason = "dependency " + root + " failed"
		if b.Name != root {
			out.Reason += " (via " + b.Name + ")"
		}
	case r.ctx.Err() != nil:
		// A dependency that was cancelled implies this case too: only a
		// done context makes a status "cancelled".
		out.Status, out.Reason = StatusCancelled, r.cancelReason()
	default:
		r.build(i, log)
	}

	log.note("%s", outcomeLine(out))
	tail, err := log.close()
	out.LogTail = tail
	if err != nil {
		r.warn(fmt.Sprintf("target %s: %v", out.Name, err))
	}
	r.finish(i)
	if out.Status == StatusFailed && !r.opts.KeepGoing {
		return &failFast{name: out.Name}
	}
	return nil
}

// blocker returns the first dependency of node i that failed or was
// skipped, or -1. A failure wins over a cancellation so that the root
// cause is what the user reads.
func (r *run) blocker(i int) int {
	for _, p := range r.parents[i] {
		if s := r.outcomes[p].Status; s == StatusFailed || s == StatusSkipped {
			return p
		}
	}
	return -1
}

// cancelReason explains why the run's context is done.
func (r *run) cancelReason() string {
	if r.parent.Err() != nil {
		return "interrupted"
	}
	var ff *failFast
	if errors.As(context.Cause(r.ctx), &ff) {
		return "stopped after " + ff.name + " failed"
	}
	return "cancelled"
}

// build solves node i, retrying transient failures, and records its
// outcome.
func (r *run) build(i int, log *nodeLog) {
	node, out := r.plan.Nodes[i], &r.outcomes[i]
	fresh := node.Freshness != nil && node.Freshness.UpToDate
	job := Job{Node: node, Log: log, UpToDate: fresh}
	for _, e := range node.Deps {
		if e.Kind == graph.DataEdge {
			if job.Inputs == nil {
				job.Inputs = make(map[string]*Result)
			}
			job.Inputs[e.Key] = r.results[e.To]
		}
	}
	// out.Err keeps the last attempt's error, if there was one.
	cancelled := func() { out.Status, out.Reason = StatusCancelled, r.cancelReason() }
	for attempt := 1; ; attempt++ {
		queued := r.opts.Now()
		select {
		case r.slots <- struct{}{}:
		case <-r.ctx.Done():
			cancelled()
			return
		}
		if r.ctx.Err() != nil {
			// select picks at random when both were ready.
			<-r.slots
			cancelled()
			return
		}
		lease, placeErr := r.place(i, &job)
		if placeErr != nil && r.ctx.Err() != nil {
			<-r.slots
			cancelled()
			return
		}
		a := Attempt{Number: attempt, Queued: queued, Started: r.opts.Now()}
		if lease != nil {
			a.Node, a.Placement = nodeList(lease.Placement), lease.Placement
		}
		if attempt == 1 {
			out.Started = a.Started
			r.emit(Event{Kind: NodeStarted, Index: i, Name: node.Name})
		}
		r.emit(Event{Kind: AttemptStarted, Index: i, Name: node.Name, Attempt: a})
		log.note("attempt %d started%s", attempt, onNode(a.Node))
		job.Attempt, job.timeline = attempt, newTimeline(r.opts.Now)
		res, err := (*Result)(nil), placeErr
		if placeErr == nil {
			res, err = r.solver.Solve(r.ctx, job)
			r.settle(i, lease, err)
		}
		<-r.slots
		end := r.opts.Now()
		a.Phases, a.Steps = job.timeline.close()
		a.Duration = end.Sub(a.Started)
		out.Duration = end.Sub(out.Started)

		if err == nil {
			if res == nil {
				res = &Result{}
			}
			r.results[i], out.Result = res, res
			for _, w := range res.Warnings {
				r.warn(fmt.Sprintf("target %s: %s", node.Name, w))
			}
			out.Status = StatusBuilt
			switch {
			case fresh:
				out.Status, out.Result = StatusUpToDate, upToDate(node.Freshness, res)
			case res.Total > 0 && res.Cached == res.Total:
				out.Status = StatusCached
			}
			r.recordAttempt(i, a)
			return
		}
		if res != nil && res.Release != nil {
			// A failed solve that still returned something must not leak it.
			res.Release()
		}
		a.Err, out.Err = err, err
		if r.ctx.Err() != nil {
			r.recordAttempt(i, a)
			log.note("attempt %d cancelled: %v", attempt, err)
			cancelled()
			return
		}
		a.Transient = IsTransient(err)
		wait, again := r.retry.next(attempt, a.Transient)
		if !again {
			r.recordAttempt(i, a)
			log.note("attempt %d failed: %v", attempt, err)
			out.Status = StatusFailed
			return
		}
		a.RetryAfter = wait
		r.recordAttempt(i, a)
		log.note("attempt %d failed, retrying in %s: %v", attempt, formatDuration(a.RetryAfter), err)
		if err := r.retry.Sleep(r.ctx, wait); err != nil {
			out.Duration = r.opts.Now().Sub(out.Started)
			cancelled()
			return
		}
	}
}

func (r *run) recordAttempt(i int, a Attempt) {
	out := &r.outcomes[i]
	out.Attempts = append(out.Attempts, a)
	r.emit(Event{Kind: AttemptFinished, Index: i, Name: out.Name, Attempt: a})
}

// finish publishes node i's outcome and releases every result nobody needs
// any more: its own when it has no dependents, and each parent's once its
// last dependent is done.
func (r *run) finish(i int) {
	out := &r.outcomes[i]
	out.Finished = r.opts.Now()
	r.emit(Event{Kind: NodeFinished, Index: i, Name: out.Name, Outcome: out})
	// Read before close: afterwards dependents may count pending down to
	// zero and release the result themselves.
	noDependents := r.pending[i].Load() == 0
	close(r.done[i])
	if noDependents {
		r.release(i)
	}
	if !r.solve[i] {
		return
	}
	for _, p := range r.parents[i] {
		if r.pending[p].Add(-1) == 0 {
			r.release(p)
		}
	}
}

// links names the parents node builds on through data edges, each once,
// in plan order.
func links(plan *graph.Plan, node *graph.Node) []string {
	var names []string
	for _, e := range node.Deps {
		// Deps are sorted by To, so a parent's edges are adjacent.
		if name := plan.Nodes[e.To].Name; e.Kind == graph.DataEdge && (len(names) == 0 || names[len(names)-1] != name) {
			names = append(names, name)
		}
	}
	return names
}

func (r *run) release(i int) {
	if res := r.results[i]; res != nil && res.Release != nil {
		res.Release()
	}
}

// emit hands e to the observer, one event at a time.
func (r *run) emit(e Event) {
	if r.opts.Observer == nil {
		return
	}
	r.observeMu.Lock()
	defer r.observeMu.Unlock()
	e.Time = r.opts.Now()
	r.opts.Observer.Observe(e)
}

func (r *run) warn(msg string) {
	r.warnMu.Lock()
	defer r.warnMu.Unlock()
	r.warnings = append(r.warnings, msg)
}
