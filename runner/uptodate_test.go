package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/orch-build/orch/graph"
)

// fresh marks the named nodes of plan up to date, each holding the digest
// "sha256:" + its name repeated and one destination "oci:out/NAME".
func fresh(plan *graph.Plan, names ...string) {
	for _, name := range names {
		n := plan.Node(name)
		n.Freshness = &graph.Freshness{
			Fingerprint:  "sha256:fp-" + name,
			UpToDate:     true,
			Digest:       "sha256:" + name,
			Destinations: []string{"oci:out/" + name},
			Metadata:     map[string]any{"containerimage.digest": "sha256:" + name, "image.name": name},
		}
	}
}

// solveLog is a Solver that records every job it is given and fails the
// nodes named in fail.
type solveLog struct {
	mu   sync.Mutex
	jobs map[string]Job
	fail map[string]bool
}

func (s *solveLog) Solve(_ context.Context, job Job) (*Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.jobs == nil {
		s.jobs = map[string]Job{}
	}
	s.jobs[job.Node.Name] = job
	if s.fail[job.Node.Name] {
		return nil, &StepError{Step: "RUN false", Err: errors.New("exit code: 1")}
	}
	return &Result{Digest: "sha256:new-" + job.Node.Name, Destinations: []string{"oci:out/" + job.Node.Name}, Cached: 1, Total: 2}, nil
}

// solvedUpToDate lists, for every solved node, whether its job said up to
// date.
func (s *solveLog) solvedUpToDate() map[string]bool {
	out := map[string]bool{}
	for name, j := range s.jobs {
		out[name] = j.UpToDate
	}
	return out
}

