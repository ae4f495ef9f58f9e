package bakediff

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fakeBake is a package shaped like buildx's bake: a File type in a
// non-test file, and tests written in the styles bake's tests use.
const fakeBakeTypes = `package bake

type File struct {
	Name string
	Data []byte
}

type ParseOpt struct {
	FileRelativePaths bool
}
`

const fakeBakeTests = "package bake\n\n" +
	`import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

const header = "# shared\n"

func TestSimple(t *testing.T) {
	fp := File{
		Name: "docker-bake.hcl",
		Data: []byte(header + ` + "`target \"app\" {}`" + `),
	}
	ReadTargets(context.TODO(), []File{fp}, []string{"app"}, []string{"app.tags=x"}, nil, map[string]string{"B": "2", "A": "1"}, &EntitlementConf{})
	t.Setenv("FOO", "bar")
	c, err := ParseFile([]byte("x"), "x.hcl")
	_, _ = c, err
}

func TestTable(t *testing.T) {
	tests := []struct {
		name    string
		varType string
		wantErr bool
	}{
		{name: "a string", varType: "string"},
		{"a string", "number", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("FOO_"+t.Name(), "1")
			dt := fmt.Sprintf("variable \"FOO\" { type = %s }", tt.varType)
			if tt.wantErr {
				dt += " # err"
			}
			ParseFile([]byte(dt), "docker-bake.hcl")
		})
	}
	t.Run("after", func(t *testing.T) {
		ParseFiles([]File{{Name: filepath.Join("sub", "a.hcl"), Data: []byte("a")}}, nil, nil, ParseOpt{FileRelativePaths: true})
	})
}

func TestDisk(t *testing.T) {
	t.Run("sub", func(t *testing.T) {
		os.WriteFile(filepath.Join(t.TempDir(), "gone"), []byte("x"), 0644)
	})
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ".env"), []byte("FOO=bar"), 0644); err != nil {
		t.Fatal(err)
	}
	chdir(t, dir)
	ParseComposeFiles([]File{{Name: "compose.yml", Data: []byte("services: {}")}}, nil)
}

func TestSkipped(t *testing.T) {
	ParseFiles([]File{{Name: "a.hcl", Data: []byte("a")}}, map[string]string{"BAKE_CMD_CONTEXT": "x"}, nil)
	if os.Getenv("X") != "" {
		ParseFile([]byte("y"), "y.hcl")
	}
	ReadTargets(context.TODO(), []File{{Name: "a.hcl", Data: []byte("a")}}, nil, nil, nil, nil, nil)
	t.Run("lost", func(t *testing.T) {
		t.Setenv("X", os.Getenv("Y"))
		ParseFile([]byte("z"), "z.hcl")
	})
}

func chdir(t *testing.T, dir string) {
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
}
`

// TestExtractUpstream checks the interpreter on the constructs bake's tests
// use, case by case, so that a change to it that loses or alters an input
// fails here and not only as a changed count.
func TestExtractUpstream(t *testing.T) {
	dir := t.TempDir()
	for name, src := range map[string]string{"bake.go": fakeBakeTypes, "bake_test.go": fakeBakeTests} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := extractUpstream(dir)
	if err != nil {
		t.Fatal(err)
	}
	hcl := func(name, data string) []inputFile { return []inputFile{{name: name, data: data}} }
	want := []upstreamCase{
		{
			name: "TestSimple", fn: "ReadTargets", dir: ".",
			files:   hcl("docker-bake.hcl", "# shared\ntarget \"app\" {}"),
			targets: []string{"app"},
			args:    []string{"--set=app.tags=x", "--var=A=1", "--var=B=2"},
		},
		{
			name: "TestSimple#2", fn: "ParseFile", dir: ".",
			files: hcl("x.hcl", "x"), targets: []string{"*"}, env: []string{"FOO=bar"},
		},
		{
			name: "TestTable/a_string", fn: "ParseFile", dir: ".",
			files:   hcl("docker-bake.hcl", `variable "FOO" { type = string }`),
			targets: []string{"*"}, env: []string{"FOO_TestTable/a_string=1"},
		},
		{
			name: "TestTable/a_string#01", fn: "ParseFile", dir: ".",
			files:   hcl("docker-bake.hcl", `variable "FOO" { type = number } # err`),
			targets: []string{"*"}, env: []string{"FOO_TestTable/a_string#01=1"},
		},
		{
			name: "TestTable/after", fn: "ParseFiles", dir: ".",
			files:   hcl("sub/a.hcl", "a"),
			targets: []string{"*"}, env: []string{"BUILDX_BAKE_FILE_RELATIVE_PATHS=1"},
		},
		{
			name: "TestDisk", fn: "ParseComposeFiles", dir: "tmp2",
			files:   hcl("compose.yml", "services: {}"),
			disk:    []inputFile{{name: "tmp2/.env", data: "FOO=bar"}},
			dirs:    []string{"tmp2"},
			targets: []string{"*"},
		},
		{
			name: "TestSkipped", fn: "ParseFiles", dir: ".",
			files: hcl("a.hcl", "a"), targets: []string{"*"},
			skip: `ParseFiles argument defaults: built-in variable defaults ["BAKE_CMD_CONTEXT=x"] have no command-line form`,
		},
		{
			name: "TestSkipped#2", fn: "ReadTargets", dir: ".",
			files: hcl("a.hcl", "a"),
			skip:  "ReadTargets argument targets: no target names: ReadTargets resolves nothing, where the command line would resolve the default group",
		},
		{
			name: "TestSkipped/lost", fn: "ParseFile", dir: ".",
			files: hcl("z.hcl", "z"), targets: []string{"*"},
			skip: "the environment or working directory is unknown after a t.Setenv of values that cannot be evaluated statically",
		},
		{
			name: "TestSkipped@bake_test.go:63", fn: "ParseFile",
			skip: "in an if at bake_test.go:62 whose condition cannot be evaluated statically",
		},
	}
	// Positions are checked for one case; the rest would only repeat the
	// line numbers of the source above.
	if len(got) > 0 && got[0].pos != "bake/bake_test.go:18" {
		t.Errorf("first case at %s, want bake/bake_test.go:18", got[0].pos)
	}
	for i := range got {
		got[i].pos = ""
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(upstreamCase{}, inputFile{})); diff != "" {
		t.Errorf("extracted cases differ (-want +got):\n%s", diff)
	}
}

