package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/orch-build/orch/config"
	"github.com/orch-build/orch/runner"
	"github.com/orch-build/orch/runner/build"
	"github.com/orch-build/orch/runner/buildkit"
)

// The flags of the commands, in groups that several commands share. Each
// flag is turned into options in one place: loadOptions, checkOptions or
// buildOptions. Numbers are read as strings so that a bad value gets a
// message that names the flag and what it takes.

// fileFlags name the definition files and the values that change them:
// every command that reads the files has them.
func fileFlags() []cli.Flag {
	return []cli.Flag{
		repeatable("file", "read `FILE` (repeatable, merged in order; \"-\" reads standard input); default orch.hcl, orch.json, then docker-bake.*", "f"),
		repeatable("set", "override a target attribute, `PATTERN.KEY[.NAME]=VALUE` or PATTERN.KEY+=VALUE (repeatable)"),
		repeatable("var", "set a variable, `NAME=VALUE` (repeatable; wins over the environment)"),
	}
}

// overrideFlags are bake's shorthands for --set overrides of every
// target; commands that evaluate targets have them, so that `orch print
// --push` shows what `orch build --push` builds.
func overrideFlags() []cli.Flag {
	return []cli.Flag{
		boolFlag("push", "push every image output to its registry (--set '*.push=true')"),
		boolFlag("load", "load every image into the local image store, containerd (CONTAINERD_ADDRESS) or else Podman (CONTAINER_HOST) (--set '*.load=true')"),
		boolFlag("no-cache", "build without the build cache (--set '*.no-cache=true')"),
		boolFlag("pull", "always pull referenced images (--set '*.pull=true')"),
		&cli.StringFlag{Name: "sbom", Usage: "SBOM attestation: true, false or its `OPTIONS` (--set '*.attest=type=sbom,...')"},
		&cli.StringFlag{Name: "provenance", Usage: "provenance attestation: true, false or its `OPTIONS` such as mode=max (--set '*.attest=type=provenance,...')"},
		&cli.StringFlag{Name: "call", Usage: "frontend `METHOD` to call instead of building: build (the default), check, outline or targets, with ,format=json or ,ignorestatus=true (--set '*.call=...'); check exits 1 on warnings"},
		boolFlag("check", "shorthand for --call check"),
		repeatable("policy", "source policy `OPTIONS`, as bake's (repeatable); only disabled=true is accepted yet"),
	}
}

// affectedFlag narrows the selection to what changed since a git
// revision: build, plan and ls have it.
func affectedFlag() cli.Flag {
	return &cli.StringFlag{Name: "affected-since", Usage: "select only the targets whose inputs (context files, Dockerfiles, the definition files) changed between git revision `REV` and the working tree, and every target that depends on them"}
}

// forceFlag builds what is up to date too: build and plan have it.
func forceFlag() cli.Flag {
	return boolFlag("force", "build every selected target, also those whose destinations hold the image of their current inputs (bake's behaviour)")
}

// builderFlags name the builders: --builder (repeatable; BUILDKIT_HOST
// when none is given) and TLS files.
func builderFlags() []cli.Flag {
	return []cli.Flag{
		repeatable("builder", "BuildKit daemon `ADDR` (unix://, tcp://, docker-container://, kube-pod://, podman-container://, ssh://) or a buildx builder's NAME, "+
			"with ,max=N (solves at once) and ,name=NAME; repeat for a pool of nodes; default: $BUILDKIT_HOST, else orch's managed local buildkitd"),
		&cli.StringFlag{Name: "tlscacert", TakesFile: true, Usage: "CA certificate `FILE` for a tcp:// builder"},
		&cli.StringFlag{Name: "tlscert", TakesFile: true, Usage: "client certificate `FILE` for a tcp:// builder"},
		&cli.StringFlag{Name: "tlskey", TakesFile: true, Usage: "client key `FILE` for a tcp:// builder"},
	}
}

