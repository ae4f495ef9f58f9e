package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/orch-build/orch/config"
	"github.com/orch-build/orch/runner/build"
	"github.com/orch-build/orch/runner/buildkit"
)

// recorder is a library that records the options each call receives and
// builds nothing.
type recorder struct {
	fn   string
	opts build.Options
	n    int
}

func (r *recorder) library() library {
	record := func(fn string, o build.Options) *build.Checked {
		r.fn, r.opts = fn, o
		r.n++
		return &build.Checked{Config: &config.Config{Sources: map[string][]byte{}}}
	}
	return library{
		load: func(o build.Options) (*build.Checked, error) {
			return record("load", o), fmt.Errorf("%w: recorded", build.ErrConfig)
		},
		check: func(o build.Options) (*build.Checked, error) {
			return record("check", o), fmt.Errorf("%w: recorded", build.ErrConfig)
		},
		plan: func(_ context.Context, o build.Options) (*build.Checked, error) {
			return record("plan", o), fmt.Errorf("%w: recorded", build.ErrConfig)
		},
		run: func(_ context.Context, o build.Options) (*build.Result, error) {
			return &build.Result{Checked: record("run", o)}, nil
		},
	}
}

// Defaults of `orch build` as the library receives them.
var buildDefaults = build.Options{Progress: "auto", RegistryJobs: 4}

func ptr[T any](v T) *T { return &v }

