package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/orch-build/orch/config"
	"github.com/urfave/cli/v2"
)

// configFlags are the flags of every command that reads the definition
// files: -f/--file (repeatable, "-" for standard input), --set and --var.
func configFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringSliceFlag{
			Name:    "file",
			Aliases: []string{"f"},
			Usage:   "read `FILE` (repeatable, merged in order; \"-\" reads standard input); default orch.hcl, orch.json, then docker-bake.*",
		},
		&cli.StringSliceFlag{
			Name:  "set",
			Usage: "override a target attribute, `PATTERN.KEY[.NAME]=VALUE` or PATTERN.KEY+=VALUE (repeatable)",
		},
		&cli.StringSliceFlag{
			Name:  "var",
			Usage: "set a variable, `NAME=VALUE` (repeatable; takes precedence over the environment)",
		},
	}
}

// configOptions turns the config flags of c into load options.
func configOptions(c *cli.Context) (config.Options, error) {
	opts := config.Options{
		Files: c.StringSlice("file"),
		Sets:  c.StringSlice("set"),
		Stdin: os.Stdin,
		Env:   os.Environ(),
	}
	for _, v := range c.StringSlice("var") {
		name, value, ok := strings.Cut(v, "=")
		if !ok || name == "" {
			return opts, fmt.Errorf("--var %q: expected NAME=VALUE: %w", v, errUsage)
		}
		if opts.Vars == nil {
			opts.Vars = map[string]string{}
		}
		opts.Vars[name] = value
	}
	return opts, nil
}

// loadConfig loads the files the config flags name. Diagnostics (warnings
// included) are rendered once to stderr; on failure the returned error wraps
// errUsage and errReported.
func loadConfig(c *cli.Context) (*config.Config, error) {
	opts, err := configOptions(c)
	if err != nil {
		return nil, err
	}
	cfg, diags := config.Load(opts)
	writeDiagnostics(c.App.ErrWriter, diags, cfg.Sources)
	if diags.HasErrors() {
		return nil, fmt.Errorf("load configuration: %w: %w", errUsage, errReported)
	}
	return cfg, nil
}
