package runner

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/orch-build/orch/graph"
)

// TestRunOrderInputsNoDeadlock runs many graph shapes at every job count
// from 1 to 8 and checks that each solve started only after all of its
// dependencies finished, that Inputs hold exactly the data-edge parents'
// results, and that every node was built once.
func TestRunOrderInputsNoDeadlock(t *testing.T) {
	plans := map[string]*graph.Plan{
		"single":  newPlan(t, "a"),
		"chain":   chainPlan(12),
		"diamond": newPlan(t, "a", "b: a", "c: a", "d: b, c"),
		"mixed":   newPlan(t, "a", "b", "c: a, @b", "d: @a, @c", "e: b, c, d"),
		"wide":    newPlan(t, "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"),
		"fan-in":  newPlan(t, "a", "b", "c", "d", "e", "f", "z: a, b, c, d, e, @f"),
		"fan-out": newPlan(t, "root", "a: root", "b: root", "c: root", "d: @root", "e: root", "f: root"),
		"layered": layeredPlan(6, 5),
		"random1": randomPlan(1, 40),
		"random2": randomPlan(2, 40),
		"random3": randomPlan(3, 40),
	}
	for name, plan := range plans {
		for jobs := 1; jobs <= 8; jobs++ {
			t.Run(fmt.Sprintf("%s/jobs=%d", name, jobs), func(t *testing.T) {
				var seq atomic.Int64
				n := len(plan.Nodes)
				started, finished := make([]int64, n), make([]int64, n)
				calls := make([]atomic.Int32, n)
				inputs := make([]map[string]string, n)
				index := map[*graph.Node]int{}
				for i, node := range plan.Nodes {
					index[node] = i
				}
				solver := &FakeSolver{SolveFunc: func(ctx context.Context, job Job) (*Result, error) {
					i := index[job.Node]
					calls[i].Add(1)
					started[i] = seq.Add(1)
					got := map[string]string{}
					for k, res := range job.Inputs {
						got[k] = res.Digest
					}
					inputs[i] = got
					jitter(i)
					finished[i] = seq.Add(1)
					return &Result{Digest: "sha256:" + job.Node.Name}, nil
				}}
				report, err := runWithin(t, 20*time.Second, context.Background(), plan, solver, Options{Jobs: jobs})
				if err != nil {
					t.Fatalf("Run: %v", err)
				}
				for i, node := range plan.Nodes {
					if c := calls[i].Load(); c != 1 {
						t.Errorf("%s solved %d times, want 1", node.Name, c)
					}
					want := map[string]string{}
					for _, e := range node.Deps {
						if started[i] < finished[e.To] {
							t.Errorf("%s started (seq %d) before dependency %s finished (seq %d)",
								node.Name, started[i], plan.Nodes[e.To].Name, finished[e.To])
						}
						if e.Kind == graph.DataEdge {
							want[e.Key] = "sha256:" + plan.Nodes[e.To].Name
						}
					}
					if diff := cmp.Diff(want, inputs[i]); diff != "" {
						t.Errorf("%s inputs (-want +got):\n%s", node.Name, diff)
					}
					if got := report.Outcomes[i].Status; got != StatusBuilt {
						t.Errorf("%s status %s, want built", node.Name, got)
					}
				}
			})
		}
	}
}

// TestRunConcurrencyHighWater holds solves at a gate until every
// goroutine is blocked (synctest.Wait): exactly Jobs solves must be in
// flight then, no more (the slots bound them) and no fewer (waiting never
// holds a slot); after the gate opens the high-water mark must equal Jobs.
func TestRunConcurrencyHighWater(t *testing.T) {
	for _, tc := range []struct {
		name string
		plan *graph.Plan
		jobs int
	}{
		{name: "independent/1", plan: layeredPlan(1, 24), jobs: 1},
		{name: "independent/3", plan: layeredPlan(1, 24), jobs: 3},
		{name: "independent/8", plan: layeredPlan(1, 24), jobs: 8},
		{name: "layered/4", plan: layeredPlan(4, 10), jobs: 4},
		{name: "random/5", plan: randomPlan(7, 60), jobs: 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var inFlight, high atomic.Int32
				gate := make(chan struct{})
				solver := &FakeSolver{SolveFunc: func(ctx context.Context, job Job) (*Result, error) {
					n := inFlight.Add(1)
					defer inFlight.Add(-1)
					for {
						h := high.Load()
						if n <= h || high.CompareAndSwap(h, n) {
							break
						}
					}
					<-gate
					jitter(len(job.Node.Name) + int(n))
					return &Result{}, nil
				}}
				done := make(chan error, 1)
				go func() {
					_, err := Run(context.Background(), tc.plan, solver, Options{Jobs: tc.jobs})
					done <- err
				}()
				synctest.Wait() // every goroutine waits: at the gate, for a slot, or for a dependency
				if got := inFlight.Load(); got != int32(tc.jobs) {
					t.Errorf("in flight once every goroutine waits = %d, want %d", got, tc.jobs)
				}
				close(gate)
				if err := <-done; err != nil {
					t.Fatalf("Run: %v", err)
				}
				if got := high.Load(); got != int32(tc.jobs) {
					t.Errorf("high-water mark = %d, want %d", got, tc.jobs)
				}
			})
		})
	}
}

