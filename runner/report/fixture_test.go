package report

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/orch-build/orch/graph"
	"github.com/orch-build/orch/runner"
)

// clock is a test clock that moves only when a solve says so.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func (c *clock) Sleep(ctx context.Context, d time.Duration) error {
	c.Advance(d)
	return ctx.Err()
}

// fixturePlan is base ← app (a link), flaky, broken ← web ← e2e (order
// edges), as graph.New would order them.
func fixturePlan() *graph.Plan {
	return &graph.Plan{Nodes: []*graph.Node{
		{Name: "base", Export: false},
		{Name: "app", Export: true, Deps: []graph.Edge{{Kind: graph.DataEdge, To: 0, Key: "base"}}},
		{Name: "flaky", Export: true},
		{Name: "broken", Export: true},
		{Name: "web", Export: true, Deps: []graph.Edge{{Kind: graph.DataEdge, To: 1, Key: "app"}, {Kind: graph.OrderEdge, To: 3}}},
		{Name: "e2e", Export: true, Deps: []graph.Edge{{Kind: graph.OrderEdge, To: 4}}},
	}}
}

// fixtureReport runs fixturePlan with the real runner and a fake solver:
// app runs two steps in parallel, flaky fails once with a transient error
// and is retried, broken fails at a Dockerfile line, web and e2e are
// skipped because of it, and every success goes through export and push.
func fixtureReport(t testing.TB) *runner.Report {
	t.Helper()
	c := &clock{now: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
	solver := &runner.FakeSolver{SolveFunc: func(ctx context.Context, job runner.Job) (*runner.Result, error) {
		name := job.Node.Name
		start := c.Now()
		at := func(ms int) time.Time { return start.Add(time.Duration(ms) * time.Millisecond) }
		switch {
		case name == "broken":
			job.RecordSteps([]runner.Step{
				{Name: "[broken 1/2] COPY . /src", Started: at(10), Completed: at(20), Cached: true},
				{Name: "[broken 2/2] RUN make", Started: at(30), Completed: at(700), Error: "exit code: 2"},
			})
			c.Advance(700 * time.Millisecond)
			return nil, &runner.StepError{
				Step: "[broken 2/2] RUN make", File: "broken/Dockerfile", Line: 7,
				// Build output is text, never markup.
				LogTail: []string{"cc -c main.c", `main.c:3:1: error: expected ';' </pre><img src="http://203.0.113.9/x.png">`},
				Err:     errors.New("exit code: 2"),
			}
		case name == "flaky" && job.Attempt == 1:
			c.Advance(200 * time.Millisecond)
			return nil, runner.Transient(errors.New("push registry.local/flaky: 503 Service Unavailable"))
		}
		steps := []runner.Step{{Name: "[" + name + " 1/2] COPY . /src", Started: at(5), Completed: at(100)}}
		if name == "app" {
			// Two stages at once: the second overlaps the first.
			steps = append(steps, runner.Step{Name: "[app stage-b 1/1] RUN make b", Started: at(50), Completed: at(400)})
		}
		steps = append(steps, runner.Step{Name: "exporting to image", Started: at(450), Completed: at(600)})
		c.Advance(400 * time.Millisecond)
		job.StartPhase(runner.PhaseExport)
		c.Advance(200 * time.Millisecond)
		job.StartPhase(runner.PhasePush)
		c.Advance(100 * time.Millisecond)
		job.RecordSteps(steps)
		return &runner.Result{Digest: "sha256:" + name, Cached: 1, Total: 3, Destinations: []string{"oci:out/" + name}}, nil
	}}
	rep, err := runner.Run(context.Background(), fixturePlan(), solver, runner.Options{
		Jobs: 2, KeepGoing: true, Retries: 1, RetryDelay: time.Second, Now: c.Now, Sleep: c.Sleep,
	})
	if !errors.Is(err, runner.ErrFailed) {
		t.Fatalf("fixture run: %v, want a failure", err)
	}
	return rep
}
