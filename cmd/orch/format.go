package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"
)

// formatFlag is the --format flag of a command that prints in one of
// formats; the first is the default.
func formatFlag(formats ...string) cli.Flag {
	return &cli.StringFlag{
		Name:  "format",
		Value: formats[0],
		Usage: "output `FORMAT`: " + orList(formats),
	}
}

// outputFormat returns the --format value of c, or a usage error that
// names the formats the command knows.
func outputFormat(c *cli.Context, formats ...string) (string, error) {
	f := c.String("format")
	if !slices.Contains(formats, f) {
		return "", fmt.Errorf("%s: unknown --format %q: want %s: %w", c.Command.Name, f, orList(formats), errUsage)
	}
	return f, nil
}

// orList renders ["a", "b", "c"] as "a, b or c".
func orList(items []string) string {
	if len(items) == 1 {
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " or " + items[len(items)-1]
}
