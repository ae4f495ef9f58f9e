package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/orch-build/orch/internal/testbed"
)

// TestBuildLockReadOnly: an OCI layout on a read-only file system fails
// the run (exit 1, the files were right), naming the path and the cause.
func TestBuildLockReadOnly(t *testing.T) {
	p := newBuildProject(t, layoutHCL)
	testbed.Tmpfs(t, p.path("out"), "ro,size=64k")
	var stdout, stderr bytes.Buffer
	code := run(append([]string{"orch"}, p.args("--progress", "quiet", "app")...), &stdout, &stderr)
	if code != exitFailed {
		t.Fatalf("exit %d, want %d\n%s", code, exitFailed, stderr.String())
	}
	want := "orch: oci layout " + p.path("out/app") + ": lock: read-only file system: " + p.path("out/.app.orch-lock")
	if !strings.HasPrefix(stderr.String(), want) {
		t.Errorf("stderr:\n%s\nwant it to start with:\n%s", stderr.String(), want)
	}
}
