package report

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/orch-build/orch/graph"
	"github.com/orch-build/orch/runner"
)

// largeReport runs n targets with the real runner and a fake solver: a
// third of them build on an earlier one, some wait for another, every
// fiftieth fails (skipping what depends on it), each has eight steps, two
// of them in parallel.
func largeReport(tb testing.TB, n int) *runner.Report {
	tb.Helper()
	plan := &graph.Plan{}
	for i := range n {
		node := &graph.Node{Name: fmt.Sprintf("service-%04d", i), Export: true}
		if i > 0 && i%3 == 0 {
			node.Deps = append(node.Deps, graph.Edge{Kind: graph.DataEdge, To: i / 2, Key: "base"})
		}
		if i > 1 && i%7 == 0 && i-1 != i/2 {
			node.Deps = append(node.Deps, graph.Edge{Kind: graph.OrderEdge, To: i - 1})
		}
		if len(node.Deps) == 2 && node.Deps[1].To < node.Deps[0].To {
			node.Deps[0], node.Deps[1] = node.Deps[1], node.Deps[0]
		}
		plan.Nodes = append(plan.Nodes, node)
	}
	c := &clock{now: time.Date(2025, 3, 1, 2, 0, 0, 0, time.UTC)}
	solver := &runner.FakeSolver{SolveFunc: func(ctx context.Context, job runner.Job) (*runner.Result, error) {
		start := c.Now()
		var steps []runner.Step
		for k := range 8 {
			s := start.Add(time.Duration(k*40) * time.Millisecond)
			steps = append(steps, runner.Step{Name: fmt.Sprintf("[%s %d/8] RUN make step-%d", job.Node.Name, k+1, k), Started: s, Completed: s.Add(60 * time.Millisecond), Cached: k < 3})
		}
		job.RecordSteps(steps)
		c.Advance(400 * time.Millisecond)
		if strings.HasSuffix(job.Node.Name, "50") || strings.HasSuffix(job.Node.Name, "00") && job.Node.Name != "service-0000" {
			return nil, &runner.StepError{Step: "[" + job.Node.Name + " 8/8] RUN make", File: "Dockerfile", Line: 12, LogTail: []string{"error: boom"}, Err: errors.New("exit code: 1")}
		}
		job.StartPhase(runner.PhaseExport)
		c.Advance(50 * time.Millisecond)
		job.StartPhase(runner.PhasePush)
		c.Advance(50 * time.Millisecond)
		return &runner.Result{Digest: "sha256:" + strings.Repeat("ab", 32), Cached: 3, Total: 8}, nil
	}}
	rep, _ := runner.Run(context.Background(), plan, solver, runner.Options{Jobs: 32, KeepGoing: true, Now: c.Now, Sleep: c.Sleep, LogDir: tb.TempDir()})
	return rep
}

// TestHTMLThousandTargets: the page of a 1,000-target run loads in
// Chromium with every target in its timeline, graph and table. It logs
// the file's size and how long the page took to parse, run and lay out
// by its own clock (performance.now() at load, after a forced layout).
func TestHTMLThousandTargets(t *testing.T) {
	rep := largeReport(t, 1000)
	var page bytes.Buffer
	if err := WriteHTML(&page, rep, HTMLOptions{}); err != nil {
		t.Fatal(err)
	}
	var trace bytes.Buffer
	if err := WriteTrace(&trace, rep); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "report.html")
	if err := os.WriteFile(file, page.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("1,000 targets: HTML %d bytes, trace %d bytes", page.Len(), trace.Len())
	start := time.Now()
	checkPage(t, file, rep)
	t.Logf("chromium --dump-dom of the page took %s in all (browser start included)", time.Since(start).Round(time.Millisecond))
}

// BenchmarkWriteHTML1000 holds the time and memory of rendering the
// page of a 1,000-target run.
func BenchmarkWriteHTML1000(b *testing.B) {
	rep := largeReport(b, 1000)
	b.ReportAllocs()
	var size int
	for b.Loop() {
		var buf bytes.Buffer
		if err := WriteHTML(&buf, rep, HTMLOptions{}); err != nil {
			b.Fatal(err)
		}
		size = buf.Len()
	}
	b.ReportMetric(float64(size), "bytes/page")
}

// BenchmarkWriteTrace1000 is the same for the trace file.
func BenchmarkWriteTrace1000(b *testing.B) {
	rep := largeReport(b, 1000)
	b.ReportAllocs()
	for b.Loop() {
		if err := WriteTrace(&bytes.Buffer{}, rep); err != nil {
			b.Fatal(err)
		}
	}
}
