package main

import (
	"slices"

	"github.com/urfave/cli/v3"
)

// formatFlag is the --format flag of a command that prints in one of
// formats; the first is the default.
func formatFlag(formats ...string) cli.Flag {
	return &cli.StringFlag{
		Name:  "format",
		Value: formats[0], DefaultText: formats[0],
		Usage: "output `FORMAT`: " + orList(formats),
	}
}

// outputFormat returns the --format value of cmd, or a usage error that
// names the formats the command knows.
func outputFormat(cmd *cli.Command, formats ...string) (string, error) {
	f := cmd.String("format")
	if !slices.Contains(formats, f) {
		return "", usageErrorf("%s: unknown --format %q: want %s", cmd.Name, f, orList(formats))
	}
	return f, nil
}
