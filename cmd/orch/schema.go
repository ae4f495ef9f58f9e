package main

import (
	"github.com/orch-build/orch/schema"
	"github.com/urfave/cli/v2"
)

func schemaCommand() *cli.Command {
	return &cli.Command{
		Name:  "schema",
		Usage: "print the JSON Schema of the definition file's JSON form",
		Action: func(c *cli.Context) error {
			out, err := schema.FileFormat()
			if err != nil {
				return err
			}
			_, err = c.App.Writer.Write(out)
			return err
		},
	}
}
