package runner

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestRunCancelMidRun cancels the caller's context while Jobs solves are in
// flight: every solve must see the cancellation, Run must not return while
// any solve is still cleaning up, and every target must be recorded as
// cancelled. It runs in a synctest bubble: synctest.Wait tells when every
// goroutine is blocked, so "Run has not returned yet" is a fact, not a
// guess after a sleep.
func TestRunCancelMidRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const jobs = 4
		plan := newPlan(t, "a", "b", "c", "d", "e", "f", "g", "h", "x: a, b", "y: x, @h")
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var started, sawCancel, returned atomic.Int32
		allStarted := make(chan struct{})
		cleanup := make(chan struct{}) // closed when the solves may return
		var once sync.Once
		endCleanup := func() { once.Do(func() { close(cleanup) }) }
		defer endCleanup() // also when the test fails early
		solver := &FakeSolver{SolveFunc: func(ctx context.Context, job Job) (*Result, error) {
			if started.Add(1) == jobs {
				close(allStarted)
			}
			defer returned.Add(1)
			select {
			case <-ctx.Done():
				sawCancel.Add(1)
				// A real solve takes a moment to clean up; Run must wait.
				<-cleanup
				return nil, ctx.Err()
			case <-time.After(10 * time.Second):
				return nil, errors.New("solve never saw the cancellation")
			}
		}}
		type ret struct {
			report *Report
			err    error
		}
		done := make(chan ret, 1)
		begin := time.Now()
		go func() {
			report, err := Run(ctx, plan, solver, Options{Jobs: jobs})
			done <- ret{report, err}
		}()
		<-allStarted
		cancel()
		synctest.Wait() // every solve now waits on cleanup
		if s, c := started.Load(), sawCancel.Load(); s != jobs || c != jobs {
			t.Errorf("solves started %d, saw the cancellation %d; want %d each", s, c, jobs)
		}
		select {
		case <-done:
			t.Fatal("Run returned while solves were still cleaning up")
		default:
		}
		endCleanup()
		got := <-done
		report, err := got.report, got.err
		// The bubble's clock moves only when every goroutine waits on a
		// timer: a Run that needed the solves' 10s fallback shows here.
		if elapsed := time.Since(begin); elapsed != 0 {
			t.Errorf("Run took %s of timer time after cancellation, want none", elapsed)
		}
		if r := returned.Load(); r != jobs {
			t.Errorf("solves returned before Run did: %d, want %d", r, jobs)
		}
		want := map[string]verdict{}
		for _, n := range plan.Nodes {
			want[n.Name] = verdict{Status: StatusCancelled, Reason: "interrupted"}
		}
		verdictsGot := verdicts(report)
		for name, v := range verdictsGot {
			v.Attempts = 0 // which four got a slot is up to the scheduler
			verdictsGot[name] = v
		}
		if diff := cmp.Diff(want, verdictsGot); diff != "" {
			t.Errorf("verdicts (-want +got):\n%s", diff)
		}
		if !errors.Is(err, ErrInterrupted) || !errors.Is(err, context.Canceled) || errors.Is(err, ErrFailed) {
			t.Errorf("error = %v; want ErrInterrupted and context.Canceled, not ErrFailed", err)
		}
		if got, want := errText(err), "build interrupted: context canceled"; got != want {
			t.Errorf("error = %q, want %q", got, want)
		}
		if !report.Interrupted || report.Status() != "interrupted" {
			t.Errorf("Interrupted = %v, Status = %q; want true, interrupted", report.Interrupted, report.Status())
		}
	})
}

func TestRunAlreadyCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	solver := &FakeSolver{SolveFunc: func(context.Context, Job) (*Result, error) {
		t.Error("solver called on a cancelled context")
		return &Result{}, nil
	}}
	report, err := Run(ctx, newPlan(t, "a", "b: a"), solver, Options{})
	want := map[string]verdict{
		"a": {Status: StatusCancelled, Reason: "interrupted"},
		"b": {Status: StatusCancelled, Reason: "interrupted"},
	}
	if diff := cmp.Diff(want, verdicts(report)); diff != "" {
		t.Errorf("verdicts (-want +got):\n%s", diff)
	}
	if !errors.Is(err, ErrInterrupted) {
		t.Errorf("error = %v, want ErrInterrupted", err)
	}
}

// TestRunDeadline runs in a synctest bubble, where the 20ms deadline
// passes as soon as the solve waits for it.
func TestRunDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		solver := &FakeSolver{SolveFunc: func(ctx context.Context, job Job) (*Result, error) {
			<-ctx.Done()
			return nil, ctx.Err()
		}}
		_, err := runWithin(t, 10*time.Second, ctx, newPlan(t, "a"), solver, Options{})
		if got, want := errText(err), "build interrupted: context deadline exceeded"; got != want {
			t.Errorf("error = %q, want %q", got, want)
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("error %v does not wrap context.DeadlineExceeded", err)
		}
	})
}

// TestRunCancelledAfterLastSolve: a context cancelled once every target
// is built interrupts nothing.
func TestRunCancelledAfterLastSolve(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	solver := &FakeSolver{SolveFunc: func(context.Context, Job) (*Result, error) {
		cancel()
		return &Result{}, nil
	}}
	report, err := Run(ctx, newPlan(t, "a"), solver, Options{})
	if err != nil || report.Interrupted || report.Status() != "succeeded" {
		t.Errorf("err = %v, Interrupted = %v, Status = %q; want nil, false, succeeded", err, report.Interrupted, report.Status())
	}
}

// TestRunCompletedSolveKeptOnCancel: a solve that finishes despite the
// cancellation keeps its result (outputs already written stay).
func TestRunCompletedSolveKeptOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	solver := &FakeSolver{SolveFunc: func(ctx context.Context, job Job) (*Result, error) {
		cancel()
		return &Result{Digest: "sha256:done", Total: 1}, nil
	}}
	report, err := Run(ctx, newPlan(t, "a", "b: a"), solver, Options{})
	want := map[string]verdict{
		"a": {Status: StatusBuilt, Attempts: 1},
		"b": {Status: StatusCancelled, Reason: "interrupted"},
	}
	if diff := cmp.Diff(want, verdicts(report)); diff != "" {
		t.Errorf("verdicts (-want +got):\n%s", diff)
	}
	if !errors.Is(err, ErrInterrupted) {
		t.Errorf("error = %v, want ErrInterrupted", err)
	}
}
