package main

import (
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets testscript run orch in-process: scripts call "orch", which
// runs run() inside the test binary.
func TestMain(m *testing.M) {
	os.Exit(testscript.RunMain(m, map[string]func() int{
		"orch": func() int { return run(os.Args, os.Stdout, os.Stderr) },
	}))
}

// TestScripts runs the end-to-end scripts in testdata/*.txtar.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{Dir: "testdata"})
}
