package dest

import (
	"errors"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/orch-build/orch/config"
	"github.com/orch-build/orch/graph"
	"github.com/orch-build/orch/internal/fserr"
	"github.com/orch-build/orch/internal/testbed"
)

// TestLockOnReadOnlyFileSystem: an OCI layout on a read-only file system
// cannot be locked; Open says so in plain words, naming the lock file, as
// an *fserr.Error the CLI exits 1 for.
func TestLockOnReadOnlyFileSystem(t *testing.T) {
	ro := filepath.Join(t.TempDir(), "ro")
	testbed.Tmpfs(t, ro, "ro,size=64k")
	layout := filepath.Join(ro, "layout")
	target := &config.Target{Name: "app", Outputs: []config.Output{
		config.NewOutput("oci", layout, map[string]string{"tar": "false"}),
	}}
	plan := &graph.Plan{Nodes: []*graph.Node{{Name: "app", Target: target, Export: true}}}
	r, err := Open(plan, Options{})
	if err == nil {
		r.Close()
		t.Fatal("Open locked a layout on a read-only file system")
	}
	var fe *fserr.Error
	if !errors.As(err, &fe) || !errors.Is(err, syscall.EROFS) {
		t.Fatalf("error %v: want a read-only *fserr.Error", err)
	}
	if want := "oci layout " + layout + ": lock: read-only file system: " + filepath.Join(ro, ".layout.orch-lock"); err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
}
