package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestPlanGraphExitCodes checks the exit codes of plan and graph, which
// the scripts in testdata only see as zero or not.
func TestPlanGraphExitCodes(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "orch.hcl")
	src := `
target "app" {}
target "a" { depends_on = ["b"] }
target "b" { depends_on = ["a"] }
`
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM scratch\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"plan ok", []string{"plan", "-f", file, "app"}, exitOK},
		{"plan json ok", []string{"plan", "-f", file, "--format", "json", "app"}, exitOK},
		{"graph ok", []string{"graph", "-f", file, "--format", "mermaid", "app"}, exitOK},
		{"unknown target", []string{"plan", "-f", file, "ap"}, exitUsage},
		{"cycle", []string{"graph", "-f", file, "a"}, exitUsage},
		{"nothing to build", []string{"plan", "-f", file}, exitUsage},
		{"bad plan format", []string{"plan", "--format", "dot", "-f", file, "app"}, exitUsage},
		{"bad graph format", []string{"graph", "--format", "table", "-f", file, "app"}, exitUsage},
		{"missing file", []string{"plan", "-f", filepath.Join(dir, "missing.hcl"), "app"}, exitUsage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if got := run(append([]string{"orch"}, tt.args...), &stdout, &stderr); got != tt.want {
				t.Errorf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", got, tt.want, &stdout, &stderr)
			}
			if tt.want != exitOK && stdout.Len() > 0 {
				t.Errorf("failed run wrote to stdout:\n%s", &stdout)
			}
		})
	}
}
