package main

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/urfave/cli/v2"

	"github.com/orch-build/orch/graph"
)

func (a *app) validateCommand() *cli.Command {
	return &cli.Command{
		Name:      "validate",
		Usage:     "check the definition files and every target, and report every problem",
		ArgsUsage: "[TARGET|GROUP|PATTERN...]",
		Description: "Runs every check build runs before it contacts a builder: it loads and\n" +
			"evaluates the files, plans the selection (every target when none is named:\n" +
			"cycles, platform mismatches of linked targets, outputs that would overwrite\n" +
			"each other) and checks each target (context directories, Dockerfiles, secrets,\n" +
			"network, shm-size, entitlements, outputs). Every problem is reported with its\n" +
			"file, line and column. Exits 0 when everything is valid (warnings allowed), 2\n" +
			"when it is not; with --strict a warning (an attribute bake ignores, ...) counts\n" +
			"as an error.",
		Flags: append(append(fileFlags(), overrideFlags()...),
			boolFlag("strict", "treat warnings as errors (exit 2 when there is any)")),
		Action: func(c *cli.Context) error {
			opts, err := checkOptions(c)
			if err != nil {
				return err
			}
			if len(opts.Targets) == 0 {
				opts.Targets = []string{graph.AllName}
			}
			ch, err := a.lib.check(opts)
			writeDiagnostics(a.stderr, ch.Diagnostics, ch.Config.Sources)
			if err != nil {
				return &reportedError{err}
			}
			if n := countWarnings(ch.Diagnostics); n > 0 && c.Bool("strict") {
				return usageErrorf("--strict: %d %s count as errors", n, plural(n, "warning", "warnings"))
			}
			cfg := ch.Config
			fmt.Fprintf(a.stdout, "ok: %d %s, %d %s, %d %s\n",
				len(cfg.Targets), plural(len(cfg.Targets), "target", "targets"),
				len(cfg.Groups), plural(len(cfg.Groups), "group", "groups"),
				len(cfg.Variables), plural(len(cfg.Variables), "variable", "variables"))
			return nil
		},
	}
}

// countWarnings counts the warnings among diags.
func countWarnings(diags hcl.Diagnostics) int {
	n := 0
	for _, d := range diags {
		if d.Severity == hcl.DiagWarning {
			n++
		}
	}
	return n
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
