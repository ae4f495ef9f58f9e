package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/urfave/cli/v2"
)

// version is orch's release version, set at link time with
// -ldflags "-X main.version=v1.2.3".
var version = "dev"

func versionCommand() *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print the orch, Go and BuildKit client versions",
		Action: func(c *cli.Context) error {
			fmt.Fprintf(c.App.Writer, "orch %s\ngo %s\nbuildkit client %s\n",
				version, runtime.Version(), moduleVersion("github.com/moby/buildkit"))
			return nil
		},
	}
}

// moduleVersion reports the version of a dependency linked into this binary.
func moduleVersion(path string) string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	for _, dep := range info.Deps {
		if dep.Path == path {
			if dep.Replace != nil {
				return dep.Replace.Version
			}
			return dep.Version
		}
	}
	return "unknown"
}