// runFlags are the settings of a run.
func runFlags() []cli.Flag {
	return []cli.Flag{
		repeatable("allow", "grant an `ENTITLEMENT` a target asks for: network.host, security.insecure, device (repeatable, as bake's)"),
		&cli.StringFlag{
			Name: "jobs", Aliases: []string{"j"},
			Usage:       "run at most `N` solves at once; bake's MODE[,parallel=N] works too (fail-fast; defer-error: --keep-going; defer-output: --atomic)",
			DefaultText: strconv.Itoa(runner.DefaultJobs()),
		},
		boolFlag("keep-going", "after a failure, finish every target that does not depend on it", "k"),
		&cli.StringFlag{Name: "retries", Value: "0", DefaultText: "0", Usage: "retry a transient failure (registry 5xx/429, dropped connection) up to `N` times"},
		boolFlag("atomic", "publish only when every target built: push by digest while building, then move tags, write local outputs and create containerd images"),
		&cli.StringFlag{Name: "registry-jobs", Value: "4", DefaultText: "4", Usage: "push at most `N` images to one registry host at once, across all targets (0: no limit)"},
		&cli.StringFlag{
			Name: "progress", Value: "auto", DefaultText: "auto", EnvVars: []string{"BUILDKIT_PROGRESS"},
			Usage: "progress display `MODE`: " + orList(build.ProgressModes) + " (none is quiet)",
		},
		&cli.StringFlag{Name: "report", TakesFile: true, Usage: "write a JSON run report to `FILE`"},
		&cli.StringFlag{Name: "junit", TakesFile: true, Usage: "write a JUnit XML report to `FILE`, one testcase per target"},
		&cli.StringFlag{Name: "metadata-file", TakesFile: true, Usage: "write buildx-compatible build metadata to `FILE`"},
		&cli.StringFlag{Name: "log-dir", TakesFile: true, Usage: "write one plain build log per target into `DIR`"},
		&cli.StringFlag{Name: "report-html", TakesFile: true, Usage: "write the run as a self-contained HTML page to `FILE`: timeline, dependency graph, failures"},
		&cli.StringFlag{Name: "trace", TakesFile: true, Usage: "write the run as a Chrome trace-event file to `FILE`, for Perfetto or chrome://tracing"},
		&cli.StringFlag{Name: "list", Usage: "list targets or variables instead of building, as bake: `TYPE`[,format=json] (targets or variables)"},
		boolFlag("print", "print the resolved targets instead of building (as orch print)"),
	}
}

// loadOptions turns the file flags of c into options; the positional
// arguments are the selection.
func loadOptions(c *cli.Context) (build.Options, error) {
	opts := build.Options{
		Config: config.Options{
			Files: values(c, "file"),
			Sets:  values(c, "set"),
			Stdin: os.Stdin,
			Env:   os.Environ(),
		},
		Targets: c.Args().Slice(),
	}
	if c.IsSet("affected-since") {
		if opts.AffectedSince = c.String("affected-since"); opts.AffectedSince == "" {
			return opts, usageErrorf("--affected-since needs a git revision, such as main or HEAD~1")
		}
	}
	for _, v := range values(c, "var") {
		name, value, ok := strings.Cut(v, "=")
		if !ok || name == "" {
			return opts, usageErrorf("--var %q: expected NAME=VALUE", v)
		}
		if opts.Config.Vars == nil {
			opts.Config.Vars = map[string]string{}
		}
		opts.Config.Vars[name] = value
	}
	return opts, nil
}

// checkOptions adds the override flags to loadOptions.
func checkOptions(c *cli.Context) (build.Options, error) {
	opts, err := loadOptions(c)
	if err != nil {
		return opts, err
	}
	o := &opts.Overrides
	o.Push = c.Bool("push")
	o.Load = c.Bool("load")
	if c.IsSet("no-cache") {
		v := c.Bool("no-cache")
		o.NoCache = &v
	}
	if c.IsSet("pull") {
		v := c.Bool("pull")
		o.Pull = &v
	}
	o.SBOM = c.String("sbom")
	o.Provenance = c.String("provenance")
	o.Call = c.String("call")
	if c.Bool("check") {
		o.Call = "check"
	}
	o.Policy = values(c, "policy")
	opts.Force = c.Bool("force")
	return opts, nil
}

// buildOptions adds the builder and run flags to checkOptions.
func buildOptions(c *cli.Context) (build.Options, error) {
	opts, err := checkOptions(c)
	if err != nil {
		return opts, err
	}
	opts.Builder = builderOptions(c)
	opts.Allow = values(c, "allow")
	if opts.Jobs, opts.KeepGoing, opts.Atomic, err = parseJobs(c.String("jobs")); err != nil {
		return opts, err
	}
	opts.KeepGoing = opts.KeepGoing || c.Bool("keep-going")
	opts.Atomic = opts.Atomic || c.Bool("atomic")
	if opts.Retries, err = intFlag(c, "retries"); err != nil {
		return opts, err
	}
	if opts.RegistryJobs, err = intFlag(c, "registry-jobs"); err != nil {
		return opts, err
	}
	opts.Progress = c.String("progress")
	opts.Report = c.String("report")
	opts.JUnit = c.String("junit")
	opts.MetadataFile = c.String("metadata-file")
	opts.LogDir = c.String("log-dir")
	opts.ReportHTML = c.String("report-html")
	opts.Trace = c.String("trace")
	return opts, nil
}

