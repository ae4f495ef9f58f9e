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
		// -f and --file are two flags rather than aliases: urfave/cli
		// copies an aliased generic value onto its alias, repeating it.
		&cli.GenericFlag{
			Name:  "file",
			Value: &repeated{},
			Usage: "read `FILE` (repeatable, merged in order; \"-\" reads standard input); default orch.hcl, orch.json, then docker-bake.*",
		},
		&cli.GenericFlag{
			Name:  "f",
			Value: &repeated{},
			Usage: "same as --file",
		},
		&cli.GenericFlag{
			Name:  "set",
			Value: &repeated{},
			Usage: "override a target attribute, `PATTERN.KEY[.NAME]=VALUE` or PATTERN.KEY+=VALUE (repeatable)",
		},
		&cli.GenericFlag{
			Name:  "var",
			Value: &repeated{},
			Usage: "set a variable, `NAME=VALUE` (repeatable; takes precedence over the environment)",
		},
	}
}

// repeated is a repeatable string flag that keeps every value whole:
// urfave/cli's StringSliceFlag splits values at commas, which breaks
// --set app.output=type=local,dest=out and --var LIST=a,b.
type repeated struct{ values []string }

func (r *repeated) Set(v string) error {
	r.values = append(r.values, v)
	return nil
}

func (r *repeated) String() string { return strings.Join(r.values, " ") }

// repeatedValues returns the values of a repeated flag of c.
func repeatedValues(c *cli.Context, name string) []string {
	if r, ok := c.Generic(name).(*repeated); ok && r != nil {
		return r.values
	}
	return nil
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
		Files: append(append(repeatedValues(c, "f"), repeatedValues(c, "file")...), trailing.files...),
		Sets:  append(repeatedValues(c, "set"), trailing.sets...),
		Stdin: os.Stdin,
		Env:   os.Environ(),
	}
	for _, v := range append(repeatedValues(c, "var"), trailing.vars...) {
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
