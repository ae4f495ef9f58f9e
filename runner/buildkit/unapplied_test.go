package buildkit

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/orch-build/orch/config"
)

// loadFile loads one orch.hcl with a Dockerfile beside it, without a
// builder.
func loadFile(t *testing.T, src string) *config.Config {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM scratch\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "orch.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, diags := config.Load(config.Options{WorkDir: dir})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	return cfg
}

// TestPolicyRefused: bake's policy loads and prints, but orch evaluates
// no source policies, so the check before a build refuses one at its line
// instead of building without it. A policy that only disables source
// policies asks for nothing orch lacks.
func TestPolicyRefused(t *testing.T) {
	cfg := loadFile(t, `target "checked" {
  policy = ["filename=p.rego"]
}
target "off" {
  policy = ["disabled=true"]
}
`)
	got := CheckTargets([]*config.Target{cfg.Targets["checked"]}, nil)
	if len(got) != 1 || got[0].Subject == nil || got[0].Subject.Start.Line != 2 || !strings.Contains(got[0].Detail, "does not evaluate source policies") {
		t.Errorf("policy: %v, want a refusal at line 2", got)
	}
	if d := CheckTargets([]*config.Target{cfg.Targets["off"]}, nil); len(d) > 0 {
		t.Errorf("policy disabled=true refused: %v", d)
	}
}

// TestResourcesAttrs: resources reach the Dockerfile frontend as buildx
// sends them: the frontend's attribute names, sizes in bytes, only values
// that are set and not zero, memory-swap -1 for unlimited swap; a size
// that is none is an error at the attribute's line.
func TestResourcesAttrs(t *testing.T) {
	cfg := loadFile(t, `target "limited" {
  resources = {
    memory      = "64m"
    memory-swap = "-1"
    cpu-shares  = 512
    cpu-period  = 100000
    cpu-quota   = 50000
    cpuset-cpus = "0"
    cpuset-mems = "0"
  }
}
target "zero" {
  resources = { memory = "0", cpu-shares = 0 }
}
target "bad" {
  resources = { memory = "lots" }
}
`)
	keys := []string{"memory", "memswap", "cpushares", "cpuperiod", "cpuquota", "cpusetcpus", "cpusetmems"}
	attrs := func(name string) map[string]string {
		r, err := newRequest(cfg.Targets[name], nil)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		defer r.cleanup()
		out := map[string]string{}
		for _, k := range keys {
			if v, ok := r.attrs[k]; ok {
				out[k] = v
			}
		}
		if r.resources != (len(out) > 0) {
			t.Errorf("%s: resources %v with attributes %v", name, r.resources, out)
		}
		return out
	}
	want := map[string]string{"memory": "67108864", "memswap": "-1", "cpushares": "512", "cpuperiod": "100000", "cpuquota": "50000", "cpusetcpus": "0", "cpusetmems": "0"}
	if diff := cmp.Diff(want, attrs("limited")); diff != "" {
		t.Errorf("attributes (-want +got):\n%s", diff)
	}
	if got := attrs("zero"); len(got) > 0 {
		t.Errorf("zero values sent: %v", got)
	}
	d := CheckTargets([]*config.Target{cfg.Targets["bad"]}, nil)
	if len(d) != 1 || d[0].Subject == nil || d[0].Subject.Start.Line != 16 || d[0].Detail != `Target "bad": resources.memory "lots": invalid size: 'lots'.` {
		t.Errorf("bad size: %v", d)
	}
}

// TestResourcesApplied: the limits reach the cgroup of every RUN step on
// the test bed's buildkitd: the step reads its own memory limit (cgroup
// v2's memory.max, or v1's memory.limit_in_bytes) and CPU weight into the
// output.
func TestResourcesApplied(t *testing.T) {
	p := newProject(t, map[string]string{
		"orch.hcl": `
variable "BUSYBOX" {}
target "app" {
  contexts  = { busybox = BUSYBOX }
  resources = { memory = "64m", cpu-shares = 512 }
  output    = ["type=local,dest=out"]
}`,
		"Dockerfile": busyboxDockerfile + `RUN cat /sys/fs/cgroup/memory.max 2>/dev/null > /mem || cat /sys/fs/cgroup/memory/memory.limit_in_bytes > /mem
RUN cat /sys/fs/cgroup/cpu.weight 2>/dev/null > /cpu || cat /sys/fs/cgroup/cpu/cpu.shares > /cpu
`,
	})
	p.mustBuild(buildOpts{})
	mem, err := os.ReadFile(p.path("out/mem"))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(mem)); got != "67108864" {
		t.Errorf("memory limit of the RUN step: %q, want 67108864 (64m)", got)
	}
	cpu, err := os.ReadFile(p.path("out/cpu"))
	if err != nil {
		t.Fatal(err)
	}
	// cgroup v2 shows shares as a weight: 1 + (512-2)*9999/262142 = 20.
	if got := strings.TrimSpace(string(cpu)); got != "512" && got != "20" {
		t.Errorf("CPU shares of the RUN step: %q, want 512 (v1) or weight 20 (v2)", got)
	}
}

// TestDefaultPolicyRefused: buildx applies DOCKERFILE.rego beside a local
// Dockerfile without being asked; orch cannot, so such a target is
// refused at its dockerfile unless its policy is disabled.
func TestDefaultPolicyRefused(t *testing.T) {
	cfg := loadFile(t, `target "app" {
  dockerfile = "Dockerfile"
}
target "off" {
  policy = ["disabled=true"]
}
target "inline" {
  dockerfile-inline = "FROM scratch"
}
`)
	rego := filepath.Join(cfg.Targets["app"].Dir, "Dockerfile.rego")
	if err := os.WriteFile(rego, []byte("package docker\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got := CheckTargets([]*config.Target{cfg.Targets["app"], cfg.Targets["off"], cfg.Targets["inline"]}, nil)
	want := `Target "app": source policy ` + rego + `: buildx applies the policy beside a Dockerfile to its build, and orch does not evaluate source policies yet; ` +
		`set policy = ["disabled=true"] (or pass --policy disabled=true) to build without it, or remove the file.`
	if len(got) != 1 || got[0].Detail != want || got[0].Subject == nil || got[0].Subject.Start.Line != 2 {
		t.Errorf("diagnostics %v, want one at line 2:\n%s", got, want)
	}
}