// optionCases are command lines and the options they must turn into. Every
// flag of every command appears in at least one (TestEveryFlagHasACase).
var optionCases = []struct {
	name string
	args []string
	env  map[string]string
	fn   string // the library call
	want build.Options
}{
	{name: "build defaults", args: []string{"build"}, fn: "run", want: buildDefaults},
	{
		name: "build files, overrides, variables and targets",
		args: []string{"build", "-f", "a.hcl", "--file", "b.hcl", "--set", "app.output=type=local,dest=out", "--var", "A=1", "--var", "L=a,b", "app", "web"},
		fn:   "run",
		want: with(buildDefaults, func(o *build.Options) {
			o.Config.Files = []string{"a.hcl", "b.hcl"}
			o.Config.Sets = []string{"app.output=type=local,dest=out"}
			o.Config.Vars = map[string]string{"A": "1", "L": "a,b"}
			o.Targets = []string{"app", "web"}
		}),
	},
	{
		name: "build flags after and between target names",
		args: []string{"build", "app", "--progress", "plain", "-j", "3", "web", "-k", "--set=web.tags=x"},
		fn:   "run",
		want: with(buildDefaults, func(o *build.Options) {
			o.Targets = []string{"app", "web"}
			o.Progress, o.Jobs, o.KeepGoing = "plain", 3, true
			o.Config.Sets = []string{"web.tags=x"}
		}),
	},
	{name: "jobs", args: []string{"build", "--jobs", "7"}, fn: "run", want: with(buildDefaults, func(o *build.Options) { o.Jobs = 7 })},
	{name: "jobs bake fail-fast", args: []string{"build", "--jobs", "fail-fast"}, fn: "run", want: buildDefaults},
	{name: "jobs bake defer-error", args: []string{"build", "--jobs", "defer-error,parallel=2"}, fn: "run", want: with(buildDefaults, func(o *build.Options) { o.Jobs, o.KeepGoing = 2, true })},
	{name: "jobs bake defer-output", args: []string{"build", "-j", "mode=defer-output"}, fn: "run", want: with(buildDefaults, func(o *build.Options) { o.Atomic = true })},
	{name: "keep going", args: []string{"build", "--keep-going"}, fn: "run", want: with(buildDefaults, func(o *build.Options) { o.KeepGoing = true })},
	{name: "retries", args: []string{"build", "--retries", "3"}, fn: "run", want: with(buildDefaults, func(o *build.Options) { o.Retries = 3 })},
	{name: "atomic", args: []string{"build", "--atomic"}, fn: "run", want: with(buildDefaults, func(o *build.Options) { o.Atomic = true })},
	{name: "registry jobs", args: []string{"build", "--registry-jobs", "9"}, fn: "run", want: with(buildDefaults, func(o *build.Options) { o.RegistryJobs = 9 })},
	{name: "registry jobs unbounded", args: []string{"build", "--registry-jobs", "0"}, fn: "run", want: with(buildDefaults, func(o *build.Options) { o.RegistryJobs = 0 })},
	{name: "progress auto", args: []string{"build", "--progress", "auto"}, fn: "run", want: buildDefaults},
	{name: "progress tty", args: []string{"build", "--progress", "tty"}, fn: "run", want: with(buildDefaults, func(o *build.Options) { o.Progress = "tty" })},
	{name: "progress plain", args: []string{"build", "--progress=plain"}, fn: "run", want: with(buildDefaults, func(o *build.Options) { o.Progress = "plain" })},
	{name: "progress rawjson", args: []string{"build", "--progress", "rawjson"}, fn: "run", want: with(buildDefaults, func(o *build.Options) { o.Progress = "rawjson" })},
	{name: "progress quiet", args: []string{"build", "--progress", "quiet"}, fn: "run", want: with(buildDefaults, func(o *build.Options) { o.Progress = "quiet" })},
	{name: "progress none", args: []string{"build", "--progress", "none"}, fn: "run", want: with(buildDefaults, func(o *build.Options) { o.Progress = "none" })},
	{name: "BUILDKIT_PROGRESS", args: []string{"build"}, env: map[string]string{"BUILDKIT_PROGRESS": "plain"}, fn: "run", want: with(buildDefaults, func(o *build.Options) { o.Progress = "plain" })},
	{name: "--progress wins over BUILDKIT_PROGRESS", args: []string{"build", "--progress", "quiet"}, env: map[string]string{"BUILDKIT_PROGRESS": "plain"}, fn: "run", want: with(buildDefaults, func(o *build.Options) { o.Progress = "quiet" })},
	{
		name: "builder and TLS files",
		args: []string{"build", "--builder", "tcp://127.0.0.1:1234", "--tlscacert", "ca.pem", "--tlscert", "cert.pem", "--tlskey", "key.pem"},
		fn:   "run",
		want: with(buildDefaults, func(o *build.Options) {
			o.Builder = buildkit.BuilderOptions{Builders: []string{"tcp://127.0.0.1:1234"}, TLSCACert: "ca.pem", TLSCert: "cert.pem", TLSKey: "key.pem"}
		}),
	},
	{
		name: "a pool of builders",
		args: []string{"build", "--builder", "unix:///a.sock,max=2,name=a", "--builder", "mybuildx"},
		env:  map[string]string{"BUILDKIT_HOST": "unix:///run/bk.sock"},
		fn:   "run",
		want: with(buildDefaults, func(o *build.Options) {
			o.Builder.Builders = []string{"unix:///a.sock,max=2,name=a", "mybuildx"}
		}),
	},
	{name: "BUILDKIT_HOST", args: []string{"build"}, env: map[string]string{"BUILDKIT_HOST": "unix:///run/bk.sock"}, fn: "run", want: with(buildDefaults, func(o *build.Options) { o.Builder.Addr = "unix:///run/bk.sock" })},
	{name: "--builder wins over BUILDKIT_HOST", args: []string{"build", "--builder", "unix:///b.sock"}, env: map[string]string{"BUILDKIT_HOST": "unix:///run/bk.sock"}, fn: "run", want: with(buildDefaults, func(o *build.Options) { o.Builder.Builders = []string{"unix:///b.sock"} })},
	{
		name: "report files and logs",
		args: []string{"build", "--report", "r.json", "--junit", "j.xml", "--metadata-file", "m.json", "--log-dir", "logs", "--report-html", "r.html", "--trace", "t.json"},
		fn:   "run",
		want: with(buildDefaults, func(o *build.Options) {
			o.Report, o.JUnit, o.MetadataFile, o.LogDir = "r.json", "j.xml", "m.json", "logs"
			o.ReportHTML, o.Trace = "r.html", "t.json"
		}),
	},
	{
		name: "bake's override flags",
		args: []string{"build", "--push", "--load", "--no-cache", "--pull", "--sbom", "true", "--provenance", "mode=max", "--call", "outline,format=json", "--policy", "disabled=true", "--policy", "strict=true"},
		fn:   "run",
		want: with(buildDefaults, func(o *build.Options) {
			o.Overrides = build.Overrides{Push: true, Load: true, NoCache: ptr(true), Pull: ptr(true), SBOM: "true", Provenance: "mode=max",
				Call: "outline,format=json", Policy: []string{"disabled=true", "strict=true"}}
		}),
	},
	{name: "no-cache and pull false", args: []string{"build", "--no-cache=false", "--pull=false"}, fn: "run", want: with(buildDefaults, func(o *build.Options) { o.Overrides.NoCache, o.Overrides.Pull = ptr(false), ptr(false) })},
	{name: "check", args: []string{"build", "--call", "build", "--check"}, fn: "run", want: with(buildDefaults, func(o *build.Options) { o.Overrides.Call = "check" })},
	{name: "allow", args: []string{"build", "--allow", "network.host", "--allow", "security.insecure"}, fn: "run", want: with(buildDefaults, func(o *build.Options) { o.Allow = []string{"network.host", "security.insecure"} })},
	{name: "debug", args: []string{"-D", "build", "--debug"}, fn: "run", want: buildDefaults},
	{
		name: "build --list loads without overrides",
		args: []string{"build", "--list", "targets", "-f", "a.hcl", "--set", "x.tags=1", "--var", "A=1"},
		fn:   "load",
		want: build.Options{Config: config.Options{Files: []string{"a.hcl"}, Vars: map[string]string{"A": "1"}}},
	},
	{
		name: "build --print is print",
		args: []string{"build", "--print", "--push", "app"},
		fn:   "load",
		want: build.Options{Targets: []string{"app"}, Overrides: build.Overrides{Push: true}},
	},
	{
		name: "print",
		args: []string{"print", "app", "-f", "a.hcl", "--file", "b.hcl", "--set", "app.tags=x", "--var", "V=1", "--push", "--load", "--no-cache", "--pull", "--sbom", "false", "--provenance", "true", "--call", "targets", "--check", "--policy", "disabled=true"},
		fn:   "load",
		want: build.Options{
			Config:    config.Options{Files: []string{"a.hcl", "b.hcl"}, Sets: []string{"app.tags=x"}, Vars: map[string]string{"V": "1"}},
			Targets:   []string{"app"},
			Overrides: build.Overrides{Push: true, Load: true, NoCache: ptr(true), Pull: ptr(true), SBOM: "false", Provenance: "true", Call: "check", Policy: []string{"disabled=true"}},
		},
	},
	{
		name: "ls ignores --set, as bake's --list",
		args: []string{"ls", "--format", "json", "--file", "a.hcl", "-f", "b.hcl", "--set", "x.tags=1", "--var", "A=1"},
		fn:   "load",
		want: build.Options{Config: config.Options{Files: []string{"a.hcl", "b.hcl"}, Vars: map[string]string{"A": "1"}}},
	},
	{
		name: "validate checks every target by default",
		args: []string{"validate", "-f", "a.hcl", "--file", "b.hcl", "--set", "x.tags=1", "--var", "A=1"},
		fn:   "check",
		want: build.Options{Config: config.Options{Files: []string{"a.hcl", "b.hcl"}, Sets: []string{"x.tags=1"}, Vars: map[string]string{"A": "1"}}, Targets: []string{"all"}},
	},
	{
		// --strict is the command's own: it changes how warnings count,
		// not what the library checks (validate.txtar runs it).
		name: "validate --strict checks as validate does",
		args: []string{"validate", "--strict"},
		fn:   "check",
		want: build.Options{Targets: []string{"all"}},
	},
	{
		name: "validate overrides and a selection",
		args: []string{"validate", "app", "--push", "--load", "--no-cache", "--pull", "--sbom", "true", "--provenance", "false", "--call", "outline", "--check", "--policy", "disabled=true"},
		fn:   "check",
		want: build.Options{Targets: []string{"app"}, Overrides: build.Overrides{Push: true, Load: true, NoCache: ptr(true), Pull: ptr(true), SBOM: "true", Provenance: "false", Call: "check", Policy: []string{"disabled=true"}}},
	},
	{
		name: "plan",
		args: []string{"plan", "app", "--format", "json", "-f", "a.hcl", "--file", "b.hcl", "--set", "x.tags=1", "--var", "A=1", "--push", "--load", "--no-cache", "--pull", "--sbom", "true", "--provenance", "true", "--call", "outline", "--check", "--policy", "disabled=true"},
		fn:   "plan",
		want: build.Options{
			Config:    config.Options{Files: []string{"a.hcl", "b.hcl"}, Sets: []string{"x.tags=1"}, Vars: map[string]string{"A": "1"}},
			Targets:   []string{"app"},
			Overrides: build.Overrides{Push: true, Load: true, NoCache: ptr(true), Pull: ptr(true), SBOM: "true", Provenance: "true", Call: "check", Policy: []string{"disabled=true"}},
		},
	},
	{name: "plan --force and --affected-since", args: []string{"plan", "--force", "--affected-since", "main~2"}, fn: "plan", want: build.Options{Force: true, AffectedSince: "main~2"}},
	{name: "build --force", args: []string{"build", "--force"}, fn: "run", want: with(buildDefaults, func(o *build.Options) { o.Force = true })},
	{name: "build --affected-since", args: []string{"build", "all", "--affected-since=HEAD~1"}, fn: "run", want: with(buildDefaults, func(o *build.Options) {
		o.Targets, o.AffectedSince = []string{"all"}, "HEAD~1"
	})},
	{name: "ls --affected-since", args: []string{"ls", "--affected-since", "v1.0"}, fn: "load", want: build.Options{AffectedSince: "v1.0"}},
	{
		name: "plan on a pool",
		args: []string{"plan", "--builder", "tcp://127.0.0.1:1234,max=2", "--builder", "farm", "--tlscacert", "ca.pem", "--tlscert", "cert.pem", "--tlskey", "key.pem"},
		fn:   "plan",
		want: build.Options{Builder: buildkit.BuilderOptions{Builders: []string{"tcp://127.0.0.1:1234,max=2", "farm"}, TLSCACert: "ca.pem", TLSCert: "cert.pem", TLSKey: "key.pem"}},
	},
	{
		name: "graph",
		args: []string{"graph", "--format", "mermaid", "web", "-f", "a.hcl", "--file", "b.hcl", "--set", "x.tags=1", "--var", "A=1", "--push", "--load", "--no-cache", "--pull", "--sbom", "true", "--provenance", "true", "--call", "outline", "--check", "--policy", "disabled=true"},
		fn:   "check",
		want: build.Options{
			Config:    config.Options{Files: []string{"a.hcl", "b.hcl"}, Sets: []string{"x.tags=1"}, Vars: map[string]string{"A": "1"}},
			Targets:   []string{"web"},
			Overrides: build.Overrides{Push: true, Load: true, NoCache: ptr(true), Pull: ptr(true), SBOM: "true", Provenance: "true", Call: "check", Policy: []string{"disabled=true"}},
		},
	},
}

