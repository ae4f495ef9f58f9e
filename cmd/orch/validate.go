package main

import (
	"fmt"

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
			"when it is not.",
		Flags: append(fileFlags(), overrideFlags()...),
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
			cfg := ch.Config
			fmt.Fprintf(a.stdout, "ok: %d %s, %d %s, %d %s\n",
				len(cfg.Targets), plural(len(cfg.Targets), "target", "targets"),
				len(cfg.Groups), plural(len(cfg.Groups), "group", "groups"),
				len(cfg.Variables), plural(len(cfg.Variables), "variable", "variables"))
			return nil
		},
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
