package realpath_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orch-build/orch/config"
	"github.com/orch-build/orch/graph"
	"github.com/orch-build/orch/internal/realpath"
)

// TestPlanComparesRealPaths plans a file whose outputs reach one layout
// through a symlink, and a layout inside a local output, with Resolve as
// the planner's canonicalizer: both are plan errors naming both targets at
// their lines, while the same file compared as written plans.
func TestPlanComparesRealPaths(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "real/layout"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("real/layout", filepath.Join(dir, "link-to-layout")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("out2", filepath.Join(dir, "elsewhere")); err != nil {
		t.Fatal(err)
	}
	src := `target "a" {
  tags   = ["app:1"]
  output = ["type=oci,tar=false,dest=real/layout"]
}
target "b" {
  tags   = ["docker.io/library/app:1"]
  output = ["type=oci,tar=false,dest=link-to-layout"]
}
target "c" {
  output = ["type=local,dest=out2"]
}
target "d" {
  output = ["type=oci,tar=false,dest=elsewhere/img"]
}
`
	if err := os.WriteFile(filepath.Join(dir, "orch.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, diags := config.Load(config.Options{WorkDir: dir})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if _, err := graph.New(cfg, []string{"all"}); err != nil {
		t.Fatalf("compared as written, the file plans: %v", err)
	}
	_, err := graph.New(cfg, []string{"all"}, graph.WithCanonicalizer(realpath.Resolve))
	real := Resolve(t, dir)
	want := strings.Join([]string{
		`destination conflict: ` + real + `/real/layout is written by 2 outputs`,
		`  orch.hcl:3: target "a" output 1 (oci-layout:` + dir + `/real/layout)`,
		`  orch.hcl:7: target "b" output 1 (oci-layout:` + dir + `/link-to-layout → ` + real + `/real/layout)`,
		`destination conflict: ` + real + `/out2/img is inside ` + real + `/out2`,
		`  orch.hcl:13: target "d" output 1 (oci-layout:` + dir + `/elsewhere/img → ` + real + `/out2/img)`,
		`  orch.hcl:10: target "c" output 1 (local:` + dir + `/out2)`,
	}, "\n")
	if err == nil || err.Error() != want {
		t.Errorf("error:\n%v\nwant:\n%s", err, want)
	}
}

// Resolve resolves dir, which exists, failing the test otherwise.
func Resolve(t *testing.T, dir string) string {
	t.Helper()
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		t.Fatal(err)
	}
	return real
}
