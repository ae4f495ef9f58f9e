package graph

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"

	"github.com/orch-build/orch/config"
	"github.com/orch-build/orch/internal/diagtest"
)

// TestInvalidFiles loads every file of testdata/invalid, which config
// accepts, and plans all its targets: the planner must report exactly the
// errors the "# ERROR: <Summary>" markers announce, on their lines. print
// (PrintSet) must report the very same diagnostics as plan and build
// (New): one checker, one message and one line for each problem.
func TestInvalidFiles(t *testing.T) {
	diagtest.Run(t, "testdata/invalid", func(t *testing.T, name string) hcl.Diagnostics {
		cfg, diags := config.Load(config.Options{Files: []string{name}, WorkDir: "testdata/invalid"})
		if diags.HasErrors() {
			t.Fatalf("config rejects the file, so the planner never sees it: %s", diags.Error())
		}
		_, planErr := New(cfg, []string{AllName})
		_, printErr := PrintSet(cfg, []string{AllName})
		planDiags, printDiags := Diagnostics(planErr), Diagnostics(printErr)
		if diff := cmp.Diff(renderDiags(planDiags), renderDiags(printDiags)); diff != "" {
			t.Errorf("print and plan report differently (-plan +print):\n%s", diff)
		}
		return planDiags
	})
}

// renderDiags shows every part of the diagnostics a user sees.
func renderDiags(diags hcl.Diagnostics) []string {
	var out []string
	for _, d := range diags {
		where := "-"
		if d.Subject != nil {
			where = d.Subject.String()
		}
		out = append(out, fmt.Sprintf("%s %s: %s", where, d.Summary, d.Detail))
	}
	return out
}
