package main

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/orch-build/orch/runner/build"
	"github.com/orch-build/orch/runner/buildkit"
)

// builderCommand lists builder nodes and manages orch's own local
// buildkitd, the builder used when neither --builder nor BUILDKIT_HOST
// names one.
func (a *app) builderCommand() *cli.Command {
	return &cli.Command{
		Name:   "builder",
		Usage:  "list builder nodes; manage the local buildkitd that orch starts when no builder is named",
		Action: commandsAction,
		Subcommands: []*cli.Command{
			{
				Name:  "ls",
				Usage: "list the builder nodes --builder names (a buildx builder's name stands for its nodes): endpoint, status, native and emulated platforms, limit",
				Description: "Without --builder: the node BUILDKIT_HOST names, else the managed buildkitd\n" +
					"when it runs. With --report FILE (a run's --report), SOLVES counts the\n" +
					"attempts of that run on each node.",
				Flags: append(builderFlags(), &cli.StringFlag{Name: "report", TakesFile: true, Usage: "count each node's solves in the run report `FILE`"}),
				Action: func(c *cli.Context) error {
					nodes, err := build.Builders(c.Context, builderOptions(c), c.String("report"))
					if err != nil {
						return err
					}
					if len(nodes) == 0 {
						fmt.Fprintln(a.stdout, "no builder named, and the managed buildkitd is not running (orch builder start)")
						return nil
					}
					return writeBuilders(a.stdout, nodes, c.IsSet("report"))
				},
			},
			{
				Name:  "status",
				Usage: "show whether the managed buildkitd runs, its address and platforms",
				Action: func(c *cli.Context) error {
					m, err := buildkit.DefaultManaged()
					if err != nil {
						return err
					}
					st, err := m.Status(c.Context)
					if errors.Is(err, buildkit.ErrNotRunning) {
						fmt.Fprintf(a.stdout, "managed buildkitd: not running (state %s)\n", m.StateDir)
						return nil
					}
					if err != nil {
						return err
					}
					fmt.Fprintf(a.stdout, "managed buildkitd: running\npid:       %d\naddress:   %s\nstate:     %s\nplatforms: %s\n",
						st.PID, st.Addr, st.StateDir, strings.Join(st.Platforms, ", "))
					return nil
				},
			},
			{
				Name:  "start",
				Usage: "start the managed buildkitd now instead of on first use",
				Action: func(c *cli.Context) error {
					m, err := buildkit.DefaultManaged()
					if err != nil {
						return err
					}
					bk, err := m.Ensure(c.Context)
					if err != nil {
						return err
					}
					bk.Close()
					fmt.Fprintf(a.stdout, "managed buildkitd: running at %s\n", m.Addr())
					return nil
				},
			},
			{
				Name:  "stop",
				Usage: "stop the managed buildkitd (its build cache stays for the next start)",
				Action: func(c *cli.Context) error {
					m, err := buildkit.DefaultManaged()
					if err != nil {
						return err
					}
					err = m.Stop(c.Context)
					if errors.Is(err, buildkit.ErrNotRunning) {
						fmt.Fprintln(a.stdout, "managed buildkitd: not running")
						return nil
					}
					if err != nil {
						return err
					}
					fmt.Fprintln(a.stdout, "managed buildkitd: stopped")
					return nil
				},
			},
		},
	}
}

// writeBuilders prints the nodes of `orch builder ls` as a table, solves
// adding the SOLVES column of a report; why a node is unreachable follows
// the table, which a long error would make unreadable.
func writeBuilders(w io.Writer, nodes []build.BuilderNode, solves bool) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	head := "NAME\tENDPOINT\tSTATUS\tNATIVE\tEMULATED\tLIMIT"
	if solves {
		head += "\tSOLVES"
	}
	fmt.Fprintln(tw, head)
	list := func(ps []string) string {
		if len(ps) == 0 {
			return "-"
		}
		return strings.Join(ps, ",")
	}
	var unreachable []string
	for _, n := range nodes {
		status, limit := "running", strconv.Itoa(n.Limit)
		if n.Err != nil {
			status, limit = "unreachable", "-"
			unreachable = append(unreachable, fmt.Sprintf("%s: %v", n.Name, n.Err))
		}
		row := fmt.Sprintf("%s\t%s\t%s\t%s\t%s\t%s", n.Name, n.Endpoint, status, list(n.Native), list(n.Emulated), limit)
		if solves {
			row += "\t" + strconv.Itoa(n.Solves)
		}
		fmt.Fprintln(tw, row)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, u := range unreachable {
		fmt.Fprintln(w, u)
	}
	return nil
}
