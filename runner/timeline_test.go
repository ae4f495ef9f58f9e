package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestRunRecordsTimeline: with a clock the solver moves, every time the
// views need lands in the outcome: when a node was ready, each attempt's
// queueing, the phases the solver marked and its steps, when the node
// finished, and which dependencies are links.
func TestRunRecordsTimeline(t *testing.T) {
	clock := newFakeClock()
	t0 := clock.Now()
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	var late Job
	solver := &FakeSolver{SolveFunc: func(ctx context.Context, job Job) (*Result, error) {
		clock.Advance(time.Second)
		switch {
		case job.Node.Name == "base" && job.Attempt == 1:
			job.RecordSteps([]Step{{Name: "[base 1/1] RUN make", Started: at(0.2), Completed: at(0.9), Error: "exit code: 1"}})
			return nil, Transient(errors.New("registry went away"))
		case job.Node.Name == "base":
			job.StartPhase(PhaseExport)
			job.StartPhase(PhaseExport) // a repeat changes nothing
			clock.Advance(time.Second)
			job.StartPhase(PhasePush)
			clock.Advance(time.Second)
			job.RecordSteps([]Step{{Name: "[base 1/1] RUN make", Started: at(2.1), Completed: at(3.1)}})
			late = job
		case job.Node.Name == "app":
			job.RecordSteps([]Step{{Name: "[app 1/1] COPY . /", Started: at(5.5), Completed: at(5.5), Cached: true}})
		}
		return &Result{Cached: 1, Total: 2}, nil
	}}
	plan := newPlan(t, "base", "app: base, @base", "docs: @app")
	rep, err := Run(context.Background(), plan, solver, Options{Jobs: 1, Retries: 1, RetryDelay: time.Second, Now: clock.Now, Sleep: clock.Sleep})
	if err != nil {
		t.Fatal(err)
	}
	// After Solve returned, a solver's calls are ignored.
	late.StartPhase(PhaseSolve)
	late.RecordSteps(nil)

	base, app, docs := rep.Outcomes[0], rep.Outcomes[1], rep.Outcomes[2]
	wantBase := []Attempt{
		{Number: 1, Queued: at(0), Started: at(0), Duration: time.Second,
			Steps: []Step{{Name: "[base 1/1] RUN make", Started: at(0.2), Completed: at(0.9), Error: "exit code: 1"}}},
		{Number: 2, Queued: at(2), Started: at(2), Duration: 3 * time.Second,
			Phases: []PhaseMark{{PhaseExport, at(3)}, {PhasePush, at(4)}},
			Steps:  []Step{{Name: "[base 1/1] RUN make", Started: at(2.1), Completed: at(3.1)}}},
	}
	opt := cmp.FilterPath(func(p cmp.Path) bool {
		return p.Last().String() == ".Err" || p.Last().String() == ".Transient" || p.Last().String() == ".RetryAfter"
	}, cmp.Ignore())
	if diff := cmp.Diff(wantBase, base.Attempts, opt); diff != "" {
		t.Errorf("base attempts (-want +got):\n%s", diff)
	}
	for _, c := range []struct {
		name            string
		got             Outcome
		ready, finished time.Time
		links           []string
	}{
		{"base", base, at(0), at(5), nil},
		{"app", app, at(5), at(6), []string{"base"}},
		{"docs", docs, at(6), at(7), nil},
	} {
		if !c.got.Ready.Equal(c.ready) || !c.got.Finished.Equal(c.finished) {
			t.Errorf("%s: ready %v finished %v, want %v and %v", c.name, c.got.Ready, c.got.Finished, c.ready, c.finished)
		}
		if diff := cmp.Diff(c.links, c.got.Links); diff != "" {
			t.Errorf("%s: links (-want +got):\n%s", c.name, diff)
		}
	}
	if q := app.Attempts[0].Queued; !q.Equal(at(5)) {
		t.Errorf("app queued at %v, want %v", q, at(5))
	}
}

