package buildkit

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/orch-build/orch/internal/testbed"
)

// TestPodmanDestination: type=podman loads the built image into a
// running Podman with every tag, the host's platform, or the one
// platform= names.
func TestPodmanDestination(t *testing.T) {
	pm := testbed.StartPodman(t)
	p := newProject(t, map[string]string{
		"orch.hcl": fmt.Sprintf(`
variable "BUSYBOX" {}
target "app" {
  contexts  = { busybox = BUSYBOX }
  platforms = ["linux/amd64", "linux/arm64"]
  tags      = ["example.com/app:1.0", "example.com/app:latest", "app:dev"]
  output    = ["type=podman,address=%[1]s"]
}
target "arm" {
  contexts  = { busybox = BUSYBOX }
  platforms = ["linux/amd64", "linux/arm64"]
  tags      = ["example.com/arm:1.0"]
  output    = ["type=podman,address=%[1]s,platform=linux/arm64"]
}`, pm.Address),
		"Dockerfile": busyboxDockerfile + "RUN uname -m > /arch\n",
	})
	rep := p.mustBuild(buildOpts{})
	want := map[string]string{
		"docker.io/library/app:dev": "linux/amd64",
		"example.com/app:1.0":       "linux/amd64",
		"example.com/app:latest":    "linux/amd64",
		"example.com/arm:1.0":       "linux/arm64",
	}
	for name, plat := range want {
		img, ok := pm.Image(t, name)
		if !ok {
			t.Errorf("podman has no %s; it holds %v", name, pm.Tags(t))
			continue
		}
		if img.Platform() != plat {
			t.Errorf("%s: platform %s, want %s", name, img.Platform(), plat)
		}
	}
	if diff := cmp.Diff([]string{"podman:example.com/app:1.0", "podman:example.com/app:latest", "podman:docker.io/library/app:dev"}, outcome(t, rep, "app").Result.Destinations); diff != "" {
		t.Errorf("destinations (-want +got):\n%s", diff)
	}
	t.Logf("podman holds %v", pm.Tags(t))
}
