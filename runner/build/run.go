package build

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/orch-build/orch/config"
	"github.com/orch-build/orch/runner"
	"github.com/orch-build/orch/runner/buildkit"
	"github.com/orch-build/orch/runner/dest"
	"github.com/orch-build/orch/runner/fingerprint"
	"github.com/orch-build/orch/runner/report"
	"github.com/orch-build/orch/runner/telemetry"
)

// Result is what Run did.
type Result struct {
	// Checked is the check that preceded the build; never nil once the
	// options were valid.
	*Checked
	// Report is the run's report, nil when nothing was run (invalid
	// options, a failed check, an unreachable builder). Its Warnings
	// include the adapter's.
	Report *runner.Report

	// call is --call, which says how WriteCalls prints; nil for a build.
	// selection is Options.Targets, for the JSON form's definitions.
	call      *buildkit.Call
	selection []string
}

// reportFiles are the report files Run writes, by the option that names
// them.
var reportFiles = []struct {
	option string
	path   func(Options) string
	write  func(rep *runner.Report, path string, w io.Writer) error
}{
	{"--report", func(o Options) string { return o.Report }, ignorePath((*runner.Report).WriteJSON)},
	{"--junit", func(o Options) string { return o.JUnit }, ignorePath((*runner.Report).WriteJUnit)},
	{"--metadata-file", func(o Options) string { return o.MetadataFile }, ignorePath((*runner.Report).WriteMetadata)},
	{"--report-html", func(o Options) string { return o.ReportHTML }, writeHTML},
	{"--trace", func(o Options) string { return o.Trace }, ignorePath(func(rep *runner.Report, w io.Writer) error { return report.WriteTrace(w, rep) })},
}

// writeHTML writes the HTML report for a page at path: its links to log
// files are relative to the page's directory.
func writeHTML(rep *runner.Report, path string, w io.Writer) error {
	return report.WriteHTML(w, rep, report.HTMLOptions{Dir: filepath.Dir(path)})
}

// ignorePath adapts a writer that does not care where its file goes.
func ignorePath(write func(*runner.Report, io.Writer) error) func(*runner.Report, string, io.Writer) error {
	return func(rep *runner.Report, _ string, w io.Writer) error { return write(rep, w) }
}

// FileError is a report file Run could not write. The build itself has
// run; the error wraps the cause.
type FileError struct {
	// Option names the option that named the file: "--report", "--junit",
	// "--metadata-file", "--report-html" or "--trace".
	Option string
	Err    error
}

func (e *FileError) Error() string { return e.Option + ": " + e.Err.Error() }
func (e *FileError) Unwrap() error { return e.Err }

// Run checks the selection as Check does and, when no check failed, builds
// it: it connects to the builder (starting the managed buildkitd when none
// is named), runs every target with the runner, publishes an atomic run at
// the end, and writes the report files. The error wraps ErrInvalidOptions,
// ErrNotSupported or ErrConfig for what the user has to change,
// runner.ErrFailed when a target failed, ErrCallStatus when a called
// method (--call check) reported problems, runner.ErrInterrupted when ctx
// was cancelled, and is a *FileError (joined with the run's error) for a
// report file not written. Result is never nil.
func Run(ctx context.Context, opts Options) (*Result, error) {
	res := &Result{}
	if err := opts.validate(); err != nil {
		return res, err
	}
	// Valid once validate passed: Check parses it again for the sets.
	res.call, _ = parseCall(opts.Overrides.Call)
	res.selection = opts.Targets
	if opts.Progress == "none" {
		opts.Progress = "quiet"
	}
	ch, err := Check(opts)
	if err == nil || errors.Is(err, ErrConfig) {
		// What a run grants is checked with the rest, so every problem
		// comes out at once.
		ch.Diagnostics = append(ch.Diagnostics, buildkit.CheckEntitlements(ch.targets, opts.Allow)...)
		ch.Diagnostics = append(ch.Diagnostics, buildkit.CheckStdout(ch.exported(), stdout(opts))...)
		err = ch.err()
	}
	res.Checked = ch
	if opts.OnCheck != nil {
		opts.OnCheck(ch)
	}
	if err != nil {
		return res, err
	}

	// With OTEL_EXPORTER_OTLP_ENDPOINT set, the run is traced: the
	// builder's client is made with the run's context, whose span gives it
	// the tracer provider, so BuildKit's spans join orch's trace.
	tel, ctx, err := telemetry.FromEnv(ctx, os.Getenv, orchVersion())
	if err != nil {
		return res, invalid("%w", err)
	}
	if tel != nil {
		defer func() { endTrace(ctx, tel, res.Report) }()
	}
	// The layouts are locked before a builder is contacted: a busy
	// layout is refused before anything starts, and no other run writes
	// the destinations the incremental check reads.
	cache, warnings := cacheDir()
	dests, err := dest.Open(ch.Plan, dest.Options{Stdout: opts.Stdout, RegistryJobs: opts.RegistryJobs, RecordDir: cache})
	if err != nil {
		return res, err
	}
	defer dests.Close()
	inc, err := decide(ctx, ch.Plan, cache, opts.Force)
	if err != nil {
		return res, fmt.Errorf("%w: %w", runner.ErrInterrupted, err)
	}
	inc.warnings = append(warnings, inc.warnings...)
	pool, err := buildkit.OpenPool(ctx, opts.Builder)
	if err != nil {
		return res, err
	}
	defer pool.Close()
	// --atomic is one wrapper around the destinations.
	var out dest.Destinations = dests
	var atomic *dest.Atomic
	if opts.Atomic {
		atomic = dest.NewAtomic(dests)
		out = atomic
	}
	solver, err := buildkit.NewPoolSolver(ctx, pool, ch.Plan, buildkit.Options{
		Progress:     opts.Progress,
		ProgressOut:  opts.ProgressOut,
		Destinations: out,
	})
	if err != nil {
		return res, err
	}
	var run runner.Solver = solver
	observer := opts.Observer
	if tel != nil {
		run, observer = tel.Solver(solver), runner.Observers(tel, opts.Observer)
	}
	rep, runErr := runner.Run(ctx, ch.Plan, run, runner.Options{
		Jobs:      opts.Jobs,
		KeepGoing: opts.KeepGoing,
		Retries:   opts.Retries,
		LogDir:    opts.LogDir,
		Observer:  observer,
		Pool:      pool.Runner(opts.Jobs),
	})
	if atomic != nil {
		runErr = runner.Finish(ctx, atomic, rep, runErr)
	}
	if err := solver.Close(); err != nil && runErr == nil {
		runErr = err
	}
	res.Report = rep
	if rep == nil {
		return res, runErr
	}
	inc.record(rep)
	rep.Warnings = append(rep.Warnings, solver.Warnings()...)
	rep.Warnings = append(rep.Warnings, inc.warnings...)
	rep.Warnings = append(rep.Warnings, pool.Warnings...)
	if tel != nil {
		// Sent before the report files are written, so that a collector
		// that could not be reached is among the warnings.
		if err := endTrace(ctx, tel, rep); err != nil {
			rep.Warnings = append(rep.Warnings, err.Error())
		}
	}
	return res, errors.Join(runErr, res.callStatus(), writeReports(opts, rep))
}