// TestRunQueuedWaitsForSlot: an attempt that waits for a slot records
// the wait: Queued before Started. The bubble's clock moves only when
// every goroutine is blocked, so the second node is queued when the first
// one's solve sleeps.
func TestRunQueuedWaitsForSlot(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		solver := &FakeSolver{SolveFunc: func(ctx context.Context, job Job) (*Result, error) {
			time.Sleep(time.Second)
			return &Result{}, nil
		}}
		// Two independent nodes and one slot: one of them waits a second.
		rep, err := Run(context.Background(), newPlan(t, "a", "b"), solver, Options{Jobs: 1})
		if err != nil {
			t.Fatal(err)
		}
		var waited []time.Duration
		for _, o := range rep.Outcomes {
			a := o.Attempts[0]
			if !a.Queued.Equal(o.Ready) {
				t.Errorf("%s: first attempt queued at %v, ready at %v", o.Name, a.Queued, o.Ready)
			}
			waited = append(waited, a.Started.Sub(a.Queued))
		}
		slices.Sort(waited)
		if diff := cmp.Diff([]time.Duration{0, time.Second}, waited); diff != "" {
			t.Errorf("waits for a slot (-want +got):\n%s", diff)
		}
	})
}

// TestReadReportRoundTrip: a report read back from its JSON writes the
// same JSON, and keeps what the views read: statuses, links, timelines
// and the failed step's location.
func TestReadReportRoundTrip(t *testing.T) {
	rep := sampleReport()
	t0 := rep.Started
	rep.Outcomes[1].Links = []string{"base"}
	rep.Outcomes[1].Ready, rep.Outcomes[1].Finished = t0.Add(2100*time.Millisecond), t0.Add(3600*time.Millisecond)
	rep.Outcomes[1].Attempts[1].Queued = t0.Add(3350 * time.Millisecond)
	// Built on a pool: the attempt's node and placement come back too.
	rep.Outcomes[1].Attempts[1].Node = "bk1,bk2"
	rep.Outcomes[1].Attempts[1].Placement = []Placement{{Platform: "linux/amd64", Node: "bk1"}, {Platform: "linux/arm64", Node: "bk2"}}
	rep.Outcomes[1].Attempts[1].Phases = []PhaseMark{{PhaseExport, t0.Add(3400 * time.Millisecond)}, {PhasePush, t0.Add(3500 * time.Millisecond)}}
	rep.Outcomes[1].Attempts[1].Steps = []Step{
		{Name: "[api 1/2] FROM base", Started: t0.Add(3360 * time.Millisecond), Completed: t0.Add(3361 * time.Millisecond), Cached: true},
		{Name: "[api 2/2] RUN make", Started: t0.Add(3362 * time.Millisecond), Error: "cancelled"},
	}
	var first bytes.Buffer
	if err := rep.WriteJSON(&first); err != nil {
		t.Fatal(err)
	}
	// The new fields are in the schema: the document validates.
	var doc any
	if err := json.Unmarshal(first.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if problems := validate(t, loadSchema(t), doc); len(problems) > 0 {
		t.Errorf("the report does not match its schema: %q", problems)
	}
	back, err := ReadReport(bytes.NewReader(first.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	var second bytes.Buffer
	if err := back.WriteJSON(&second); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(first.String(), second.String()); diff != "" {
		t.Errorf("JSON after a round trip (-first +second):\n%s", diff)
	}
	worker := back.Outcomes[2]
	if step := worker.StepError(); step == nil || step.Location() != "worker/Dockerfile:7" || len(step.LogTail) != 3 {
		t.Errorf("worker's step error read back as %+v", step)
	}
	if worker.Err.Error() != rep.Outcomes[2].Err.Error() {
		t.Errorf("worker's error %q, want %q", worker.Err, rep.Outcomes[2].Err)
	}
	if back.Status() != rep.Status() || back.Count(StatusSkipped) != 2 {
		t.Errorf("status %s with %d skipped, want %s with 2", back.Status(), back.Count(StatusSkipped), rep.Status())
	}
}

func TestReadReportRejects(t *testing.T) {
	for _, tc := range []struct{ name, doc, want string }{
		{"not json", "nope", "read run report: invalid character"},
		{"later version", `{"version": 2}`, "read run report: version 2, this orch reads version 1"},
		{"unknown field", `{"version": 1, "colour": "red"}`, `read run report: json: unknown field "colour"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadReport(strings.NewReader(tc.doc))
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("error %v, want one starting %q", err, tc.want)
			}
		})
	}
}
