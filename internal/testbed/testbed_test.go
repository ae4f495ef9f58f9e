package testbed_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/orch-build/orch/internal/testbed"
)

// A copy of the tree without bin/ (the mutation task's) finds setup's
// binaries through ORCH_TESTBED_BIN.
func TestBinaryFromBinDirEnv(t *testing.T) {
	dir := t.TempDir()
	want := filepath.Join(dir, "orch-testbed-fake-daemon")
	if err := os.WriteFile(want, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv(testbed.BinDirEnv, dir)
	if got, err := testbed.BinDir(); err != nil || got != dir {
		t.Errorf("BinDir() = %q, %v; want %q", got, err, dir)
	}
	if got, err := testbed.Binary("orch-testbed-fake-daemon"); err != nil || got != want {
		t.Errorf("Binary() = %q, %v; want %q", got, err, want)
	}
	if _, err := testbed.Binary("orch-testbed-no-such-daemon"); err == nil {
		t.Error("Binary found a daemon that exists nowhere")
	}
}