// TestRunUpToDate: nodes marked up to date are not solved unless a node
// that is solved takes their result through a data edge; then they are
// solved with Job.UpToDate and still end up-to-date, with the result their
// destinations hold. Order edges pull nothing in.
func TestRunUpToDate(t *testing.T) {
	specs := []string{"base", "lib: base", "svc1: lib", "svc2: lib", "tool", "e2e: @tool"}
	for _, tc := range []struct {
		name    string
		fresh   []string
		fail    []string
		solved  map[string]bool // node → Job.UpToDate
		want    map[string]verdict
		wantErr bool
	}{
		{
			name:   "nothing changed",
			fresh:  []string{"base", "lib", "svc1", "svc2", "tool", "e2e"},
			solved: map[string]bool{},
			want: map[string]verdict{
				"base": {Status: StatusUpToDate}, "lib": {Status: StatusUpToDate}, "svc1": {Status: StatusUpToDate},
				"svc2": {Status: StatusUpToDate}, "tool": {Status: StatusUpToDate}, "e2e": {Status: StatusUpToDate},
			},
		},
		{
			name:   "one leaf changed",
			fresh:  []string{"base", "lib", "svc2", "tool", "e2e"},
			solved: map[string]bool{"base": true, "lib": true, "svc1": false},
			want: map[string]verdict{
				"base": {Status: StatusUpToDate, Attempts: 1}, "lib": {Status: StatusUpToDate, Attempts: 1},
				"svc1": {Status: StatusBuilt, Attempts: 1}, "svc2": {Status: StatusUpToDate},
				"tool": {Status: StatusUpToDate}, "e2e": {Status: StatusUpToDate},
			},
		},
		{
			name:   "an order parent changed",
			fresh:  []string{"base", "lib", "svc1", "svc2", "e2e"},
			solved: map[string]bool{"tool": false},
			want: map[string]verdict{
				"base": {Status: StatusUpToDate}, "lib": {Status: StatusUpToDate}, "svc1": {Status: StatusUpToDate},
				"svc2": {Status: StatusUpToDate}, "tool": {Status: StatusBuilt, Attempts: 1}, "e2e": {Status: StatusUpToDate},
			},
		},
		{
			name:    "an up-to-date parent fails to solve for its child",
			fresh:   []string{"base", "lib", "svc2", "tool", "e2e"},
			fail:    []string{"lib"},
			solved:  map[string]bool{"base": true, "lib": true},
			wantErr: true,
			want: map[string]verdict{
				"base": {Status: StatusUpToDate, Attempts: 1}, "lib": {Status: StatusFailed, Attempts: 1},
				"svc1": {Status: StatusSkipped, Reason: "dependency lib failed", BlockedBy: "lib"}, "svc2": {Status: StatusUpToDate},
				"tool": {Status: StatusUpToDate}, "e2e": {Status: StatusUpToDate},
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan := newPlan(t, specs...)
			fresh(plan, tc.fresh...)
			s := &solveLog{fail: map[string]bool{}}
			for _, n := range tc.fail {
				s.fail[n] = true
			}
			report, err := runWithin(t, 10*time.Second, context.Background(), plan, s, Options{KeepGoing: true})
			if (err != nil) != tc.wantErr {
				t.Fatalf("Run: %v, want an error: %v", err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.solved, s.solvedUpToDate()); diff != "" {
				t.Errorf("solves (node → Job.UpToDate) (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.want, verdicts(report)); diff != "" {
				t.Errorf("verdicts (-want +got):\n%s", diff)
			}
			for _, o := range report.Outcomes {
				if o.Status != StatusUpToDate {
					continue
				}
				want := "sha256:" + o.Name
				if o.Result == nil || o.Result.Digest != want || len(o.Result.Destinations) != 1 || o.Result.Metadata["image.name"] != o.Name {
					t.Errorf("%s: result %+v, want what its destinations hold (digest %s)", o.Name, o.Result, want)
				}
			}
		})
	}
}

// TestRunUpToDateResultKeepsTheHandle: an up-to-date node solved for its
// child hands the solve's Handle on and has its Release called, while its
// report shows what its destinations hold.
func TestRunUpToDateResultKeepsTheHandle(t *testing.T) {
	plan := newPlan(t, "lib", "svc: lib")
	fresh(plan, "lib")
	released := make(chan struct{})
	var handed any
	s := &FakeSolver{SolveFunc: func(_ context.Context, job Job) (*Result, error) {
		if job.Node.Name == "lib" {
			return &Result{Handle: "lib-state", Release: func() { close(released) }, Cached: 2, Total: 2}, nil
		}
		handed = job.Inputs["lib"].Handle
		return &Result{}, nil
	}}
	report, err := runWithin(t, 10*time.Second, context.Background(), plan, s, Options{})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-released:
	default:
		t.Error("the up-to-date parent's Release was not called")
	}
	if handed != "lib-state" {
		t.Errorf("the child got handle %v, want the parent's solve's", handed)
	}
	lib := report.Outcomes[0]
	if lib.Status != StatusUpToDate || lib.Result.Digest != "sha256:lib" || lib.Result.Total != 2 {
		t.Errorf("lib: %s with %+v, want up-to-date with the held digest and the solve's steps", lib.Status, lib.Result)
	}
}

// TestUpToDateInReports: the summary counts and explains up-to-date
// targets, the metadata file keeps their digest, JUnit skips them by
// design and the JSON report counts them.
func TestUpToDateInReports(t *testing.T) {
	plan := newPlan(t, "lib", "svc: lib", "docs")
	fresh(plan, "lib", "docs")
	report, err := runWithin(t, 10*time.Second, context.Background(), plan, &solveLog{}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var summary, junit, meta, js bytes.Buffer
	for _, w := range []error{report.WriteSummary(&summary), report.WriteJUnit(&junit), report.WriteMetadata(&meta), report.WriteJSON(&js)} {
		if w != nil {
			t.Fatal(w)
		}
	}
	if !strings.Contains(summary.String(), "3 targets: 1 built, 2 up-to-date in") || !strings.Contains(summary.String(), "solved for its dependents, outputs not written") {
		t.Errorf("summary:\n%s", &summary)
	}
	var m map[string]map[string]any
	if err := json.Unmarshal(meta.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	if m["docs"]["containerimage.digest"] != "sha256:docs" || m["lib"]["containerimage.digest"] != "sha256:lib" || m["svc"]["containerimage.digest"] != "sha256:new-svc" {
		t.Errorf("metadata file: %v", m)
	}
	if !strings.Contains(junit.String(), `skipped="2"`) || strings.Count(junit.String(), `type="up-to-date"`) != 2 || strings.Contains(junit.String(), "<failure") {
		t.Errorf("junit:\n%s", &junit)
	}
	var doc struct {
		Status string
		Counts map[string]int
	}
	if err := json.Unmarshal(js.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Status != "succeeded" || doc.Counts["up_to_date"] != 2 || doc.Counts["built"] != 1 {
		t.Errorf("report: status %s, counts %v", doc.Status, doc.Counts)
	}
}