// stdout is where outputs with dest=- go.
func stdout(opts Options) io.Writer {
	if opts.Stdout == nil {
		return os.Stdout
	}
	return opts.Stdout
}

// exported lists the targets whose outputs a build writes: the plan's
// exported nodes, or every target checked when there is no plan.
func (c *Checked) exported() []*config.Target {
	if c.Plan == nil {
		return c.targets
	}
	var out []*config.Target
	for _, n := range c.Plan.Nodes {
		if n.Export {
			out = append(out, n.Target)
		}
	}
	return out
}

// traceFlushTimeout bounds the wait for a collector at the end of a run.
const traceFlushTimeout = 10 * time.Second

// endTrace ends the run's trace once (later calls return nil) and sends
// its spans, also after an interruption.
func endTrace(ctx context.Context, tel *telemetry.Tracer, rep *runner.Report) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), traceFlushTimeout)
	defer cancel()
	return tel.End(ctx, rep)
}

// orchVersion is the module version orch was built as, for the trace.
func orchVersion() string {
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" {
		return info.Main.Version
	}
	return "devel"
}

// Plan checks the selection as Check does and then runs the incremental
// check a build would run, without a builder: every node of the plan gets
// its graph.Freshness, which says whether the target is up to date or
// what changed. Problems of the check that change no verdict (a cache that
// cannot be written) are warnings among the diagnostics.
func Plan(ctx context.Context, opts Options) (*Checked, error) {
	ch, err := Check(opts)
	if err != nil {
		return ch, err
	}
	cache, warnings := cacheDir()
	inc, err := decide(ctx, ch.Plan, cache, opts.Force)
	if err != nil {
		return ch, fmt.Errorf("%w: %w", runner.ErrInterrupted, err)
	}
	for _, w := range append(warnings, inc.warnings...) {
		ch.Diagnostics = append(ch.Diagnostics, &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "Incremental check", Detail: w})
	}
	return ch, nil
}

// cacheDir is orch's cache directory, "" with a warning when there is
// none.
func cacheDir() (string, []string) {
	dir, err := fingerprint.Dir()
	if err != nil {
		return "", []string{fmt.Sprintf("incremental builds: %v; every context is read in full and nothing is recorded", err)}
	}
	return dir, nil
}

// writeReports writes every report file opts names; each failure is a
// *FileError.
func writeReports(opts Options, rep *runner.Report) error {
	var errs []error
	for _, f := range reportFiles {
		if p := f.path(opts); p != "" {
			err := runner.WriteFile(p, func(w io.Writer) error { return f.write(rep, p, w) })
			if err != nil {
				errs = append(errs, &FileError{Option: f.option, Err: err})
			}
		}
	}
	return errors.Join(errs...)
}