// with returns a copy of o changed by f.
func with(o build.Options, f func(*build.Options)) build.Options {
	f(&o)
	return o
}

// clearEnv unsets the variables the flags read, for the test's duration.
func clearEnv(t *testing.T) {
	for _, k := range []string{"BUILDKIT_HOST", "BUILDKIT_PROGRESS"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
}

// TestOptions runs each command line against a recording library and
// compares the options it received.
func TestOptions(t *testing.T) {
	for _, tt := range optionCases {
		t.Run(tt.name, func(t *testing.T) {
			clearEnv(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			r := &recorder{}
			var stdout, stderr bytes.Buffer
			runWith(append([]string{"orch"}, tt.args...), &stdout, &stderr, r.library())
			if r.n != 1 || r.fn != tt.fn {
				t.Fatalf("%d library calls, the last %q; want one %s call\nstderr:\n%s", r.n, r.fn, tt.fn, &stderr)
			}
			got := r.opts
			if got.Config.Stdin != os.Stdin || !slices.Equal(got.Config.Env, os.Environ()) {
				t.Errorf("the library gets stdin %v and %d environment variables; want os.Stdin and os.Environ()", got.Config.Stdin, len(got.Config.Env))
			}
			if tt.fn == "run" && (got.OnCheck == nil || got.Stdout != &stdout) {
				t.Errorf("run options: OnCheck set %v, Stdout is the command's %v", got.OnCheck != nil, got.Stdout == &stdout)
			}
			ignore := cmp.Options{
				cmpopts.IgnoreFields(build.Options{}, "OnCheck", "Stdout", "ProgressOut", "Observer"),
				cmpopts.IgnoreFields(config.Options{}, "Stdin", "Env"),
				cmpopts.EquateEmpty(),
			}
			if diff := cmp.Diff(tt.want, got, ignore); diff != "" {
				t.Errorf("options (-want +got):\n%s", diff)
			}
		})
	}
}

// TestEveryFlagHasACase: each flag of each command is in some command line
// of optionCases, so no flag goes unwired silently; --help and --version
// print, and are tested with what they print.
func TestEveryFlagHasACase(t *testing.T) {
	used := map[string]map[string]bool{} // command → flag names used
	for _, tt := range optionCases {
		cmd := tt.args[0]
		if tt.args[0] == "-D" {
			cmd = tt.args[1]
		}
		if used[cmd] == nil {
			used[cmd] = map[string]bool{}
		}
		for _, a := range tt.args {
			name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
			if strings.HasPrefix(a, "-") {
				used[cmd][name] = true
			}
		}
	}
	// Flags whose effect is output, tested where that output is.
	elsewhere := map[string]bool{"help": true, "h": true, "version": true}
	a := &app{stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}, lib: (&recorder{}).library()}
	for _, c := range a.command(nil).Commands {
		if c.Name == "builder" || c.Name == "schema" || c.Name == "version" {
			if len(c.Flags) > 0 {
				t.Errorf("%s has flags and no case", c.Name)
			}
			continue
		}
		for _, f := range c.Flags {
			for _, n := range f.Names() {
				if !used[c.Name][n] && !elsewhere[n] {
					t.Errorf("orch %s: flag %s is in no case of optionCases", c.Name, flagName(n))
				}
			}
		}
	}
	root := a.command(nil)
	for _, f := range root.Flags {
		for _, n := range f.Names() {
			if !elsewhere[n] && !used["build"][n] {
				t.Errorf("orch: flag %s is in no case", flagName(n))
			}
		}
	}
}

func flagName(n string) string {
	if len(n) == 1 {
		return "-" + n
	}
	return "--" + n
}
