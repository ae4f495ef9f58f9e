package build

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/google/go-cmp/cmp"

	"github.com/orch-build/orch/internal/testbed"
)

// loadProject is one small image tagged example.com/load:1, built on the
// test bed's buildkitd; Overrides.Load is --load.
func loadProject(t *testing.T) Options {
	t.Helper()
	bk := testbed.StartBuildKit(t)
	opts := writeProject(t, map[string]string{
		"Dockerfile": "FROM scratch\nCOPY hello /hello\n",
		"hello":      "hello\n",
		"orch.hcl":   "target \"app\" {\n  tags = [\"example.com/load:1\"]\n}\n",
	})
	opts.Targets = []string{"app"}
	opts.Builder.Addr = bk.Addr
	opts.Progress = "quiet"
	opts.Overrides.Load = true
	return opts
}

// TestLoadIntoContainerd: --load with CONTAINERD_ADDRESS naming the test
// bed's containerd puts the image into its default namespace, as the
// plan's destinations say.
func TestLoadIntoContainerd(t *testing.T) {
	ctrd := testbed.StartContainerd(t)
	opts := loadProject(t)
	t.Setenv("CONTAINERD_ADDRESS", ctrd.Address)
	t.Setenv("CONTAINER_HOST", filepath.Join(t.TempDir(), "no-podman.sock"))
	res, err := Run(t.Context(), opts)
	if err != nil {
		t.Fatalf("build --load: %v", err)
	}
	o := res.Report.Outcomes[0]
	if diff := cmp.Diff([]string{"containerd:default/example.com/load:1"}, o.Result.Destinations); diff != "" {
		t.Errorf("destinations (-want +got):\n%s", diff)
	}
	c, err := containerd.New(ctrd.Address, containerd.WithDefaultNamespace("default"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	img, err := c.ImageService().Get(context.Background(), "example.com/load:1")
	if err != nil {
		t.Fatalf("containerd has no example.com/load:1: %v", err)
	}
	if img.Target.Digest.String() != o.Result.Digest {
		t.Errorf("image at %s, the build reported %s", img.Target.Digest, o.Result.Digest)
	}
}

// TestLoadIntoPodman: with no containerd reachable, --load puts the image
// into the Podman that CONTAINER_HOST names.
func TestLoadIntoPodman(t *testing.T) {
	pm := testbed.StartPodman(t)
	opts := loadProject(t)
	t.Setenv("CONTAINERD_ADDRESS", filepath.Join(t.TempDir(), "no-containerd.sock"))
	t.Setenv("CONTAINER_HOST", pm.Address)
	res, err := Run(t.Context(), opts)
	if err != nil {
		t.Fatalf("build --load: %v", err)
	}
	if diff := cmp.Diff([]string{"podman:example.com/load:1"}, res.Report.Outcomes[0].Result.Destinations); diff != "" {
		t.Errorf("destinations (-want +got):\n%s", diff)
	}
	if _, ok := pm.Image(t, "example.com/load:1"); !ok {
		t.Errorf("podman has no example.com/load:1; it holds %v", pm.Tags(t))
	}
}

// TestLoadWithoutStore: with neither reachable, the check refuses the
// target at its block, naming both sockets tried, before any builder is
// contacted; a target with a local output, to which bake's --load adds
// no load, is not concerned.
func TestLoadWithoutStore(t *testing.T) {
	dir := t.TempDir()
	noCtrd, noPodman := filepath.Join(dir, "c.sock"), filepath.Join(dir, "p.sock")
	t.Setenv("CONTAINERD_ADDRESS", noCtrd)
	t.Setenv("CONTAINER_HOST", noPodman)
	opts := writeProject(t, map[string]string{
		"Dockerfile": "FROM scratch\n",
		"orch.hcl":   "target \"app\" {\n  tags = [\"app:1\"]\n}\ntarget \"files\" {\n  output = [\"type=local,dest=out\"]\n}\n",
	})
	opts.Overrides.Load = true
	opts.Targets = []string{"app", "files"}
	opts.Builder.Addr = "unix://" + filepath.Join(dir, "no-buildkitd.sock")
	res, err := Run(t.Context(), opts)
	if err == nil || !strings.Contains(err.Error(), "configuration error: 1 error") {
		t.Fatalf("error %v, want one configuration error", err)
	}
	var got []string
	for _, d := range res.Diagnostics {
		got = append(got, at(d))
	}
	want := []string{`1: No image store to load into: Target "app": --load (an output type=docker without dest) puts the image into the local image store: ` +
		`no local image store (containerd or Podman) is reachable (containerd at ` + noCtrd + ` (CONTAINERD_ADDRESS): dial unix ` + noCtrd +
		`: connect: no such file or directory; podman at ` + noPodman + ` (CONTAINER_HOST): dial unix ` + noPodman +
		`: connect: no such file or directory); start one (CONTAINERD_ADDRESS and CONTAINER_HOST name their sockets), or name one with --set '*.output=type=containerd,address=SOCK' or type=podman.`}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("diagnostics (-want +got):\n%s", diff)
	}
}
