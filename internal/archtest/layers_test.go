package archtest

import (
	"encoding/json"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/orch-build/orch"

// allowed lists, for each layer, the orch packages it may import directly.
// Imports flow one way: cmd/orch → runner/build → runner → graph → config.
var allowed = map[string][]string{
	"config":          {"internal/bakefuncs"},
	"graph":           {"config"},
	"runner":          {"config", "graph"},
	"runner/buildkit": {"config", "graph", "runner", "internal/logtail"},
	"runner/build":    {"config", "graph", "runner", "runner/buildkit", "runner/dest"},
	"schema":          {"config"},
	// The command line drives builds through runner/build; it reaches the
	// adapter only for what is not a build: the managed buildkitd
	// (orch builder), the client version and its loggers.
	"cmd/orch": {"config", "graph", "runner", "runner/build", "runner/buildkit", "schema"},
}

// buildkitImporters are the only packages that may import BuildKit or
// containerd directly: the adapter, and the test bed's helpers for tests.
var buildkitImporters = []string{"runner/buildkit", "internal/testbed"}

type listedPackage struct {
	ImportPath string
	Imports    []string
}

// TestLayering checks the direct imports of every non-test package of the
// module.
func TestLayering(t *testing.T) {
	out, err := exec.Command("go", "list", "-json", module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	seen := 0
	for {
		var p listedPackage
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		seen++
		rel := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")
		for _, imp := range p.Imports {
			if (strings.HasPrefix(imp, "github.com/moby/buildkit") || strings.HasPrefix(imp, "github.com/containerd/")) &&
				!slices.Contains(buildkitImporters, rel) {
				t.Errorf("%s imports %s; only %v may import BuildKit or containerd", rel, imp, buildkitImporters)
			}
			if !strings.HasPrefix(imp, module+"/") {
				continue
			}
			dep := strings.TrimPrefix(imp, module+"/")
			if dep == "cmd/orch" {
				t.Errorf("%s imports cmd/orch", rel)
			}
			want, layered := allowed[rel]
			if layered && !slices.Contains(want, dep) {
				t.Errorf("%s imports %s; it may import only %v", rel, dep, want)
			}
		}
	}
	if seen < len(allowed) {
		t.Fatalf("go list found %d packages, fewer than the %d layers checked", seen, len(allowed))
	}
}
