package buildkit

import (
	"strings"
	"testing"
)

// TestLinkedMultiPlatformSharesParentSolve: a multi-platform child built on
// a multi-platform parent through a target: link gets each platform of the
// parent, and the parent's steps run once: the value its RUN step wrote is
// the same in the parent's image and in the child's, even with no-cache on
// the parent.
func TestLinkedMultiPlatformSharesParentSolve(t *testing.T) {
	p := newProject(t, map[string]string{
		"orch.hcl": `
variable "BUSYBOX" {}
target "parent" {
  context   = "parent"
  contexts  = { busybox = BUSYBOX }
  platforms = ["linux/amd64", "linux/arm64"]
  no-cache  = true
  output    = ["type=oci,tar=false,dest=out/parent"]
}
target "child" {
  context   = "child"
  contexts  = { parent = "target:parent" }
  platforms = ["linux/amd64", "linux/arm64"]
  output    = ["type=oci,tar=false,dest=out/child"]
}`,
		"parent/Dockerfile": busyboxDockerfile + "RUN cat /proc/sys/kernel/random/uuid > /run-id && uname -m > /arch\n",
		"child/Dockerfile":  "FROM parent\nRUN cp /arch /child-arch\n",
	})
	p.mustBuild(buildOpts{})

	parentIDs := map[string]string{}
	pl := openLayoutImages(t, p.path("out/parent"))
	for plat, img := range pl.images {
		parentIDs[plat] = fileIn(t, pl.layout, img, "/run-id")
	}
	cl := openLayoutImages(t, p.path("out/child"))
	want := map[string]string{"linux/amd64": "x86_64", "linux/arm64": "aarch64"}
	if len(cl.images) != 2 {
		t.Fatalf("child has platforms %v, want linux/amd64 and linux/arm64", keys(cl.images))
	}
	for plat, img := range cl.images {
		if got := fileIn(t, cl.layout, img, "/child-arch"); got != want[plat] {
			t.Errorf("child %s: /child-arch = %q, want %q (the parent's %s layer)", plat, got, want[plat], plat)
		}
		if got := fileIn(t, cl.layout, img, "/run-id"); got != parentIDs[plat] || got == "" {
			t.Errorf("child %s: parent step ran again: run-id %q, parent image has %q", plat, got, parentIDs[plat])
		}
		if !strings.Contains(strings.Join(img.Config.Config.Env, " "), "PATH=/bin") {
			t.Errorf("child %s: env %v lost the parent's PATH", plat, img.Config.Config.Env)
		}
	}
}
