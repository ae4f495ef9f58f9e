package config

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"

	"github.com/orch-build/orch/internal/diagtest"
)

// TestValidFiles loads every file of testdata/valid and expects no error.
func TestValidFiles(t *testing.T) {
	files, _ := filepath.Glob("testdata/valid/*")
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
	files, _ := filepath.Glob("testdata/invalid/*.hcl")
	if len(files) == 0 {
		t.Fatal("no files in testdata/invalid")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			want := diagtest.Markers(src)
			if len(want) == 0 {
				t.Fatal("file has no # ERROR: marker")
			}
			_, diags := Load(Options{Files: []string{filepath.Base(f)}, WorkDir: "testdata/invalid"})
			got := diagtest.Errors(diags)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("errors (-want +got):\n%s\nall diagnostics:\n%s", diff, diags.Error())
			}
		})
	}
}

// printAll is what print shows when every target is selected. It stands in
// for the planner's selection (graph.PrintSet), which config's own tests
// cannot import, where a test needs every target printed.
func printAll(cfg *Config) PrintSet {
	names := sortedKeys(cfg.Targets)
	return PrintSet{Names: names, Targets: names}
}
