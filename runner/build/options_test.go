package build

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"

	"github.com/orch-build/orch/config"
	"github.com/orch-build/orch/runner/buildkit"
)

func ptr[T any](v T) *T { return &v }

// TestOverridesSets: bake's shorthand flags become the --set overrides
// buildx v0.38.2's bake.go makes of them, in its order.
func TestOverridesSets(t *testing.T) {
	tests := []struct {
		name string
		o    Overrides
		want []string
		err  error
	}{
		{name: "none", o: Overrides{}, want: nil},
		{name: "push and load", o: Overrides{Push: true, Load: true}, want: []string{"*.push=true", "*.load=true"}},
		{name: "no-cache and pull, both ways", o: Overrides{NoCache: ptr(true), Pull: ptr(false)}, want: []string{"*.no-cache=true", "*.pull=false"}},
		{name: "attestations", o: Overrides{SBOM: "true", Provenance: "mode=max"}, want: []string{"*.attest=type=sbom,disabled=false", "*.attest=type=provenance,mode=max"}},
		{name: "attestation off", o: Overrides{Provenance: "0"}, want: []string{"*.attest=type=provenance,disabled=true"}},
		{name: "call build is no override", o: Overrides{Call: "build"}, want: nil},
		{name: "check is lint", o: Overrides{Call: "check"}, want: []string{"*.call=lint"}},
		{name: "call with format", o: Overrides{Call: "outline,format=json"}, want: []string{"*.call=outline"}},
		{name: "bake's order", o: Overrides{Pull: ptr(true), Call: "targets", Push: true, SBOM: "false"}, want: []string{"*.push=true", "*.call=targets", "*.pull=true", "*.attest=type=sbom,disabled=true"}},
		{name: "policy disabled", o: Overrides{Policy: []string{"disabled=true"}}, want: []string{"*.policy=disabled=true"}},
		{name: "unknown call", o: Overrides{Call: "lint-all"}, err: ErrInvalidOptions},
		{name: "call format", o: Overrides{Call: "check,format=yaml"}, err: ErrInvalidOptions},
		{name: "policy filename", o: Overrides{Policy: []string{"filename=p.rego"}}, err: ErrInvalidOptions},
		{name: "policy disabled with more", o: Overrides{Policy: []string{"disabled=true,strict=true"}}, err: ErrInvalidOptions},
		{name: "policy strict", o: Overrides{Policy: []string{"strict=true"}}, err: ErrNotSupported},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.o.Sets()
			if !errors.Is(err, tt.err) || (tt.err == nil && err != nil) {
				t.Fatalf("error %v, want %v", err, tt.err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("sets (-want +got):\n%s", diff)
			}
		})
	}
}

// TestValidate: every unusable option is reported at once, each wrapping
// ErrInvalidOptions, and report directories are made before the build.
func TestValidate(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "file")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	opts := Options{
		Progress: "fancy", Jobs: -1, Retries: -1, RegistryJobs: -2,
		Allow:   []string{"network.host", "net.host", "ssh=x", "fs"},
		Builder: buildkit.BuilderOptions{Addr: "localhost:1234"},
		Report:  filepath.Join(blocker, "r.json"),
		JUnit:   filepath.Join(dir, "new", "dir", "j.xml"),
	}
	err := opts.validate()
	if !errors.Is(err, ErrInvalidOptions) {
		t.Fatalf("error %v, want ErrInvalidOptions", err)
	}
	want := []string{
		`--progress "fancy": want one of auto, tty, plain, rawjson, quiet, none`,
		"--jobs -1: want 1 or more",
		"--retries -1: want 0 or more",
		"--registry-jobs -2: want 1 or more, or 0 for no limit",
		`--allow "net.host": unknown entitlement`,
		`--allow "ssh=x": ssh does not take a value`,
		`--allow "fs": fs needs a value`,
		`builder address "localhost:1234": want a URL`,
		"--report: mkdir " + blocker + ": not a directory",
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error lacks %q:\n%v", w, err)
		}
	}
	if strings.Contains(err.Error(), "invalid options") {
		t.Errorf("the message carries the sentinel's words:\n%v", err)
	}
	if st, err := os.Stat(filepath.Join(dir, "new", "dir")); err != nil || !st.IsDir() {
		t.Errorf("the --junit directory was not made: %v", err)
	}
	if err := (Options{Progress: "none"}).validate(); err != nil {
		t.Errorf("--progress none: %v", err)
	}
}

// writeProject writes files into a temporary directory and returns the
// options that load its orch.hcl.
func writeProject(t *testing.T, files map[string]string) Options {
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
	return Options{Config: config.Options{Files: []string{filepath.Join(dir, "orch.hcl")}, WorkDir: dir}}
}

// at renders a diagnostic as "line: summary: detail" for comparisons.
func at(d *hcl.Diagnostic) string {
	line := 0
	if d.Subject != nil {
		line = d.Subject.Start.Line
	}
	return strings.Join([]string{strconv.Itoa(line), d.Summary, d.Detail}, ": ")
}

