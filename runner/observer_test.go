package runner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestRunEvents(t *testing.T) {
	clock := newFakeClock()
	solver := &FakeSolver{SolveFunc: func(ctx context.Context, job Job) (*Result, error) {
		clock.Advance(time.Second)
		if job.Node.Name == "a" && job.Attempt == 1 {
			return nil, Transient(errors.New("503"))
		}
		if job.Node.Name == "b" {
			return nil, errors.New("syntax error")
		}
		return &Result{Cached: 1, Total: 1}, nil
	}}
	var got []string
	var line bytes.Buffer
	obs := Observers(nil, ObserverFunc(func(e Event) {
		s := fmt.Sprintf("%s %s", e.Name, e.Kind)
		switch e.Kind {
		case AttemptStarted, AttemptFinished:
			s += fmt.Sprintf(" #%d err=%q retry=%s", e.Attempt.Number, errText(e.Attempt.Err), e.Attempt.RetryAfter)
		case NodeFinished:
			s += " " + string(e.Outcome.Status)
		}
		got = append(got, s)
	}), NewLineObserver(&line))
	// One job and a chain keep the event order deterministic.
	plan := newPlan(t, "a", "b: @a", "c: b")
	_, err := Run(context.Background(), plan, solver, Options{Jobs: 1, Retries: 1, Observer: obs, Now: clock.Now, Sleep: clock.Sleep})
	if !errors.Is(err, ErrFailed) {
		t.Fatalf("Run: %v", err)
	}
	want := []string{
		"a node-started",
		`a attempt-started #1 err="" retry=0s`,
		`a attempt-finished #1 err="503" retry=1s`,
		`a attempt-started #2 err="" retry=0s`,
		`a attempt-finished #2 err="" retry=0s`,
		"a node-finished cached",
		"b node-started",
		`b attempt-started #1 err="" retry=0s`,
		`b attempt-finished #1 err="syntax error" retry=0s`,
		"b node-finished failed",
		"c node-finished skipped",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	wantLines := "a: started\n" +
		"a: attempt 1 failed, retrying in 1s: 503\n" +
		"a: cached in 3s\n" +
		"b: started\n" +
		"b: failed after 1s: syntax error\n" +
		"c: skipped: dependency b failed\n"
	if diff := cmp.Diff(wantLines, line.String()); diff != "" {
		t.Errorf("line observer (-want +got):\n%s", diff)
	}
}

// TestRunOneFinishedEventPerNode checks the NodeFinished contract on a
// large random graph with failures.
func TestRunOneFinishedEventPerNode(t *testing.T) {
	plan := randomPlan(5, 200)
	counts := map[int]int{}
	obs := ObserverFunc(func(e Event) {
		if e.Kind == NodeFinished {
			counts[e.Index]++ // no lock: Run serialises observer calls
		}
	})
	solver := &FakeSolver{SolveFunc: func(ctx context.Context, job Job) (*Result, error) {
		if len(job.Node.Name)%7 == 0 || job.Node.Name[len(job.Node.Name)-1] == '3' {
			return nil, errors.New("boom")
		}
		return &Result{}, nil
	}}
	for _, keepGoing := range []bool{false, true} {
		clear(counts)
		runWithin(t, 10*time.Second, context.Background(), plan, solver, Options{Jobs: 6, KeepGoing: keepGoing, Observer: obs})
		for i := range plan.Nodes {
			if counts[i] != 1 {
				t.Errorf("keepGoing=%v: node %d got %d NodeFinished events, want 1", keepGoing, i, counts[i])
			}
		}
	}
}

func TestEventKindString(t *testing.T) {
	if got := EventKind(42).String(); got != "EventKind(42)" {
		t.Errorf("String() = %q", got)
	}
}
