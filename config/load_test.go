package config

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
)

// writeFiles creates files (name → content) in a new directory.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func mustLoad(t *testing.T, opts Options) *Config {
	t.Helper()
	cfg, diags := Load(opts)
	if diags.HasErrors() {
		t.Fatalf("load: %s", diags.Error())
	}
	return cfg
}

// TestFileRelativePaths checks that Target holds paths resolved against
// the declaring file, while print keeps bake's raw values.
func TestFileRelativePaths(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"sub/orch.hcl": `
target "_tpl" {
  context = "tpl-ctx"
}
target "app" {
  contexts = { local = "./assets", img = "docker-image://alpine", dep = "target:dep" }
  output = ["type=local,dest=out", "type=image,name=x"]
  cache-from = ["type=local,src=cache"]
  secret = ["id=npm,src=.npmrc"]
  ssh = ["key=id_rsa"]
}
target "dep" {
  inherits = ["_tpl"]
}
target "cwd" {
  context = BAKE_CMD_CONTEXT
}
`,
	})
	sub := filepath.Join(dir, "sub")
	// The sources print checks, where orch reads them: beside the file.
	writeSSHKey(t, filepath.Join(sub, "id_rsa"))
	if err := os.WriteFile(filepath.Join(sub, ".npmrc"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := mustLoad(t, Options{Files: []string{"sub/orch.hcl"}, WorkDir: dir, Sets: []string{"dep.contexts.x=from-cli"}})
	app, dep, cwd := cfg.Targets["app"], cfg.Targets["dep"], cfg.Targets["cwd"]
	tests := []struct {
		name, got, want string
	}{
		{"dir", app.Dir, sub},
		{"default context is the file's directory", *app.Context, sub},
		{"inherited context is relative to the parent's file", *dep.Context, filepath.Join(sub, "tpl-ctx")},
		{"--set context is relative to the working directory", dep.Contexts["x"], filepath.Join(dir, "from-cli")},
		{"BAKE_CMD_CONTEXT is the working directory", *cwd.Context, dir},
		{"local named context", app.Contexts["local"], filepath.Join(sub, "assets")},
		{"image named context", app.Contexts["img"], "docker-image://alpine"},
		{"target link", app.Contexts["dep"], "target:dep"},
		{"output dest", app.Outputs[0].Dest, filepath.Join(sub, "out")},
		{"image output has no dest", app.Outputs[1].Dest, ""},
		{"local cache src", app.CacheFrom[0].Attrs["src"], filepath.Join(sub, "cache")},
		{"secret src", app.Secrets[0].Attrs["src"], filepath.Join(sub, ".npmrc")},
		{"ssh path", app.SSH[0].Attrs["paths"], filepath.Join(sub, "id_rsa")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
	out, diags := cfg.PrintJSON(PrintSet{Names: []string{"app"}, Targets: []string{"app"}, Linked: []string{"dep"}})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	for _, raw := range []string{`"context": "."`, `"local": "./assets"`, `"dest": "out"`, `"src": ".npmrc"`} {
		if !strings.Contains(string(out), raw) {
			t.Errorf("print lacks bake's raw value %s:\n%s", raw, out)
		}
	}
}

// TestRanges checks the source ranges the planner reports links with.
func TestRanges(t *testing.T) {
	dir := writeFiles(t, map[string]string{"orch.hcl": `target "base" {
  depends_on = ["db"]
}
target "db" {}
target "app" {
  inherits = ["base"]
  contexts = {
    b = "target:base"
    d = "target:db"
  }
}
`})
	cfg := mustLoad(t, Options{WorkDir: dir})
	app := cfg.Targets["app"]
	got := map[string]int{
		"contexts":   app.AttrRanges["contexts"].Start.Line,
		"depends_on": app.AttrRanges["depends_on"].Start.Line,
		"context b":  app.ContextRanges["b"].Start.Line,
		"context d":  app.ContextRanges["d"].Start.Line,
		"def":        app.DefRange.Start.Line,
	}
	want := map[string]int{"contexts": 7, "depends_on": 2, "context b": 8, "context d": 9, "def": 5}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("range lines (-want +got):\n%s", diff)
	}
	if cfg.Targets["app"].DependsOn[0] != "db" {
		t.Errorf("depends_on not inherited: %v", app.DependsOn)
	}
}

// TestVariables checks the Variables list and the typed parsing of
// overrides.
func TestVariables(t *testing.T) {
	src := `
variable "S" { default = "a" }
variable "N" { default = 1 }
variable "B" { default = false }
variable "L" {
  type = list(string)
  default = []
}
variable "M" {
  type = map(number)
  default = {}
}
variable "O" {
  type = object({ x = string })
  default = { x = "d" }
  description = "an object"
}
variable "U" {}
variable "T" { type = string }
target "default" {}
`
	tests := []struct {
		name string
		vars map[string]string
		env  []string
		want map[string]string // name → Value
	}{
		{name: "defaults", want: map[string]string{"S": `"a"`, "N": "1", "B": "false", "L": "[]", "M": "{}", "O": `{"x":"d"}`, "U": `""`, "T": "null"}},
		{name: "environment", env: []string{"S=e", "N=2.5", "B=true", "L=x,y", "M=a:1,b:2", "O_JSON={\"x\":\"j\"}", "U=u", "T=t"},
			want: map[string]string{"S": `"e"`, "N": "2.5", "B": "true", "L": `["x","y"]`, "M": `{"a":1,"b":2}`, "O": `{"x":"j"}`, "U": `"u"`, "T": `"t"`}},
		{name: "--var wins over the environment", vars: map[string]string{"S": "v"}, env: []string{"S=e"},
			want: map[string]string{"S": `"v"`, "N": "1", "B": "false", "L": "[]", "M": "{}", "O": `{"x":"d"}`, "U": `""`, "T": "null"}},
		{name: "lookup disabled", env: []string{"S=e", "BUILDX_BAKE_DISABLE_VARS_ENV_LOOKUP=1"},
			want: map[string]string{"S": `"a"`, "N": "1", "B": "false", "L": "[]", "M": "{}", "O": `{"x":"d"}`, "U": `""`, "T": "null"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeFiles(t, map[string]string{"orch.hcl": src})
			cfg := mustLoad(t, Options{WorkDir: dir, Vars: tt.vars, Env: tt.env})
			got := map[string]string{}
			for _, v := range cfg.Variables {
				got[v.Name] = v.Value
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("values (-want +got):\n%s", diff)
			}
		})
	}
	dir := writeFiles(t, map[string]string{"orch.hcl": src})
	cfg := mustLoad(t, Options{WorkDir: dir})
	var o *Variable
	for _, v := range cfg.Variables {
		if v.Name == "O" {
			o = v
		}
	}
	if o == nil || o.Type != "object({x=string})" || o.Description != "an object" {
		t.Errorf("variable O = %+v", o)
	}
}

// TestErrorMessages shows the text of errors that come from flags and
// the environment rather than from a file line.
func TestErrorMessages(t *testing.T) {
	src := `
variable "N" { type = number }
variable "L" { type = list(number) }
target "app" {
  secret = ["id=tok,env=T"]
}
target "web" {}
`
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"number from the environment", Options{Env: []string{"N=abc"}}, `The value given for variable "N" (from --var or the environment) is invalid: parse "abc" as number.`},
		{"list element", Options{Env: []string{"L=1,x"}}, `parse "x" as number`},
		{"unknown --set key", Options{Sets: []string{"app.platfrom=linux/arm64"}}, `unknown key "platfrom"; did you mean "platform"?`},
		{"pattern matching nothing", Options{Sets: []string{"ap.tags=x"}}, `no target matches "ap". Did you mean "app"?`},
		{"no value", Options{Sets: []string{"app.tags"}}, `"app.tags": expected TARGET.KEY=VALUE.`},
		{"sub-key where none is allowed", Options{Sets: []string{"app.tags.x=y"}}, `tags does not take a sub-key`},
		{"missing sub-key", Options{Sets: []string{"app.args=y"}}, `args needs a name: TARGET.args.NAME=VALUE.`},
		{"+= on a scalar", Options{Sets: []string{"app.context+=x"}}, `context does not support +=`},
		{"bad bool", Options{Sets: []string{"app.pull=maybe"}}, `--set pull: invalid value "maybe": want true or false`},
		{"undeclared secret", Options{Sets: []string{"web.secret.tok=env=X"}}, `target "web" declares no secret "tok" to override`},
		{"unknown resources key", Options{Sets: []string{"app.resources.gpu=1"}}, `unknown resources key "gpu"; the keys are memory, memory-swap, cpu-shares`},
		{"resources number", Options{Sets: []string{"app.resource.cpu-shares=1.5"}}, `--set resources.cpu-shares: invalid value "1.5": want a whole number`},
		{"resources needs a key", Options{Sets: []string{"app.resources=1"}}, `resources needs a name: TARGET.resources.NAME=VALUE.`},
		{"bad policy", Options{Sets: []string{"app.policy=x"}}, `--set policy: invalid policy "x": invalid value x`},
		{"relative paths not a bool", Options{Env: []string{"BUILDX_BAKE_FILE_RELATIVE_PATHS=yes please"}}, `BUILDX_BAKE_FILE_RELATIVE_PATHS="yes please" is not a bool; set it to 1`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := tt.opts
			opts.WorkDir = writeFiles(t, map[string]string{"orch.hcl": src})
			_, diags := Load(opts)
			if !diags.HasErrors() {
				t.Fatal("no error")
			}
			if !strings.Contains(diags.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", diags.Error(), tt.want)
			}
		})
	}
}

