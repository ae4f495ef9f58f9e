package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
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

// TestScripts runs the end-to-end scripts in testdata/*.txtar. Besides
// testscript's own commands they have "exits CODE PROGRAM ARGS...", which
// runs PROGRAM as exec does and checks its exit status exactly: `! exec`
// only checks that it is not zero, and orch's codes mean different things.
// Each script keeps orch's cache (stat caches, build records) in a
// directory of its own, outside $WORK, which is the build context of many
// scripts' targets.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{Dir: "testdata", Cmds: map[string]func(*testscript.TestScript, bool, []string){
		"exits": exitsCmd,
	}, Setup: func(env *testscript.Env) error {
		dir, err := os.MkdirTemp("", "orch-script-cache-")
		if err != nil {
			return err
		}
		env.Defer(func() { os.RemoveAll(dir) })
		env.Setenv("XDG_CACHE_HOME", dir)
		return nil
	}})
}

// exitsCmd is the "exits CODE PROGRAM ARGS..." script command.
func exitsCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits CODE PROGRAM [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exits: code %q is not a number", args[0])
	}
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		got = ee.ExitCode()
	case err != nil:
		ts.Fatalf("exits: %v", err)
	}
	if got != want {
		ts.Fatalf("%s exited %d, want %d", args[1], got, want)
	}
}

// TestScriptsCheckExitCodes keeps the scripts exact about exit codes: a
// failing command is written "exits CODE ...", never "! exec".
func TestScriptsCheckExitCodes(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txtar")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scripts (%v)", err)
	}
	builds, err := filepath.Glob("testdata/build/*.txtar")
	if err != nil || len(builds) == 0 {
		t.Fatalf("no build scripts (%v)", err)
	}
	files = append(files, builds...)
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(raw), "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "! exec") {
				t.Errorf("%s:%d: %q checks only that the exit status is not 0; write exits CODE", f, i+1, line)
			}
		}
	}
}
