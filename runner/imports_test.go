package runner

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoBuildKitImport keeps the runner free of BuildKit: only the adapter
// may import it, so the scheduler stays testable without a daemon.
func TestNoBuildKitImport(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if strings.HasPrefix(pkg, "github.com/moby/buildkit") || strings.HasPrefix(pkg, "github.com/containerd/") {
			t.Errorf("runner depends on %s", pkg)
		}
	}
}