// failurePlan: a fails; b and c depend on it directly and transitively;
// slow is in flight when a fails; after depends on slow; free depends on
// nothing and has already finished.
func failurePlan(t *testing.T) *graph.Plan {
	return newPlan(t, "a", "free", "slow", "b: a", "c: b, @free", "after: slow")
}

// failureSolver makes a fail once slow has started; slow then waits for
// cancellation (fail-fast) or for a's verdict (keep-going).
func failureSolver(keepGoing bool, aFinished <-chan struct{}) *FakeSolver {
	slowStarted := make(chan struct{})
	return &FakeSolver{SolveFunc: func(ctx context.Context, job Job) (*Result, error) {
		switch job.Node.Name {
		case "a":
			<-slowStarted
			return nil, &StepError{Step: "[a 2/2] RUN false", File: "Dockerfile", Line: 3, Err: errors.New("exit code: 1")}
		case "slow":
			close(slowStarted)
			if keepGoing {
				<-aFinished
				return &Result{Cached: 1, Total: 2}, nil
			}
			<-ctx.Done()
			return nil, ctx.Err()
		}
		return &Result{Cached: 2, Total: 2}, nil
	}}
}

func TestRunFailurePolicy(t *testing.T) {
	for _, tc := range []struct {
		name      string
		keepGoing bool
		want      map[string]verdict
		wantErr   string
	}{
		{
			name: "fail-fast",
			want: map[string]verdict{
				"a":     {Status: StatusFailed, Attempts: 1},
				"free":  {Status: StatusCached, Attempts: 1},
				"slow":  {Status: StatusCancelled, Reason: "stopped after a failed", Attempts: 1},
				"b":     {Status: StatusSkipped, Reason: "dependency a failed", BlockedBy: "a"},
				"c":     {Status: StatusSkipped, Reason: "dependency a failed (via b)", BlockedBy: "a"},
				"after": {Status: StatusCancelled, Reason: "stopped after a failed"},
			},
			wantErr: "build failed: 1 target failed (a), 2 skipped, 2 cancelled",
		},
		{
			name:      "keep-going",
			keepGoing: true,
			want: map[string]verdict{
				"a":     {Status: StatusFailed, Attempts: 1},
				"free":  {Status: StatusCached, Attempts: 1},
				"slow":  {Status: StatusBuilt, Attempts: 1},
				"b":     {Status: StatusSkipped, Reason: "dependency a failed", BlockedBy: "a"},
				"c":     {Status: StatusSkipped, Reason: "dependency a failed (via b)", BlockedBy: "a"},
				"after": {Status: StatusCached, Attempts: 1},
			},
			wantErr: "build failed: 1 target failed (a), 2 skipped",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			aFinished := make(chan struct{})
			obs := ObserverFunc(func(e Event) {
				if e.Kind == NodeFinished && e.Name == "a" {
					close(aFinished)
				}
			})
			// "free" must finish before "a" fails for its status to be
			// deterministic under fail-fast; one slot each is plenty.
			plan := failurePlan(t)
			report, err := runWithin(t, 10*time.Second, context.Background(), plan,
				orderedFree(failureSolver(tc.keepGoing, aFinished)), Options{Jobs: 4, KeepGoing: tc.keepGoing, Observer: obs})
			if diff := cmp.Diff(tc.want, verdicts(report)); diff != "" {
				t.Errorf("verdicts (-want +got):\n%s", diff)
			}
			if got := errText(err); got != tc.wantErr {
				t.Errorf("error = %q, want %q", got, tc.wantErr)
			}
			if !errors.Is(err, ErrFailed) || errors.Is(err, ErrInterrupted) {
				t.Errorf("error %v: want ErrFailed and not ErrInterrupted", err)
			}
			if report.Interrupted || report.Status() != "failed" {
				t.Errorf("Interrupted = %v, Status = %q; want false, failed", report.Interrupted, report.Status())
			}
		})
	}
}

// orderedFree delays every solve but "free" until "free" has succeeded.
func orderedFree(s *FakeSolver) *FakeSolver {
	freeDone := make(chan struct{})
	var once sync.Once
	return &FakeSolver{SolveFunc: func(ctx context.Context, job Job) (*Result, error) {
		if job.Node.Name == "free" {
			res, err := s.SolveFunc(ctx, job)
			if err == nil {
				once.Do(func() { close(freeDone) })
			}
			return res, err
		}
		<-freeDone
		return s.SolveFunc(ctx, job)
	}}
}