// TestWarnings checks problems that do not stop a build.
func TestWarnings(t *testing.T) {
	dir := writeFiles(t, map[string]string{"orch.hcl": `
function "upper" {
  params = [s]
  result = s
}
group "g" { targets = ["web", "ap"] }
target "app" {
  matrix = { v = [] }
  name = "app-${v}"
}
target "web" {}
`})
	_, diags := Load(Options{WorkDir: dir})
	var got []string
	for _, d := range diags {
		if d.Severity != hcl.DiagWarning {
			t.Errorf("unexpected error: %s", d.Error())
			continue
		}
		got = append(got, d.Summary)
	}
	want := []string{"Function shadows a built-in", "Unknown group member", "Empty matrix"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
}

// TestMatrixOrder checks that matrix expansion is deterministic: keys in
// sorted order, combined as bake combines them.
func TestMatrixOrder(t *testing.T) {
	dir := writeFiles(t, map[string]string{"orch.hcl": `
target "m" {
  matrix = { b = ["1", "2"], a = ["x", "y"] }
  name = "m-${a}${b}"
}
`})
	for i := 0; i < 5; i++ {
		cfg := mustLoad(t, Options{WorkDir: dir})
		want := []string{"m-x1", "m-y1", "m-x2", "m-y2"}
		if diff := cmp.Diff(want, cfg.Groups["m"].Targets); diff != "" {
			t.Fatalf("run %d: group m (-want +got):\n%s", i, diff)
		}
	}
}

// TestDefaultFiles checks which files are read when none is named.
func TestDefaultFiles(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{"orch.hcl first", map[string]string{"orch.hcl": "", "docker-bake.hcl": ""}, []string{"orch.hcl"}},
		{"orch.hcl and orch.json", map[string]string{"orch.hcl": "", "orch.json": "{}"}, []string{"orch.hcl", "orch.json"}},
		{"every bake name, in bake's order", map[string]string{"docker-bake.hcl": "", "docker-bake.override.hcl": "", "docker-bake.json": "{}"},
			[]string{"docker-bake.json", "docker-bake.hcl", "docker-bake.override.hcl"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := mustLoad(t, Options{WorkDir: writeFiles(t, tt.files)})
			if diff := cmp.Diff(tt.want, cfg.Files); diff != "" {
				t.Errorf("files (-want +got):\n%s", diff)
			}
		})
	}
}

