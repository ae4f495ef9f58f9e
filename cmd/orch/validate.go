package main

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/orch-build/orch/config"
	"github.com/urfave/cli/v2"
)

func validateCommand() *cli.Command {
	return &cli.Command{
		Name:  "validate",
		Usage: "check the definition files and report every problem",
		Description: "Loads and evaluates the files as build would, and reports every problem with\n" +
			"its file, line and column. Exits 0 when the files are valid (warnings allowed),\n" +
			"1 when they are not.",
		Flags: configFlags(),
		Action: func(c *cli.Context) error {
			opts, err := configOptions(c)
			if err != nil {
				return err
			}
			cfg, diags := config.Load(opts)
			writeDiagnostics(c.App.ErrWriter, diags, cfg.Sources)
			if diags.HasErrors() {
				n := 0
				for _, d := range diags {
					if d.Severity == hcl.DiagError {
						n++
					}
				}
				return fmt.Errorf("validate: %d %s: %w: %w", n, plural(n, "error", "errors"), errFailed, errReported)
			}
			fmt.Fprintf(c.App.Writer, "ok: %d %s, %d %s, %d %s\n",
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