func TestRunErrorSummaryListsFirstFailures(t *testing.T) {
	plan := newPlan(t, "a", "b", "c", "d", "e", "f: a")
	solver := &FakeSolver{SolveFunc: func(ctx context.Context, job Job) (*Result, error) {
		return nil, errors.New("boom")
	}}
	_, err := Run(context.Background(), plan, solver, Options{KeepGoing: true})
	want := "build failed: 5 targets failed (a, b, c and 2 more), 1 skipped"
	if got := errText(err); got != want {
		t.Errorf("error = %q, want %q", got, want)
	}
}

func TestRunEmptyPlan(t *testing.T) {
	report, err := Run(context.Background(), &graph.Plan{}, &FakeSolver{}, Options{})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if len(report.Outcomes) != 0 || report.Status() != "succeeded" {
		t.Errorf("report = %+v, want no outcomes and succeeded", report)
	}
}

func TestRunRejects(t *testing.T) {
	forward := newPlan(t, "a", "b")
	forward.Nodes[0].Deps = []graph.Edge{{Kind: graph.OrderEdge, To: 1}}
	self := newPlan(t, "a", "b")
	self.Nodes[1].Deps = []graph.Edge{{Kind: graph.OrderEdge, To: 1}}
	negative := newPlan(t, "a", "b")
	negative.Nodes[1].Deps = []graph.Edge{{Kind: graph.DataEdge, To: -1, Key: "x"}}
	for _, tc := range []struct {
		name    string
		plan    *graph.Plan
		opts    Options
		want    string
		invalid bool
	}{
		{name: "negative jobs", plan: newPlan(t, "a"), opts: Options{Jobs: -1}, invalid: true,
			want: fmt.Sprintf("invalid runner options: jobs is -1, want at least 1 (or 0 for the default, %d)", DefaultJobs())},
		{name: "negative retries", plan: newPlan(t, "a"), opts: Options{Retries: -2}, invalid: true,
			want: "invalid runner options: retries is -2, want 0 or more"},
		{name: "negative delay", plan: newPlan(t, "a"), opts: Options{RetryDelay: -time.Second}, invalid: true,
			want: "invalid runner options: retry delays must not be negative"},
		{name: "nil plan", want: "run plan: plan is nil"},
		{name: "nil node", plan: &graph.Plan{Nodes: []*graph.Node{nil}}, want: "run plan: node 0 is nil"},
		{name: "forward edge", plan: forward, want: `run plan: node "a" depends on node 1, which does not come before it`},
		{name: "self edge", plan: self, want: `run plan: node "b" depends on node 1, which does not come before it`},
		{name: "negative edge", plan: negative, want: `run plan: node "b" depends on node -1, which does not come before it`},
	} {
		// In a bubble, a plan that made Run wait forever fails at once.
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var called atomic.Bool
				solver := &FakeSolver{SolveFunc: func(context.Context, Job) (*Result, error) {
					called.Store(true)
					return &Result{}, nil
				}}
				report, err := runWithin(t, 10*time.Second, context.Background(), tc.plan, solver, tc.opts)
				if got := errText(err); got != tc.want {
					t.Errorf("error = %q, want %q", got, tc.want)
				}
				if errors.Is(err, ErrInvalidOptions) != tc.invalid {
					t.Errorf("errors.Is(err, ErrInvalidOptions) = %v, want %v", !tc.invalid, tc.invalid)
				}
				if report != nil || called.Load() {
					t.Errorf("report = %v, solver called = %v; want nil, false", report, called.Load())
				}
			})
		})
	}
}

func TestDefaultJobs(t *testing.T) {
	for cpus, want := range map[int]int{1: 32, 2: 32, 8: 32, 9: 36, 64: 256} {
		if got := defaultJobs(cpus); got != want {
			t.Errorf("defaultJobs(%d) = %d, want %d", cpus, got, want)
		}
	}
	opts, err := Options{}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if opts.Jobs != DefaultJobs() || opts.Jobs < 32 {
		t.Errorf("default jobs = %d, DefaultJobs() = %d; want equal and at least 32", opts.Jobs, DefaultJobs())
	}
}

// TestRunNilResult: a solver may return (nil, nil); the node counts as
// built with an empty result and its dependents still get an input.
func TestRunNilResult(t *testing.T) {
	plan := newPlan(t, "a", "b: a")
	var got map[string]*Result
	solver := &FakeSolver{SolveFunc: func(ctx context.Context, job Job) (*Result, error) {
		if job.Node.Name == "b" {
			got = job.Inputs
		}
		return nil, nil
	}}
	report, err := Run(context.Background(), plan, solver, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got["a"] == nil || report.Outcomes[0].Status != StatusBuilt {
		t.Errorf("inputs of b = %v, status of a = %s; want a non-nil input and built", got, report.Outcomes[0].Status)
	}
}
