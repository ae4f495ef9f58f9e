package config

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
)

// TestIncludeTree checks a tree of three files: the root includes a glob
// of service files, one of which includes a shared bake file. Each file's
// paths are relative to itself and the files are read depth first.
func TestIncludeTree(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"orch.hcl": `
include "services/*/orch.hcl" {}
group "default" { targets = ["api", "web"] }
`,
		"services/api/orch.hcl": `
include "../../shared/docker-bake.hcl" {}
target "api" {
  inherits = ["_base"]
  contexts = { base = "target:base" }
}
`,
		"services/web/orch.hcl": `
target "web" { context = "src" }
`,
		"shared/docker-bake.hcl": `
target "_base" { args = { V = "1" } }
target "base" {}
`,
	})
	cfg := mustLoad(t, Options{WorkDir: dir})
	wantFiles := []string{"orch.hcl", "services/api/orch.hcl", "shared/docker-bake.hcl", "services/web/orch.hcl"}
	if diff := cmp.Diff(wantFiles, cfg.Files); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	tests := []struct {
		name, got, want string
	}{
		{"included target's default context", *cfg.Targets["api"].Context, filepath.Join(dir, "services/api")},
		{"included target's context", *cfg.Targets["web"].Context, filepath.Join(dir, "services/web/src")},
		{"nested include's target", *cfg.Targets["base"].Context, filepath.Join(dir, "shared")},
		{"inherited across includes", *cfg.Targets["api"].Args["V"], "1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
	if got := cfg.Groups["default"].Targets; !cmp.Equal(got, []string{"api", "web"}) {
		t.Errorf("default group %v", got)
	}
}

// TestIncludeJSON checks include blocks in an orch.json file.
func TestIncludeJSON(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"orch.json":       `{"include": {"app.orch.hcl": {}}, "target": {"web": {}}}`,
		"app.orch.hcl":    `target "app" {}`,
		"docker-bake.hcl": `target "unread" {}`,
	})
	cfg, diags := Load(Options{WorkDir: dir, Files: []string{"orch.json"}})
	if len(diags) > 0 {
		t.Fatalf("diagnostics: %s", diags.Error())
	}
	if cfg.Targets["app"] == nil || cfg.Targets["web"] == nil || cfg.Targets["unread"] != nil {
		t.Errorf("targets %v", sortedKeys(cfg.Targets))
	}
}

// TestIncludeOnce checks that a file reached twice, through two includes
// and with -f, is read once, at its first place.
func TestIncludeOnce(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"orch.hcl":        `include "a.orch.hcl" {}` + "\n" + `include "*.orch.hcl" {}`,
		"a.orch.hcl":      `include "b.orch.hcl" {}` + "\n" + `target "a" { tags = ["a"] }`,
		"b.orch.hcl":      `target "b" { tags = ["b"] }`,
		"c.orch.hcl":      `target "c" {}`,
		"docker-bake.hcl": `target "d" {}`,
	})
	cfg := mustLoad(t, Options{WorkDir: dir, Files: []string{"orch.hcl", "c.orch.hcl"}})
	want := []string{"orch.hcl", "a.orch.hcl", "b.orch.hcl", "c.orch.hcl"}
	if diff := cmp.Diff(want, cfg.Files); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	if got := cfg.Targets["a"].Tags; !cmp.Equal(got, []string{"a"}) {
		t.Errorf("tags of a %v: the file was read twice", got)
	}
}

// TestIncludeProblems shows what a user sees for a bad include.
func TestIncludeProblems(t *testing.T) {
	tests := []struct {
		name     string
		files    map[string]string
		severity hcl.DiagnosticSeverity
		summary  string
		detail   string
		line     int
	}{
		{
			name: "cycle",
			files: map[string]string{
				"orch.hcl":   `include "a.orch.hcl" {}`,
				"a.orch.hcl": "target \"a\" {}\ninclude \"b.orch.hcl\" {}",
				"b.orch.hcl": `include "a.orch.hcl" {}`,
			},
			severity: hcl.DiagError, summary: "Include cycle", line: 1,
			detail: "a.orch.hcl includes itself: a.orch.hcl → b.orch.hcl → a.orch.hcl.",
		},
		{
			name:     "file includes itself",
			files:    map[string]string{"orch.hcl": "\ninclude \"orch.hcl\" {}"},
			severity: hcl.DiagError, summary: "Include cycle", line: 2,
			detail: "orch.hcl includes itself: orch.hcl → orch.hcl.",
		},
		{
			name:     "missing file",
			files:    map[string]string{"orch.hcl": `include "nope.hcl" {}`},
			severity: hcl.DiagError, summary: "Cannot read included file", line: 1,
			detail: "Fix the path of the include block (relative to the including file), or create the file.",
		},
		{
			name:     "glob matching nothing",
			files:    map[string]string{"orch.hcl": `include "services/*/orch.hcl" {}`},
			severity: hcl.DiagWarning, summary: "Include matches nothing", line: 1,
			detail: `No file matches "services/*/orch.hcl"`,
		},
		{
			name:     "bad glob",
			files:    map[string]string{"orch.hcl": `include "[x" {}`},
			severity: hcl.DiagError, summary: "Invalid include", line: 1,
			detail: `"[x" is not a valid glob`,
		},
		{
			name:     "attribute in an include block",
			files:    map[string]string{"orch.hcl": "include \"a.orch.hcl\" {\n  optional = true\n}", "a.orch.hcl": ""},
			severity: hcl.DiagError, summary: "Unsupported argument", line: 2,
		},
		{
			name:     "include in a bake file is ignored, as bake ignores it",
			files:    map[string]string{"docker-bake.hcl": "target \"app\" {}\ninclude \"other.hcl\" {}", "other.hcl": `target "other" {}`},
			severity: hcl.DiagWarning, summary: "Unknown block type", line: 2,
			detail: "only orch files (orch.hcl, orch.json, NAME.orch.hcl, NAME.orch.json) include other files",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeFiles(t, tt.files)
			cfg, diags := Load(Options{WorkDir: dir})
			if len(diags) != 1 {
				t.Fatalf("want one diagnostic, got %d: %s", len(diags), diags.Error())
			}
			d := diags[0]
			if d.Severity != tt.severity || d.Summary != tt.summary || !strings.Contains(d.Detail, tt.detail) {
				t.Errorf("got %v %q: %s", d.Severity, d.Summary, d.Detail)
			}
			if d.Subject == nil || d.Subject.Start.Line != tt.line {
				t.Errorf("subject %v, want line %d", d.Subject, tt.line)
			}
			if tt.severity == hcl.DiagWarning && cfg.Targets["other"] != nil {
				t.Error("a bake file's include block was read")
			}
		})
	}
}