// TestStdin reads a definition from standard input, in HCL and in JSON.
func TestStdin(t *testing.T) {
	for _, src := range []string{`target "a" { tags = ["x"] }`, `{"target": {"a": {"tags": ["x"]}}}`} {
		cfg := mustLoad(t, Options{Files: []string{"-"}, Stdin: strings.NewReader(src), WorkDir: t.TempDir()})
		if got := cfg.Targets["a"].Tags; len(got) != 1 || got[0] != "x" {
			t.Errorf("%s: tags = %v", src, got)
		}
		if cfg.Files[0] != "<stdin>" {
			t.Errorf("files = %v", cfg.Files)
		}
	}
}

// TestMatrixTooLarge checks that a matrix above MaxMatrixCombinations is
// reported, naming the block, before it is expanded: a million
// combinations must cost no memory to speak of.
func TestMatrixTooLarge(t *testing.T) {
	dir := writeFiles(t, map[string]string{"orch.hcl": `target "huge" {
  matrix = { a = range(1000), b = range(1000) }
  name = "h-${a}-${b}"
}
target "fits" {
  matrix = { a = range(100), b = range(100) }
  name = "f-${a}-${b}"
}
`})
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	cfg, diags := Load(Options{WorkDir: dir})
	runtime.ReadMemStats(&after)
	if !diags.HasErrors() {
		t.Fatal("no error")
	}
	d := diags[0]
	if d.Summary != "Matrix too large" || d.Subject == nil || d.Subject.Start.Line != 2 ||
		!strings.Contains(d.Detail, `target "huge" has more than 10000 combinations (a: 1000, b: 1000)`) {
		t.Errorf("diagnostic = %s: %s (%v)", d.Summary, d.Detail, d.Subject)
	}
	if len(diags) != 1 {
		t.Errorf("%d diagnostics, want 1: %s", len(diags), diags.Error())
	}
	// Expanding the 10,000 that fit allocates; a million would allocate
	// a hundred times more.
	if mb := (after.TotalAlloc - before.TotalAlloc) >> 20; mb > 200 {
		t.Errorf("loading allocated %d MB", mb)
	}
	_ = cfg
}
