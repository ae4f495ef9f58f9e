package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/orch-build/orch/runner/buildkit"
)

// builderCommand manages orch's own local buildkitd, the builder used when
// neither --builder nor BUILDKIT_HOST names one.
func (a *app) builderCommand() *cli.Command {
	return &cli.Command{
		Name:   "builder",
		Usage:  "manage the local buildkitd that orch starts when no builder is named",
		Action: commandsAction,
		Subcommands: []*cli.Command{
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