// builderOptions reads the builder flags of c: the --builder values, or
// BUILDKIT_HOST as the one node when there are none.
func builderOptions(c *cli.Context) buildkit.BuilderOptions {
	b := buildkit.BuilderOptions{
		Builders:  values(c, "builder"),
		TLSCACert: c.String("tlscacert"),
		TLSCert:   c.String("tlscert"),
		TLSKey:    c.String("tlskey"),
	}
	if len(b.Builders) == 0 {
		b.Addr = os.Getenv("BUILDKIT_HOST")
	}
	return b
}

// intFlag reads a numeric flag of c; the range is the library's to check.
func intFlag(c *cli.Context, name string) (int, error) {
	s := c.String(name)
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, usageErrorf("--%s %q: want a whole number", name, s)
	}
	return n, nil
}

// parseJobs reads --jobs: orch's N, or bake's "MODE[,parallel=N]", where
// fail-fast is orch's default, defer-error keeps going past failures and
// defer-output writes outputs only once every target built (--atomic).
// An empty value is the default job count.
func parseJobs(s string) (jobs int, keepGoing, atomic bool, err error) {
	if s == "" {
		return 0, false, false, nil
	}
	if n, err := strconv.Atoi(s); err == nil {
		return n, false, false, nil
	}
	seen := map[string]bool{}
	for _, field := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(field), "=")
		if !ok {
			k, v = "mode", k
		}
		if seen[k] {
			return 0, false, false, usageErrorf("--jobs %q: %s given twice", s, k)
		}
		seen[k] = true
		switch k {
		case "mode":
			switch v {
			case "fail-fast":
			case "defer-error":
				keepGoing = true
			case "defer-output":
				atomic = true
			default:
				return 0, false, false, usageErrorf("--jobs %q: mode %q: want fail-fast, defer-error or defer-output", s, v)
			}
		case "parallel":
			n, err := strconv.Atoi(v)
			if err != nil {
				return 0, false, false, usageErrorf("--jobs %q: parallel=%q: want a whole number", s, v)
			}
			jobs = n
		default:
			return 0, false, false, usageErrorf("--jobs %q: want N or MODE[,parallel=N]", s)
		}
	}
	return jobs, keepGoing, atomic, nil
}

// orList renders ["a", "b", "c"] as "a, b or c".
func orList(items []string) string {
	if len(items) == 1 {
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " or " + items[len(items)-1]
}

// usageErrorf formats an error the user fixes by changing the command.
func usageErrorf(format string, args ...any) error {
	return &usageError{err: fmt.Errorf(format, args...)}
}

// boolFlag is a flag that is off unless given; its help shows no default.
func boolFlag(name, usage string, aliases ...string) cli.Flag {
	return &cli.BoolFlag{Name: name, Aliases: aliases, Usage: usage, DisableDefaultText: true}
}

// repeatable is a flag that may be given several times and keeps every
// value whole: a slice flag would split values at commas, which breaks
// --set app.output=type=local,dest=out and --var LIST=a,b.
func repeatable(name, usage string, aliases ...string) cli.Flag {
	return &cli.GenericFlag{Name: name, Aliases: aliases, Usage: usage, Value: &repeated{}}
}

// repeated holds the values of a repeatable flag, under all its names.
type repeated struct{ values []string }

// copied is what Serialize returns and Set ignores: after parsing, v2
// copies a flag given by one name to its other names by calling Set with
// Serialize's result, and as every name holds the same values nothing is
// to be copied. No argument can hold it: a command line has no NUL bytes.
const copied = "\x00repeated"

func (r *repeated) Set(v string) error {
	if v != copied {
		r.values = append(r.values, v)
	}
	return nil
}

func (r *repeated) String() string    { return "" }
func (r *repeated) Serialize() string { return copied }

// values returns the values of the repeatable flag name of c.
func values(c *cli.Context, name string) []string {
	if r, ok := c.Generic(name).(*repeated); ok {
		return r.values
	}
	return nil
}
