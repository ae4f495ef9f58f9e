package buildkit

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orch-build/orch/config"
)

// TestUnappliedAttributesRefused: bake's resources and policy load and
// print, but orch does not apply them to a solve yet, so the check before
// a build refuses them at their lines instead of building without them. A
// policy that only disables source policies asks for nothing orch lacks.
func TestUnappliedAttributesRefused(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM scratch\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	src := `target "limited" {
  resources = { memory = "512m" }
}
target "checked" {
  policy = ["filename=p.rego"]
}
target "off" {
  policy = ["disabled=true"]
}
`
	if err := os.WriteFile(filepath.Join(dir, "orch.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, diags := config.Load(config.Options{WorkDir: dir})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	got := map[string]string{}
	for _, name := range []string{"limited", "checked", "off"} {
		for _, d := range CheckTargets([]*config.Target{cfg.Targets[name]}) {
			if d.Subject == nil {
				t.Fatalf("%s: diagnostic without a line: %s", name, d.Detail)
			}
			got[name] = d.Detail
			if line := map[string]int{"limited": 2, "checked": 5}[name]; d.Subject.Start.Line != line {
				t.Errorf("%s: reported at line %d, want %d", name, d.Subject.Start.Line, line)
			}
		}
	}
	if !strings.Contains(got["limited"], "does not apply resource limits") {
		t.Errorf("resources: %q", got["limited"])
	}
	if !strings.Contains(got["checked"], "does not evaluate source policies") {
		t.Errorf("policy: %q", got["checked"])
	}
	if d, ok := got["off"]; ok {
		t.Errorf("policy disabled=true refused: %s", d)
	}
}