// TestCheckReportsEverything: a cycle, a destination conflict and three
// bad values of another target come out of one Check, each at its line,
// though the plan failed.
func TestCheckReportsEverything(t *testing.T) {
	opts := writeProject(t, map[string]string{
		"Dockerfile": "FROM scratch\n",
		"orch.hcl": `target "a" {
  depends_on = ["b"]
  output     = ["type=local,dest=out"]
}
target "b" {
  depends_on = ["a"]
  output     = ["type=local,dest=out"]
}
target "bad" {
  network      = "bridge"
  shm-size     = "lots"
  entitlements = ["root"]
}
`})
	opts.Targets = []string{"all"}
	ch, err := Check(opts)
	if !errors.Is(err, ErrConfig) || err.Error() != "configuration error: 5 errors" {
		t.Fatalf("error %v, want ErrConfig with 5 errors", err)
	}
	if ch.Plan != nil {
		t.Errorf("a plan with a cycle was returned")
	}
	var got []string
	for _, d := range ch.Diagnostics {
		got = append(got, at(d))
	}
	want := []string{"2: Dependency cycle", "3: Destination conflict", "10: Cannot build target", "11: Cannot build target", "12: Cannot build target"}
	if len(got) != len(want) {
		t.Fatalf("diagnostics:\n%s\nwant %d", strings.Join(got, "\n"), len(want))
	}
	for i, w := range want {
		if !strings.HasPrefix(got[i], w) {
			t.Errorf("diagnostic %d is %q, want %s...", i, got[i], w)
		}
	}
	for i, w := range []string{`network "bridge"`, `shm-size "lots"`, `entitlement "root"`} {
		if !strings.Contains(got[2+i], w) {
			t.Errorf("diagnostic %q does not name %s", got[2+i], w)
		}
	}
}

// TestLoadAppliesOverridesAndWarns: the overrides reach the targets, and
// a --var that no file declares is a warning with a suggestion, not an
// error; NAME_JSON for a declared NAME is no warning.
func TestLoadAppliesOverridesAndWarns(t *testing.T) {
	opts := writeProject(t, map[string]string{"orch.hcl": `
variable "TAG" { default = "1" }
target "app" { tags = ["app:${TAG}"] }
`})
	opts.Overrides = Overrides{NoCache: ptr(true), Pull: ptr(true)}
	opts.Config.Vars = map[string]string{"TGA": "2", "TAG_JSON": `"3"`}
	ch, err := Load(opts)
	if err != nil {
		t.Fatal(err)
	}
	app := ch.Config.Targets["app"]
	if app.NoCache == nil || !*app.NoCache || app.Pull == nil || !*app.Pull {
		t.Errorf("overrides not applied: no-cache %v, pull %v", app.NoCache, app.Pull)
	}
	if len(ch.Diagnostics) != 1 {
		t.Fatalf("diagnostics %v, want one warning", ch.Diagnostics)
	}
	d := ch.Diagnostics[0]
	if d.Severity != hcl.DiagWarning || d.Summary != "Unknown variable" || !strings.Contains(d.Detail, `--var TGA=...`) || !strings.Contains(d.Detail, `Did you mean "TAG"?`) {
		t.Errorf("warning: %s: %s", d.Summary, d.Detail)
	}
}

// TestRunStopsBeforeTheBuilder: invalid options and failed checks end Run
// before any builder is contacted (the one named does not exist: reaching
// it would be another error), and OnCheck sees the failed check.
func TestRunStopsBeforeTheBuilder(t *testing.T) {
	opts := writeProject(t, map[string]string{"orch.hcl": `target "app" { network = "bridge" }` + "\n", "Dockerfile": "FROM scratch\n"})
	opts.Builder.Addr = "unix:///nonexistent/buildkitd.sock"
	called := 0
	opts.OnCheck = func(ch *Checked) {
		called++
		if len(ch.Diagnostics) != 1 {
			t.Errorf("OnCheck sees %d diagnostics, want 1", len(ch.Diagnostics))
		}
	}

	bad := opts
	bad.Retries = -1
	if _, err := Run(t.Context(), bad); !errors.Is(err, ErrInvalidOptions) || called != 0 {
		t.Errorf("invalid options: error %v, OnCheck called %d times; want ErrInvalidOptions before the check", err, called)
	}
	res, err := Run(t.Context(), opts)
	if !errors.Is(err, ErrConfig) || called != 1 || res.Report != nil {
		t.Errorf("failed check: error %v, OnCheck called %d times, report %v", err, called, res.Report)
	}
}

// TestRunRefusesUnsupported: an override orch cannot carry out ends Run
// with ErrNotSupported before the builder, whatever the check finds.
func TestRunRefusesUnsupported(t *testing.T) {
	opts := writeProject(t, map[string]string{"orch.hcl": `target "app" {}` + "\n", "Dockerfile": "FROM scratch\n"})
	opts.Builder.Addr = "unix:///nonexistent/buildkitd.sock"
	for _, o := range []Overrides{{Policy: []string{"strict=true"}}} {
		opts.Overrides = o
		if _, err := Run(t.Context(), opts); !errors.Is(err, ErrNotSupported) {
			t.Errorf("%+v: error %v, want ErrNotSupported", o, err)
		}
	}
}
