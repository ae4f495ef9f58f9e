package main

import (
	"errors"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/orch-build/orch/runner"
	"github.com/orch-build/orch/runner/build"
)

func (a *app) buildCommand() *cli.Command {
	flags := append(fileFlags(), overrideFlags()...)
	flags = append(flags, builderFlags()...)
	flags = append(flags, runFlags()...)
	flags = append(flags, forceFlag(), affectedFlag())
	return &cli.Command{
		Name:      "build",
		Usage:     "build the selected targets and write their outputs",
		ArgsUsage: "[TARGET|GROUP...]",
		Description: "Checks every selected target as validate does, then builds them in dependency\n" +
			"order, in parallel, and writes each result to its outputs. A target whose\n" +
			"destinations all hold the image of its current inputs is up to date and is not\n" +
			"built (--force builds it; orch plan says why each target builds). The summary at\n" +
			"the end names every failure; --report, --junit and --metadata-file keep it.",
		Flags:  flags,
		Action: a.buildAction,
	}
}

func (a *app) buildAction(c *cli.Context) error {
	if list := c.String("list"); list != "" {
		if c.Bool("print") {
			return usageErrorf("--print and --list cannot be used together")
		}
		return a.list(c, list)
	}
	if c.Bool("print") {
		return a.printAction(c)
	}
	opts, err := buildOptions(c)
	if err != nil {
		return err
	}
	opts.Stdout = a.stdout
	if f, ok := a.stderr.(*os.File); ok {
		opts.ProgressOut = f
	}
	opts.OnCheck = func(ch *build.Checked) { writeDiagnostics(a.stderr, ch.Diagnostics, ch.Config.Sources) }
	res, err := a.lib.run(c.Context, opts)
	if res != nil && res.Report != nil {
		if !onlyCalls(res.Report) {
			_ = res.Report.WriteSummary(a.stderr)
		}
		// What --call check, outline and targets answered goes to
		// standard output, as bake prints it.
		if werr := res.WriteCalls(a.stdout); werr != nil {
			err = errors.Join(err, werr)
		}
	}
	switch {
	case err == nil:
		return nil
	case errors.Is(err, build.ErrConfig):
		// OnCheck has printed every diagnostic.
		return &reportedError{err}
	}
	// The summary names every failed target; print the rest, once each.
	var rest []error
	for _, e := range flatten(err) {
		if !errors.Is(e, runner.ErrFailed) && !errors.Is(e, runner.ErrInterrupted) {
			rest = append(rest, e)
		}
	}
	if len(rest) > 0 {
		writeError(a.stderr, errors.Join(rest...), a.debug)
	}
	return &reportedError{err}
}

// onlyCalls reports whether every target of a run called a frontend
// method (--call check, outline, targets) and got its answer: then, as
// with bake, the answers are all there is to show, and a summary calling
// the targets "built" would mislead.
func onlyCalls(rep *runner.Report) bool {
	for _, o := range rep.Outcomes {
		if o.Result == nil || o.Result.Call == nil {
			return false
		}
	}
	return len(rep.Outcomes) > 0
}
