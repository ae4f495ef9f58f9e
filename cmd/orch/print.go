package main

import (
	"fmt"

	"github.com/urfave/cli/v2"
)

func printCommand() *cli.Command {
	return &cli.Command{
		Name:      "print",
		Usage:     "print the selected targets as `docker buildx bake --print` does",
		ArgsUsage: "[TARGET|GROUP...]",
		Description: "Prints the same JSON document as docker buildx bake --print for the same files,\n" +
			"flags and environment. Paths appear as written, as bake shows them; orch itself\n" +
			"resolves them against the directory of the file that declares them.",
		Flags: configFlags(),
		Action: func(c *cli.Context) error {
			cfg, err := loadConfig(c)
			if err != nil {
				return err
			}
			if diags := cfg.WritePrintJSON(c.App.Writer, targetNames(c)); diags.HasErrors() {
				writeDiagnostics(c.App.ErrWriter, diags, cfg.Sources)
				return fmt.Errorf("print: %w: %w", errUsage, errReported)
			}
			return nil
		},
	}
}
