package runner

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestRunCancelMidRun cancels the caller's context while Jobs solves are in
// flight: Run must return promptly, only after every solve has returned,
// every solve must have seen the cancellation, and every target must be
// recorded as cancelled.
func TestRunCancelMidRun(t *testing.T) {
	const jobs = 4
	plan := newPlan(t, "a", "b", "c", "d", "e", "f", "g", "h", "x: a, b", "y: x, @h")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var started, sawCancel, returned atomic.Int32
	allStarted := make(chan struct{})
	solver := &FakeSolver{SolveFunc: func(ctx context.Context, job Job) (*Result, error) {
		if started.Add(1) == jobs {
			close(allStarted)
		}
		defer returned.Add(1)
		select {
		case <-ctx.Done():
			sawCancel.Add(1)
			// A real solve takes a moment to clean up; Run must wait.
			time.Sleep(30 * time.Millisecond)
			return nil, ctx.Err()
		case <-time.After(10 * time.Second):
			return nil, errors.New("solve never saw the cancellation")
		}
	}}
	go func() {
		<-allStarted
		cancel()
	}()
	begin := time.Now()
	report, err := runWithin(t, 10*time.Second, ctx, plan, solver, Options{Jobs: jobs})
	elapsed := time.Since(begin)
	if elapsed > 2*time.Second {
		t.Errorf("Run took %s after cancellation, want well under 2s", elapsed)
	}
	if s, c, r := started.Load(), sawCancel.Load(), returned.Load(); s != jobs || c != jobs || r != jobs {
		t.Errorf("solves started %d, saw cancellation %d, returned before Run did %d; want %d each", s, c, r, jobs)
	}
	want := map[string]verdict{}
	for _, n := range plan.Nodes {
		want[n.Name] = verdict{Status: StatusCancelled, Reason: "interrupted"}
	}
	got := verdicts(report)
	for name, v := range got {
		v.Attempts = 0 // which four got a slot is up to the scheduler
		got[name] = v
	}
	if diff := cmp.Diff(want, got); diff != "" {
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

func TestRunDeadline(t *testing.T) {
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
