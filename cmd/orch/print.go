package main

import (
	"github.com/urfave/cli/v2"

	"github.com/orch-build/orch/graph"
)

func (a *app) printCommand() *cli.Command {
	return &cli.Command{
		Name:      "print",
		Usage:     "print the selected targets as `docker buildx bake --print` does",
		ArgsUsage: "[TARGET|GROUP...]",
		Description: "Prints the same JSON document as docker buildx bake --print for the same files,\n" +
			"flags and environment. Paths appear as written, as bake shows them; orch itself\n" +
			"resolves them against the directory of the file that declares them.",
		Flags:  append(fileFlags(), overrideFlags()...),
		Action: a.printAction,
	}
}

// printAction prints the selection as bake --print; `orch build --print`
// runs it too.
func (a *app) printAction(c *cli.Context) error {
	opts, err := checkOptions(c)
	if err != nil {
		return err
	}
	ch, err := a.lib.load(opts)
	writeDiagnostics(a.stderr, ch.Diagnostics, ch.Config.Sources)
	if err != nil {
		return &reportedError{err}
	}
	// The planner selects and checks the links, as for plan and build,
	// so every command reports a problem with one message at one line.
	set, err := graph.PrintSet(ch.Config, opts.Targets)
	if err != nil {
		diags := graph.Diagnostics(err)
		writeDiagnostics(a.stderr, diags, ch.Config.Sources)
		return &reportedError{usageErrorf("print: %s", diags.Error())}
	}
	if diags := ch.Config.WritePrintJSON(a.stdout, set); diags.HasErrors() {
		writeDiagnostics(a.stderr, diags, ch.Config.Sources)
		return &reportedError{usageErrorf("print: %s", diags.Error())}
	}
	return nil
}