// TestUpstreamCaseLayout checks how a case reaches disk and the command
// line: the test's temporary directories and working directory under one
// root, files handed to bake in memory written where bake would have read
// them, and clashing names refused.
func TestUpstreamCaseLayout(t *testing.T) {
	c := upstreamCase{
		dir:     "tmp1",
		files:   []inputFile{{name: "sub/docker-bake.hcl", data: "target \"a\" {}"}, {name: caseRoot + "/tmp2/x.hcl", data: "x"}},
		disk:    []inputFile{{name: "tmp1/.env", data: "A=" + caseRoot}},
		dirs:    []string{"tmp1", "tmp2"},
		args:    []string{"--set=a.context=" + caseRoot},
		targets: []string{"a"},
	}
	if why := c.checkLayout(); why != "" {
		t.Fatalf("checkLayout = %q, want no objection", why)
	}
	root := t.TempDir()
	if err := c.materialize(root); err != nil {
		t.Fatal(err)
	}
	for rel, want := range map[string]string{
		"tmp1/sub/docker-bake.hcl": "target \"a\" {}",
		"tmp2/x.hcl":               "x",
		"tmp1/.env":                "A=" + root,
	} {
		data, err := os.ReadFile(filepath.Join(root, rel))
		if err != nil || string(data) != want {
			t.Errorf("%s = %q, %v; want %q", rel, data, err, want)
		}
	}
	wantArgs := []string{"-f", "sub/docker-bake.hcl", "-f", root + "/tmp2/x.hcl", "--set=a.context=" + root, "a"}
	if diff := cmp.Diff(wantArgs, c.commandLine(root)); diff != "" {
		t.Errorf("command line differs (-want +got):\n%s", diff)
	}

	clash := upstreamCase{dir: ".", files: []inputFile{{name: "a.hcl", data: "1"}, {name: "./a.hcl", data: "2"}}}
	if why := clash.checkLayout(); !strings.Contains(why, "two different files are both named") {
		t.Errorf("checkLayout of two a.hcl = %q, want it refused", why)
	}
	outside := upstreamCase{dir: ".", files: []inputFile{{name: "../a.hcl"}}}
	if why := outside.checkLayout(); !strings.Contains(why, "outside the case directory") {
		t.Errorf("checkLayout of ../a.hcl = %q, want it refused", why)
	}
}

// TestSummarize checks the counts the CI log shows.
func TestSummarize(t *testing.T) {
	compose := []inputFile{{name: "compose.yaml"}}
	cases := []upstreamCase{{name: "A"}, {name: "B", files: compose}, {name: "C"}, {name: "D"}, {name: "E", skip: "inputs cannot be evaluated statically (x at a.go:1)"}}
	outcomes := []upstreamOutcome{
		{ran: true},
		{ran: true, rejected: true},
		{ran: true, diffs: []string{"values differ"}},
		{ran: true, diffs: []string{"values differ"}},
		{},
	}
	known := map[string]knownMiss{"C": {kind: "compose"}}
	got := summarize(cases, outcomes, known, "v0.38.2", 0)
	for _, want := range []string{
		"bakediff upstream: 2/4 identical (bake v0.38.2 tests: 5 cases extracted, 1 skipped, 4 compared in 0.0s)",
		"identical: 1 printed the same JSON, 1 rejected by both (1 of them on inputs with a known gap, where orch may reject for that reason: compose 1)",
		"miss compose",
		"miss unlisted",
		"skip   1  inputs cannot be evaluated statically …",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("summary lacks %q:\n%s", want, got)
		}
	}
}
