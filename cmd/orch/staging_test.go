package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// staged lists the staging entries beside out/long.
func staged(t *testing.T, p *buildProject) []string {
	t.Helper()
	m, err := filepath.Glob(p.path("out/.long.orch-stage-*"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// rerun builds longGraph again with a quick step, writing out/long.
func rerun(t *testing.T, p *buildProject) {
	t.Helper()
	out, err := exec.Command(orchBinary(t), p.args("--progress", "quiet", "--set", "long.args.CMD=echo quick > /done")...).CombinedOutput()
	if err != nil {
		t.Fatalf("second run: %v\n%s", err, out)
	}
}

// TestKilledRunStagingRemoved: `orch build` killed with SIGKILL while a
// target exports leaves its staging (nothing can clean up after
// SIGKILL); the next run that writes beside it removes it, and leaves no
// staging of its own.
func TestKilledRunStagingRemoved(t *testing.T) {
	p := newBuildProject(t, longGraph)
	cmd := exec.Command(orchBinary(t), p.args("--progress", "plain")...)
	cmd.Dir = p.dir
	lines, exited, output := startWatched(t, cmd)
	waitLine(t, lines, exited, output, startedLine.MatchString, 2*time.Minute)
	if len(staged(t, p)) == 0 {
		t.Fatalf("no staging beside out/long while the target builds; the test proves nothing")
	}
	if err := syscall.Kill(cmd.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-exited
	left := staged(t, p)
	if len(left) == 0 {
		t.Fatalf("a killed run left no staging; the test proves nothing")
	}
	rerun(t, p)
	for _, s := range left {
		if _, err := os.Stat(s); !os.IsNotExist(err) {
			t.Errorf("the killed run's %s is still there (%v)", s, err)
		}
	}
	p.assertNoStaging(t)
	if _, err := os.Stat(p.path("out/long/index.json")); err != nil {
		t.Errorf("the second run wrote no layout: %v", err)
	}
}

// TestTwiceInterruptedRunStagingRemoved: after two Ctrl-C (the second
// exits at once, without cleaning up) the next run leaves no staging.
func TestTwiceInterruptedRunStagingRemoved(t *testing.T) {
	p := newBuildProject(t, longGraph)
	if code, stderr, _ := runInterrupted(t, p, true); code != exitInterrupted {
		t.Fatalf("exit code %d, want %d\n%s", code, exitInterrupted, stderr)
	}
	t.Logf("staging left by the interrupted run: %v", staged(t, p))
	rerun(t, p)
	p.assertNoStaging(t)
}
