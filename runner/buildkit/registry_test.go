package buildkit

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/orch-build/orch/internal/testbed"
)

// TestRegistryCacheExportAndImport writes a build cache to a registry and
// reads it back on a fresh daemon, whose own cache is empty.
func TestRegistryCacheExportAndImport(t *testing.T) {
	reg := testbed.StartRegistry(t)
	p := newProject(t, map[string]string{
		"orch.hcl": `
variable "BUSYBOX" {}
variable "REGISTRY" {}
variable "OUT" {}
target "app" {
  contexts   = { busybox = BUSYBOX }
  cache-to   = ["type=registry,ref=${REGISTRY}/cache/app:buildcache,mode=max"]
  cache-from = ["type=registry,ref=${REGISTRY}/cache/app:buildcache"]
  output     = ["type=local,dest=${OUT}"]
}`,
		"Dockerfile": busyboxDockerfile + "RUN cat /proc/sys/kernel/random/uuid > /stamp\n",
	})
	p.mustBuild(buildOpts{vars: map[string]string{"REGISTRY": reg.Host, "OUT": "first"}})
	if tags := reg.Tags(t, "cache/app"); !slices.Equal(tags, []string{"buildcache"}) {
		t.Fatalf("cache tags %v, want [buildcache]", tags)
	}
	p.bk = testbed.StartExtraBuildKit(t, "")
	rep := p.mustBuild(buildOpts{vars: map[string]string{"REGISTRY": reg.Host, "OUT": "second"}})
	assertFromImportedCache(t, p, rep)
}

// TestCredentialHelper: credentials come from a docker credential helper
// named by credHelpers in the docker config file.
func TestCredentialHelper(t *testing.T) {
	reg := testbed.StartAuthRegistry(t, "helper-user", "helper-pass")
	bin := t.TempDir()
	helper := `#!/bin/sh
# A docker credential helper that knows one registry.
read server
[ "$1" = get ] || exit 1
echo '{"ServerURL":"'"$server"'","Username":"helper-user","Secret":"helper-pass"}'
`
	if err := os.WriteFile(filepath.Join(bin, "docker-credential-orchtest"), []byte(helper), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+":"+os.Getenv("PATH"))
	cfgDir := t.TempDir()
	cfg := `{"credHelpers": {"` + reg.Host + `": "orchtest"}}`
	if err := os.WriteFile(filepath.Join(cfgDir, "config.json"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DOCKER_CONFIG", cfgDir)
	p := newProject(t, map[string]string{
		"orch.hcl": `
variable "REGISTRY" {}
target "app" {
  tags   = ["${REGISTRY}/helped/app:1"]
  output = ["type=image,push=true"]
}`,
		"Dockerfile": "FROM scratch\nCOPY Dockerfile /\n",
	})
	p.mustBuild(buildOpts{vars: map[string]string{"REGISTRY": reg.Host}})
	if tags := reg.Tags(t, "helped/app"); !slices.Equal(tags, []string{"1"}) {
		t.Errorf("tags %v, want [1]", tags)
	}
}
