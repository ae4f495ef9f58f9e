package main

import (
	"github.com/urfave/cli/v2"

	"github.com/orch-build/orch/schema"
)

func (a *app) schemaCommand() *cli.Command {
	return &cli.Command{
		Name:  "schema",
		Usage: "print the JSON Schema of the definition file's JSON form",
		Action: func(*cli.Context) error {
			out, err := schema.FileFormat()
			if err != nil {
				return err
			}
			_, err = a.stdout.Write(out)
			return err
		},
	}
}
