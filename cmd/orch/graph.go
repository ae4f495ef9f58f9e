package main

import (
	"github.com/urfave/cli/v2"
)

func (a *app) graphCommand() *cli.Command {
	return &cli.Command{
		Name:      "graph",
		Usage:     "print the dependency graph of the selected targets (DOT, Mermaid or JSON)",
		ArgsUsage: "[TARGET|GROUP|PATTERN...]",
		Description: "Plans the selection as plan does and prints the graph. Arrows point from a\n" +
			"target to the targets that wait for it: solid and labelled with the context\n" +
			"name for target: contexts (the result feeds the child), dashed (DOT) or dotted\n" +
			"(Mermaid) for depends_on (order only, no data passes). Targets built only as\n" +
			"contexts of others, and not exported, have a dashed border.\n" +
			"  orch graph | dot -Tsvg > graph.svg\n" +
			"--format json prints the same document as plan --format json.",
		Flags: append(append(fileFlags(), overrideFlags()...), formatFlag("dot", "mermaid", "json")),
		Action: func(c *cli.Context) error {
			format, err := outputFormat(c, "dot", "mermaid", "json")
			if err != nil {
				return err
			}
			p, err := a.plan(c)
			if err != nil {
				return err
			}
			switch format {
			case "mermaid":
				return p.WriteMermaid(a.stdout)
			case "json":
				return p.WriteJSON(a.stdout)
			default:
				return p.WriteDOT(a.stdout)
			}
		},
	}
}
