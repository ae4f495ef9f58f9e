package main

import (
	"github.com/urfave/cli/v2"

	"github.com/orch-build/orch/runner/build"
)

// reportCommand turns a JSON run report (--report) into the views a build
// writes with --report-html and --trace, so CI can keep the JSON alone.
func (a *app) reportCommand() *cli.Command {
	view := func(name, usage string) *cli.Command {
		return &cli.Command{
			Name:      name,
			Usage:     usage,
			ArgsUsage: "REPORT.json",
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "output", Aliases: []string{"o"}, TakesFile: true, Usage: "write to `FILE` (default: standard output)"},
			},
			Action: func(c *cli.Context) error {
				if c.NArg() != 1 {
					return usageErrorf("orch report %s: want one JSON run report, as --report writes it", name)
				}
				return build.WriteView(name, c.Args().First(), c.String("output"), a.stdout)
			},
		}
	}
	return &cli.Command{
		Name:   "report",
		Usage:  "turn a JSON run report (--report) into an HTML page or a trace file",
		Action: commandsAction,
		Subcommands: []*cli.Command{
			view("html", "write the report as the self-contained HTML page --report-html writes"),
			view("trace", "write the report as the Chrome trace-event file --trace writes"),
		},
	}
}
