package config

import (
	"path/filepath"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/orch-build/orch/internal/diagtest"
)

// TestValidFiles loads every file of testdata/valid and expects no error.
func TestValidFiles(t *testing.T) {
	files, _ := filepath.Glob("testdata/valid/*.hcl")
	jsonFiles, _ := filepath.Glob("testdata/valid/*.json")
	files = append(files, jsonFiles...)
	if len(files) == 0 {
		t.Fatal("no files in testdata/valid")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			_, diags := Load(Options{Files: []string{filepath.Base(f)}, WorkDir: "testdata/valid"})
			for _, d := range diags {
				if d.Severity == hcl.DiagError {
					t.Errorf("unexpected error: %s", d.Error())
				}
			}
		})
	}
}

// TestInvalidFiles loads every file of testdata/invalid and expects exactly
// the errors its "# ERROR: <Summary>" markers announce, on their lines.
func TestInvalidFiles(t *testing.T) {
	diagtest.Run(t, "testdata/invalid", func(t *testing.T, name string) hcl.Diagnostics {
		_, diags := Load(Options{Files: []string{name}, WorkDir: "testdata/invalid"})
		return diags
	})
}

// printAll is what print shows when every target is selected. It stands in
// for the planner's selection (graph.PrintSet), which config's own tests
// cannot import, where a test needs every target printed.
func printAll(cfg *Config) PrintSet {
	names := sortedKeys(cfg.Targets)
	return PrintSet{Names: names, Targets: names}
}
