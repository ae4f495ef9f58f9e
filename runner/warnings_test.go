package runner

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestResultWarningsReachTheReport: the warnings a solver returns with a
// result become the report's warnings under the target's name, sorted,
// and the summary and the JSON report show them.
func TestResultWarningsReachTheReport(t *testing.T) {
	plan := newPlan(t, "base:", "app: base")
	solver := &FakeSolver{SolveFunc: func(_ context.Context, job Job) (*Result, error) {
		if job.Node.Name == "app" {
			return &Result{Warnings: []string{"Dockerfile: SecretsUsedInArgOrEnv: Do not use ARG or ENV instructions for sensitive data (ARG \"TOKEN\") (line 2)"}}, nil
		}
		return &Result{Warnings: []string{"b warning", "a warning"}}, nil
	}}
	rep, err := Run(context.Background(), plan, solver, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`target app: Dockerfile: SecretsUsedInArgOrEnv: Do not use ARG or ENV instructions for sensitive data (ARG "TOKEN") (line 2)`,
		"target base: a warning",
		"target base: b warning",
	}
	if diff := cmp.Diff(want, rep.Warnings); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	var summary, js bytes.Buffer
	if err := rep.WriteSummary(&summary); err != nil {
		t.Fatal(err)
	}
	if err := rep.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(summary.String(), "warning: "+want[0]) {
		t.Errorf("summary lacks the lint warning:\n%s", summary.String())
	}
	if !strings.Contains(js.String(), `SecretsUsedInArgOrEnv`) {
		t.Errorf("JSON report lacks the lint warning:\n%s", js.String())
	}
}
