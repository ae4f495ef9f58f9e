package main

import (
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/orch-build/orch/graph"
)

func planCommand() *cli.Command {
	return &cli.Command{
		Name:      "plan",
		Usage:     "show what would be built, in which order and why, without building",
		ArgsUsage: "[TARGET|GROUP|PATTERN...]",
		Description: "Selects targets as build does (names, groups, globs such as 'app-*', all; the\n" +
			"default group when none is named), adds the targets they link to through\n" +
			"target: contexts and depends_on, and prints one line per target in execution\n" +
			"order: what it waits for, its platforms, where its outputs go and why it is in\n" +
			"the plan. Targets built only as contexts of others are not exported.\n" +
			"Unknown names, cycles, platform mismatches of linked targets and outputs that\n" +
			"would overwrite each other are reported here, before anything runs.\n" +
			"--format json prints the document described by schema/plan.schema.json.",
		Flags: append(configFlags(), formatFlag("table", "json")),
		Action: func(c *cli.Context) error {
			format, err := outputFormat(c, "table", "json")
			if err != nil {
				return err
			}
			p, err := planSelection(c, "plan")
			if err != nil {
				return err
			}
			if format == "json" {
				return p.WriteJSON(c.App.Writer)
			}
			// Paths under the working directory print relative to it,
			// which is how the user wrote them in most files.
			wd, err := os.Getwd()
			if err != nil {
				wd = ""
			}
			return p.WriteTable(c.App.Writer, graph.RenderOptions{Dir: wd})
		},
	}
}

// planSelection loads the configuration and plans the targets named on the
// command line. Planning errors are rendered like configuration errors,
// with the source line of every link involved; the returned error then
// wraps errUsage and errReported. cmd names the command in that error.
func planSelection(c *cli.Context, cmd string) (*graph.Plan, error) {
	cfg, err := loadConfig(c)
	if err != nil {
		return nil, err
	}
	p, err := graph.New(cfg, targetNames(c))
	if err != nil {
		writeDiagnostics(c.App.ErrWriter, graph.Diagnostics(err), cfg.Sources)
		return nil, fmt.Errorf("%s: %w: %w", cmd, errUsage, errReported)
	}
	return p, nil
}
