package main

import (
	"fmt"
	"runtime"

	"github.com/urfave/cli/v2"

	"github.com/orch-build/orch/runner/buildkit"
)

// version is orch's release version, set at link time with
// -ldflags "-X main.version=v1.2.3".
var version = "dev"

func (a *app) versionCommand() *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print the orch, Go and BuildKit client versions (also: orch --version)",
		Action: func(*cli.Context) error {
			return a.writeVersion()
		},
	}
}

// writeVersion prints what `orch version` and `orch --version` print.
func (a *app) writeVersion() error {
	_, err := fmt.Fprintf(a.stdout, "orch %s\ngo %s\nbuildkit client %s\n",
		version, runtime.Version(), buildkit.ClientVersion())
	return err
}
