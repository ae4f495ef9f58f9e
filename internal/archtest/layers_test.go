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
	"config":             {"internal/bakefuncs", "internal/realpath"},
	"graph":              {"config"},
	"runner":             {"config", "graph"},
	"runner/dest":        {"config", "graph", "runner", "internal/realpath", "internal/fserr"},
	"runner/buildkit":    {"config", "graph", "runner", "runner/dest", "runner/fingerprint", "internal/logtail", "internal/fserr", "internal/dockerignore", "internal/realpath"},
	"runner/build":       {"config", "graph", "runner", "runner/buildkit", "runner/dest", "runner/fingerprint", "runner/report", "runner/telemetry", "internal/realpath", "internal/dockerignore"},
	"runner/fingerprint": {"config", "internal/dockerignore"},
	// The views of a finished run, and its OpenTelemetry spans, made of
	// the same timeline.
	"runner/report":    {"runner"},
	"runner/telemetry": {"runner", "runner/report"},
	"schema":           {"config"},
	// The command line drives builds through runner/build; it reaches the
	// adapter only for what is not a build: the managed buildkitd
	// (orch builder), the client version and its loggers.
	"cmd/orch": {"config", "graph", "runner", "runner/build", "runner/buildkit", "schema"},
}

// buildkitImporters are the only packages that may import BuildKit: the
// adapter. containerdImporters may import containerd's packages: the
// adapter (BuildKit's client speaks containerd's content store), the
// destinations (image stores, registry pushes) and the test bed.
var (
	buildkitImporters   = []string{"runner/buildkit"}
	containerdImporters = []string{"runner/buildkit", "runner/dest", "internal/testbed"}
)

// noBuildKitDeps are packages that must not reach BuildKit even through
// their dependencies: the destinations know no builder, and the views of a
// run read its report alone.
var noBuildKitDeps = []string{"runner/dest", "runner/report", "runner/telemetry"}

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
			if strings.HasPrefix(imp, "github.com/moby/buildkit") && !slices.Contains(buildkitImporters, rel) {
				t.Errorf("%s imports %s; only %v may import BuildKit", rel, imp, buildkitImporters)
			}
			if strings.HasPrefix(imp, "github.com/containerd/") && !slices.Contains(containerdImporters, rel) {
				t.Errorf("%s imports %s; only %v may import containerd", rel, imp, containerdImporters)
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

// TestNoBuildKitBelow checks the dependencies of noBuildKitDeps, direct and
// indirect, for BuildKit.
func TestNoBuildKitBelow(t *testing.T) {
	for _, rel := range noBuildKitDeps {
		out, err := exec.Command("go", "list", "-deps", module+"/"+rel).Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", rel, err)
		}
		deps := strings.Fields(string(out))
		if !slices.Contains(deps, module+"/"+rel) {
			t.Fatalf("go list -deps %s does not list the package itself: %v", rel, deps)
		}
		for _, d := range deps {
			if strings.HasPrefix(d, "github.com/moby/buildkit") {
				t.Errorf("%s depends on %s; destinations must not reach BuildKit", rel, d)
			}
		}
	}
}
