package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseEquivalents(t *testing.T) {
	got, err := parseEquivalents("eq.txt", strings.NewReader(`# a comment

graph/plan.go:12:5 CONDITIONALS_BOUNDARY  the loop ends at len either way
  runner/run.go:7:30 ARITHMETIC_BASE x*1 and x/1 agree
`))
	if err != nil {
		t.Fatal(err)
	}
	want := map[mutant]string{
		{File: "graph/plan.go", Line: 12, Column: 5, Mutator: "CONDITIONALS_BOUNDARY"}: "the loop ends at len either way",
		{File: "runner/run.go", Line: 7, Column: 30, Mutator: "ARITHMETIC_BASE"}:       "x*1 and x/1 agree",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("equivalents (-want +got):\n%s", d)
	}
}

func TestParseEquivalentsErrors(t *testing.T) {
	for _, tc := range []struct {
		name, input, want string
	}{
		{"no reason", "graph/plan.go:12:5 CONDITIONALS_BOUNDARY\n", `eq.txt:1: "graph/plan.go:12:5 CONDITIONALS_BOUNDARY": want`},
		{"no column", "# c\ngraph/plan.go:12 CONDITIONALS_BOUNDARY why\n", `eq.txt:2: "graph/plan.go:12": want`},
		{"bad line", "graph/plan.go:x:5 CONDITIONALS_BOUNDARY why\n", `eq.txt:1: "graph/plan.go:x:5": line and column must be positive numbers`},
		{"zero column", "graph/plan.go:3:0 CONDITIONALS_BOUNDARY why\n", `eq.txt:1: "graph/plan.go:3:0": line and column must be positive numbers`},
		{"lower-case mutator", "graph/plan.go:1:2 conditionals_boundary why\n", `eq.txt:1: "conditionals_boundary": the mutator is written as gremlins prints it`},
		{"twice", "a/b.go:1:2 X one\na/b.go:1:2 X two\n", "eq.txt:2: a/b.go:1:2 X is listed twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseEquivalents("eq.txt", strings.NewReader(tc.input))
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("error = %v, want it to start with %q", err, tc.want)
			}
		})
	}
}

func TestReadEquivalentsMissingFile(t *testing.T) {
	got, err := readEquivalents(filepath.Join(t.TempDir(), "none.txt"))
	if err != nil || len(got) != 0 {
		t.Errorf("a missing file = %v, %v; want no equivalents and no error", got, err)
	}
}

func TestScorePackage(t *testing.T) {
	res := result{}
	res.Files = append(res.Files, struct {
		Name      string     `json:"file_name"`
		Mutations []mutation `json:"mutations"`
	}{Name: "plan.go", Mutations: []mutation{
		{Type: "CONDITIONALS_BOUNDARY", Status: "KILLED", Line: 1, Column: 1},
		{Type: "CONDITIONALS_BOUNDARY", Status: "KILLED", Line: 2, Column: 1},
		{Type: "CONDITIONALS_BOUNDARY", Status: "KILLED", Line: 3, Column: 1},
		{Type: "ARITHMETIC_BASE", Status: "LIVED", Line: 9, Column: 4},
		{Type: "CONDITIONALS_NEGATION", Status: "LIVED", Line: 5, Column: 2},
		{Type: "INVERT_NEGATIVES", Status: "NOT COVERED", Line: 6, Column: 1},
		{Type: "INVERT_NEGATIVES", Status: "TIMED OUT", Line: 7, Column: 1},
		{Type: "INVERT_NEGATIVES", Status: "NOT VIABLE", Line: 8, Column: 1},
	}})
	equivalent := mutant{File: "graph/plan.go", Line: 9, Column: 4, Mutator: "ARITHMETIC_BASE"}
	stale := mutant{File: "graph/plan.go", Line: 1, Column: 1, Mutator: "CONDITIONALS_BOUNDARY"} // killed now
	other := mutant{File: "runner/run.go", Line: 9, Column: 4, Mutator: "ARITHMETIC_BASE"}
	equiv := map[mutant]string{equivalent: "same result", stale: "was once", other: "another package's"}

	s := scorePackage("graph", res, equiv, time.Minute)
	want := score{
		Pkg: "graph", Killed: 3, Lived: 2, NotCovered: 1, TimedOut: 1, NotViable: 1,
		Survivors:  []mutant{{File: "graph/plan.go", Line: 5, Column: 2, Mutator: "CONDITIONALS_NEGATION"}},
		Equivalent: map[mutant]string{equivalent: "same result"},
		Stale:      []mutant{stale},
		Elapsed:    time.Minute,
	}
	if d := cmp.Diff(want, s); d != "" {
		t.Errorf("score (-want +got):\n%s", d)
	}
	// 3 killed of 3 killed + 1 survivor: the equivalent one is out.
	if got := s.Efficacy(); got != 75 {
		t.Errorf("efficacy = %v, want 75", got)
	}
}

func TestPasses(t *testing.T) {
	for _, tc := range []struct {
		killed, survivors int
		want              bool
	}{
		{9, 1, true},    // 90% exactly
		{89, 10, false}, // 89.9%
		{1, 0, true},
		{0, 0, false}, // nothing covered is not a pass
	} {
		s := score{Killed: tc.killed, Survivors: make([]mutant, tc.survivors)}
		if got := s.passes(90); got != tc.want {
			t.Errorf("%d killed, %d lived: passes = %v, want %v (efficacy %.2f)", tc.killed, tc.survivors, got, tc.want, s.Efficacy())
		}
	}
}

