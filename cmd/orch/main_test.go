package main

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/orch-build/orch/internal/testbed"
)

// TestMain lets testscript run orch in-process: scripts call "orch", which
// runs run() inside the test binary. The same copy of the binary, on PATH
// as "orch", is what tests that signal a running build start. The daemons
// the integration tests start are stopped when the tests are done.
func TestMain(m *testing.M) {
	testscript.Main(withTestBed{m}, map[string]func(){
		"orch":          func() { os.Exit(run(os.Args, os.Stdout, os.Stderr)) },
		signalProbeName: signalProbe,
	})
}

// signalProbeName is the command that runs signalProbe.
const signalProbeName = "orch-signal-probe"

// signalProbe stands for a command whose cancellation never finishes: it
// installs orch's signal handling, says when the first signal cancelled
// its context and then hangs, so that only the second signal's immediate
// exit can end it.
func signalProbe() {
	ctx, stop := signalContext(context.Background(), os.Stderr)
	defer stop()
	fmt.Fprintln(os.Stderr, "probe: ready")
	<-ctx.Done()
	fmt.Fprintln(os.Stderr, "probe: cancelled")
	time.Sleep(time.Minute)
	os.Exit(3)
}

// withTestBed runs the tests and then stops the test bed's daemons.
type withTestBed struct{ m *testing.M }

func (w withTestBed) Run() int { return testbed.Main(w.m) }

// TestScripts runs the end-to-end scripts in testdata/*.txtar.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{Dir: "testdata"})
}
