package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/orch-build/orch/internal/testbed"
)

// bakeFlagsFile has variables of every kind bake lists, groups with and
// without descriptions, a template and targets with attest, outputs and
// cache settings the override flags change.
const bakeFlagsFile = `
variable "TAG" {
  type        = string
  default     = "dev"
  description = "image tag"
}
variable "N" { default = 3 }
variable "L" { default = ["a", "b"] }
variable "NUL" { default = null }
variable "B" {
  type    = bool
  default = true
}
group "default" {
  targets     = ["web", "app"]
  description = "everything"
}
group "plain" { targets = ["app"] }
target "_base" {
  attest = ["type=sbom"]
}
target "app" {
  inherits    = ["_base"]
  description = "the app"
  tags        = ["app:${TAG}"]
  output      = ["type=image", "type=local,dest=out"]
  pull        = false
}
target "web" {
  no-cache = true
  output   = ["type=oci,dest=web.tar"]
}
`

// runBakeLike runs bin with args in dir with a clean environment and
// returns its standard output, failing the test on a non-zero exit.
func runBakeLike(t *testing.T, dir, bin string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	state := t.TempDir()
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + state,
		"DOCKER_CONFIG=" + filepath.Join(state, "docker"), "BUILDX_CONFIG=" + filepath.Join(state, "buildx")}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, &stderr)
	}
	return stdout.String()
}

// TestBakeFlagsMatchBuildx: bake's shorthand flags change `orch print` as
// they change the real `buildx bake --print` (v0.38.2, built by setup),
// and `orch build --list` prints what `buildx bake --list` prints.
func TestBakeFlagsMatchBuildx(t *testing.T) {
	buildx, err := testbed.Binary("buildx")
	if err != nil {
		testbed.Unavailable(t, "%v", err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "docker-bake.hcl"), []byte(bakeFlagsFile), 0o644); err != nil {
		t.Fatal(err)
	}
	orch := orchBinary(t)
	for _, flags := range [][]string{
		{"--push"},
		{"--load"},
		{"--no-cache"},
		{"--no-cache=false", "--pull"},
		{"--pull=false"},
		{"--sbom", "false", "--provenance", "mode=max"},
		{"--provenance", "true"},
		{"--sbom", "generator=x/y"},
		{"--call", "check"},
		{"--check"},
		{"--call", "outline,format=json"},
		{"--call", "targets"},
		{"--policy", "disabled=true"},
		{"--set", "app.output=type=registry", "--push"},
		{"app", "--push", "web"},
	} {
		t.Run(strings.Join(flags, " "), func(t *testing.T) {
			want := runBakeLike(t, dir, buildx, append([]string{"bake", "--progress=quiet", "--print"}, flags...)...)
			got := runBakeLike(t, dir, orch, append([]string{"print"}, flags...)...)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("orch print %v differs from buildx bake --print (-bake +orch):\n%s", flags, diff)
			}
		})
	}
	for _, list := range []string{"targets", "variables", "type=targets,format=json", "type=variables,format=json"} {
		t.Run("--list "+list, func(t *testing.T) {
			want := runBakeLike(t, dir, buildx, "bake", "--progress=quiet", "--list", list)
			got := runBakeLike(t, dir, orch, "build", "--list", list)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("orch build --list %s differs from buildx bake --list (-bake +orch):\n%s", list, diff)
			}
		})
	}
}