func TestKeepInCopy(t *testing.T) {
	for _, tc := range []struct {
		rel  string
		want bool
	}{
		{"graph/plan.go", true},
		{"graph/plan_test.go", true},
		{"graph/testdata/x.hcl", true},
		{"runner/run_test.go", false},
		{"runner/buildkit/bed_test.go", false},
		{"graph/sub/sub_test.go", false},
		{"go.mod", true},
		{"examples/monorepo/orch.hcl", true},
	} {
		if got := keepInCopy(tc.rel, "graph"); got != tc.want {
			t.Errorf("keepInCopy(%q, graph) = %v, want %v", tc.rel, got, tc.want)
		}
	}
}

// fakeGremlins stands in for gremlins: it records how it was called and
// what tree it ran in, then writes the report the test put next to it for
// the package it was given.
const fakeGremlins = `#!/bin/sh
echo "$@" > "$LOG/args"
pwd > "$LOG/cwd"
echo "CI=$CI BIN=$ORCH_TESTBED_BIN" > "$LOG/env"
find . -type f | sort > "$LOG/tree"
out=
while [ $# -gt 0 ]; do
	case "$1" in
	--output) out=$2; shift 2; continue;;
	esac
	pkg=$1
	shift
done
echo "unleashing $pkg"
cp "$LOG/report-$pkg.json" "$out"
`

// TestRun runs mutate end to end on a small module with a fake gremlins:
// the copy it hands gremlins, the environment, the verdicts and the exit
// code.
func TestRun(t *testing.T) {
	mod := t.TempDir()
	logDir := t.TempDir()
	files := map[string]string{
		"go.mod":          "module example.com/m\n\ngo 1.26\n",
		".gitignore":      "ignored.txt\n",
		"ignored.txt":     "left out",
		"a/a.go":          "package a\n",
		"a/a_test.go":     "package a\n",
		"a/sub/s_test.go": "package sub\n",
		"b/b.go":          "package b\n",
		"b/b_test.go":     "package b\n",
		"eq.txt":          "a/a.go:3:1 ARITHMETIC_BASE x+0 and x-0 agree\n",
		"bin/gremlins":    fakeGremlins,
	}
	for name, content := range files {
		p := filepath.Join(mod, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := exec.Command("git", "-C", mod, "init", "-q").CombinedOutput(); err != nil {
		t.Fatalf("git init: %v\n%s", err, out)
	}
	// a: 9 killed, one lived but equivalent, one survivor: 90%. b: 1 of 2.
	reports := map[string]string{
		"a": `{"files":[{"file_name":"a.go","mutations":[` + strings.Repeat(`{"type":"CONDITIONALS_BOUNDARY","status":"KILLED","line":1,"column":1},`, 9) +
			`{"type":"ARITHMETIC_BASE","status":"LIVED","line":3,"column":1},{"type":"CONDITIONALS_NEGATION","status":"LIVED","line":4,"column":2}]}]}`,
		"b": `{"files":[{"file_name":"b.go","mutations":[{"type":"CONDITIONALS_BOUNDARY","status":"KILLED","line":1,"column":1},{"type":"CONDITIONALS_BOUNDARY","status":"LIVED","line":2,"column":7}]}]}`,
	}
	for pkg, raw := range reports {
		if err := os.WriteFile(filepath.Join(logDir, "report-"+pkg+".json"), []byte(raw), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("LOG", logDir)
	t.Chdir(mod)

	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"-equivalent", "eq.txt", "a", "missing", "--", "--workers", "1"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	read := func(name string) string {
		raw, err := os.ReadFile(filepath.Join(logDir, name))
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(raw))
	}
	args := read("args")
	if !strings.HasPrefix(args, "unleash --output ") || !strings.HasSuffix(args, " --exclude-files / --workers 1 a") {
		t.Errorf("gremlins args = %q", args)
	}
	if cwd := read("cwd"); cwd == mod || !strings.HasSuffix(cwd, "/tree") {
		t.Errorf("gremlins ran in %s, want a copy of the tree", cwd)
	}
	if env := read("env"); env != "CI=true BIN="+filepath.Join(mod, "bin") {
		t.Errorf("gremlins env = %q", env)
	}
	// The tests of a only, every source file, nothing ignored.
	wantTree := "./.gitignore\n./a/a.go\n./a/a_test.go\n./b/b.go\n./bin/gremlins\n./eq.txt\n./go.mod"
	if tree := read("tree"); tree != wantTree {
		t.Errorf("the copy holds\n%s\nwant\n%s", tree, wantTree)
	}
	out := stdout.String()
	for _, want := range []string{
		"mutate: missing: no Go package there yet, skipped",
		"unleashing a",
		"mutate: a: efficacy 90.0% (ok) — killed 9, lived 2 (1 equivalent), not covered 0, timed out 0, not viable 0;",
		"  lived       a/a.go:4:2 CONDITIONALS_NEGATION\n",
		"  equivalent  a/a.go:3:1 ARITHMETIC_BASE: x+0 and x-0 agree\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	stdout.Reset()
	if code := run(context.Background(), []string{"-equivalent", "eq.txt", "b"}, &stdout, &stderr); code != 1 {
		t.Errorf("b at 50%%: exit %d, want 1\n%s", code, stdout.String())
	}
	if out := stdout.String(); !strings.Contains(out, "mutate: b: efficacy 50.0% (FAIL: below 90%)") {
		t.Errorf("output lacks b's failure:\n%s", out)
	}
	// a's equivalent entry is not b's business.
	if strings.Contains(stdout.String(), "stale entry") {
		t.Errorf("a's equivalent entry is called stale in b's run:\n%s", stdout.String())
	}
}
