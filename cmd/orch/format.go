package main

import (
	"slices"

	"github.com/urfave/cli/v2"
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

// outputFormat returns the --format value of c, or a usage error that
// names the formats the command knows.
func outputFormat(c *cli.Context, formats ...string) (string, error) {
	f := c.String("format")
	if !slices.Contains(formats, f) {
		return "", usageErrorf("%s: unknown --format %q: want %s", c.Command.Name, f, orList(formats))
	}
	return f, nil
}
