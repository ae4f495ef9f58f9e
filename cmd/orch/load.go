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

// trailingArgs separates the positional arguments of c from config flags
// written after them ("orch print app --set app.tags=x"): urfave/cli stops
// parsing flags at the first positional argument, bake's CLI does not.
type trailingArgs struct {
	names, files, sets, vars []string
}

func splitArgs(c *cli.Context) (trailingArgs, error) {
	var out trailingArgs
	args := c.Args().Slice()
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			out.names = append(out.names, args[i+1:]...)
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			out.names = append(out.names, a)
			continue
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		var dst *[]string
		switch name {
		case "f", "file":
			dst = &out.files
		case "set":
			dst = &out.sets
		case "var":
			dst = &out.vars
		default:
			return out, fmt.Errorf("flag %s after a target name: put it before the names: %w", a, errUsage)
		}
		if !hasValue {
			if i+1 >= len(args) {
				return out, fmt.Errorf("flag %s needs a value: %w", a, errUsage)
			}
			i++
			value = args[i]
		}
		*dst = append(*dst, value)
	}
	return out, nil
}

// targetNames returns the positional arguments of c (target and group
// names), with any trailing config flags removed.
func targetNames(c *cli.Context) []string {
	t, _ := splitArgs(c)
	return t.names
}

// configOptions turns the config flags of c into load options.
func configOptions(c *cli.Context) (config.Options, error) {
	trailing, err := splitArgs(c)
	if err != nil {
		return config.Options{}, err
	}
	opts := config.Options{
		Files: append(c.StringSlice("file"), trailing.files...),
		Sets:  append(c.StringSlice("set"), trailing.sets...),
		Stdin: os.Stdin,
		Env:   os.Environ(),
	}
	for _, v := range append(c.StringSlice("var"), trailing.vars...) {
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
