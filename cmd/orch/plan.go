package main

import (
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/orch-build/orch/graph"
	"github.com/orch-build/orch/runner"
	"github.com/orch-build/orch/runner/build"
)

func (a *app) planCommand() *cli.Command {
	return &cli.Command{
		Name:      "plan",
		Usage:     "show what would be built, in which order and why, without building",
		ArgsUsage: "[TARGET|GROUP|PATTERN...]",
		Description: "Selects targets as build does (names, groups, globs such as 'app-*', all; the\n" +
			"default group when none is named), adds the targets they link to through\n" +
			"target: contexts and depends_on, and prints one line per target in execution\n" +
			"order: what it waits for, its platforms, where its outputs go, why it is in\n" +
			"the plan and its state: up-to-date (its destinations hold the image of its\n" +
			"current inputs, so build skips it) or what changed. Targets built only as\n" +
			"contexts of others are not exported.\n" +
			"Every problem build would report before building (validate's checks) is\n" +
			"reported here, before anything runs.\n" +
			"--format json prints the document described by schema/plan.schema.json.\n" +
			"With --builder (repeatable, or a buildx builder's name) the plan is placed\n" +
			"on that pool of builder nodes as a run would place it: the node of every\n" +
			"target and platform, emulated platforms, and the linked results that cross\n" +
			"nodes as OCI layouts. Nothing is built.",
		Flags: append(append(append(fileFlags(), overrideFlags()...), builderFlags()...), formatFlag("table", "json"), forceFlag(), affectedFlag()),
		Action: func(c *cli.Context) error {
			format, err := outputFormat(c, "table", "json")
			if err != nil {
				return err
			}
			opts, err := checkOptions(c)
			if err != nil {
				return err
			}
			pool := c.IsSet("builder")
			if pool {
				opts.Builder = builderOptions(c)
			}
			ch, err := a.lib.plan(c.Context, opts)
			writeDiagnostics(a.stderr, ch.Diagnostics, ch.Config.Sources)
			if err != nil {
				return &reportedError{err}
			}
			p := ch.Plan
			var forecast *runner.Forecast
			if pool {
				var warnings []string
				forecast, warnings, err = build.Forecast(c.Context, opts, p)
				if err != nil {
					return err
				}
				for _, w := range warnings {
					fmt.Fprintf(a.stderr, "orch: warning: %s\n", w)
				}
			}
			if format == "json" {
				doc := p.Document()
				if forecast != nil {
					forecast.Annotate(doc)
				}
				return doc.Write(a.stdout)
			}
			// Paths under the working directory print relative to it,
			// which is how the user wrote them in most files.
			wd, err := os.Getwd()
			if err != nil {
				wd = ""
			}
			if err := p.WriteTable(a.stdout, graph.RenderOptions{Dir: wd}); err != nil || forecast == nil {
				return err
			}
			fmt.Fprintln(a.stdout)
			return forecast.WriteTable(a.stdout)
		},
	}
}

// plan runs the check of build for the selection of c and returns its
// plan, without the incremental check (orch graph). Diagnostics are
// rendered once; a failed check is reported.
func (a *app) plan(c *cli.Context) (*graph.Plan, error) {
	opts, err := checkOptions(c)
	if err != nil {
		return nil, err
	}
	return a.checkedPlan(opts)
}

// checkedPlan is plan with the options read.
func (a *app) checkedPlan(opts build.Options) (*graph.Plan, error) {
	ch, err := a.lib.check(opts)
	writeDiagnostics(a.stderr, ch.Diagnostics, ch.Config.Sources)
	if err != nil {
		return nil, &reportedError{err}
	}
	return ch.Plan, nil
}
