package runner_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/orch-build/orch/graph"
	"github.com/orch-build/orch/runner"
)

// A command wires a run like this: options from flags, observers for the
// progress display, then the summary and report files from the Report,
// whatever the error.
func ExampleRun() {
	plan := &graph.Plan{Nodes: []*graph.Node{
		{Name: "base", Export: true},
		{Name: "app", Export: true, Deps: []graph.Edge{{Kind: graph.DataEdge, To: 0, Key: "base"}}},
		{Name: "docs", Export: true},
	}}
	solver := &runner.FakeSolver{SolveFunc: func(ctx context.Context, job runner.Job) (*runner.Result, error) {
		if job.Node.Name == "docs" {
			return nil, &runner.StepError{Step: "[docs 2/2] RUN mkdocs build", File: "docs/Dockerfile", Line: 4,
				LogTail: []string{"mkdocs: command not found"}, Err: errors.New("exit code: 127")}
		}
		return &runner.Result{Digest: "sha256:0123456789abcdef0123", Cached: 1, Total: 2,
			Destinations: []string{"oci:out/" + job.Node.Name}}, nil
	}}
	frozen := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	report, err := runner.Run(context.Background(), plan, solver, runner.Options{
		Jobs:      0, // --jobs; 0 is runner.DefaultJobs()
		KeepGoing: true,
		Retries:   2,
		Observer:  runner.Observers( /* progress display, */ ),
		Now:       func() time.Time { return frozen }, // only so this example's output is fixed
	})
	if report != nil {
		report.WriteSummary(os.Stdout)
		// runner.WriteFile(reportPath, report.WriteJSON), likewise WriteJUnit and WriteMetadata.
	}
	switch {
	case errors.Is(err, runner.ErrInterrupted):
		fmt.Println("exit 130")
	case errors.Is(err, runner.ErrFailed):
		fmt.Println("exit 1:", err)
	case err != nil:
		fmt.Println("exit 2:", err)
	}
	// Output:
	// TARGET  STATUS  DURATION  CACHED  DIGEST               DESTINATIONS  NOTE
	// base    built   0s        1/2     sha256:0123456789ab  oci:out/base
	// app     built   0s        1/2     sha256:0123456789ab  oci:out/app
	// docs    failed  0s        -       -                    -
	//
	// 3 targets: 2 built, 1 failed in 0s
	//
	// failed: docs
	//   step:   [docs 2/2] RUN mkdocs build
	//   at:     docs/Dockerfile:4
	//   error:  exit code: 127
	//   output:
	//     > mkdocs: command not found
	// exit 1: build failed: 1 target failed (docs)
}
