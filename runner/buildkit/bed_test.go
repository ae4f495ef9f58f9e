package buildkit

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moby/buildkit/client"
	"github.com/orch-build/orch/internal/testbed"
	"github.com/tonistiigi/fsutil"
)

func TestMain(m *testing.M) {
	// As the orch command does: BuildKit's loggers would fill the test output.
	QuietLogs()
	os.Exit(testbed.Main(m))
}

// bedDockerfile needs nothing from a registry: busybox comes from a named
// local context laid out per architecture by setup.
const bedDockerfile = `FROM scratch
ARG TARGETARCH
COPY --from=busybox ${TARGETARCH}/busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
RUN mkdir -p /etc && uname -m > /etc/built-on
`

// busyboxDir returns the directory setup fills with bin/busybox/<arch>/busybox.
func busyboxDir(t *testing.T) string {
	t.Helper()
	root, err := testbed.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "bin", "busybox")
	for _, arch := range []string{"amd64", "arm64"} {
		if _, err := os.Stat(filepath.Join(dir, arch, "busybox")); err != nil {
			testbed.Unavailable(t, "busybox for %s is missing: %v", arch, err)
		}
	}
	return dir
}

// TestBedMultiPlatformSolve proves the test bed end to end with the BuildKit
// client alone: one solve for two platforms with RUN steps (arm64 through
// QEMU), exported as an OCI layout directory and pushed to a local registry.
func TestBedMultiPlatformSolve(t *testing.T) {
	bk := testbed.StartBuildKit(t)
	reg := testbed.StartRegistry(t)
	bb := busyboxDir(t)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c, err := client.New(ctx, bk.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	workers, err := c.ListWorkers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var platforms []string
	for _, w := range workers {
		for _, p := range w.Platforms {
			platforms = append(platforms, p.OS+"/"+p.Architecture)
		}
	}
	if !slices.Contains(platforms, "linux/arm64") {
		t.Fatalf("buildkitd lists platforms %v, want linux/arm64 (is QEMU registered in binfmt_misc?)", platforms)
	}

	src := t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "Dockerfile"), []byte(bedDockerfile), 0o644); err != nil {
		t.Fatal(err)
	}
	mounts := map[string]fsutil.FS{}
	for name, dir := range map[string]string{"context": src, "dockerfile": src, "busybox": bb} {
		fs, err := fsutil.NewFS(dir)
		if err != nil {
			t.Fatal(err)
		}
		mounts[name] = fs
	}
	layout := filepath.Join(t.TempDir(), "layout")
	image := reg.Host + "/bed/hello:v1"
	_, err = c.Solve(ctx, nil, client.SolveOpt{
		Frontend: "dockerfile.v0",
		FrontendAttrs: map[string]string{
			"platform":        "linux/amd64,linux/arm64",
			"context:busybox": "local:busybox",
		},
		LocalMounts: mounts,
		Exports: []client.ExportEntry{
			{Type: client.ExporterOCI, OutputDir: layout, Attrs: map[string]string{"tar": "false"}},
			{Type: client.ExporterImage, Attrs: map[string]string{"name": image, "push": "true", "registry.insecure": "true"}},
		},
	}, drain(t))
	if err != nil {
		t.Fatalf("solve: %v", err)
	}

	wantArch := map[string]string{"linux/amd64": "x86_64", "linux/arm64": "aarch64"}
	check := func(where string, blob testbed.BlobFunc, images []testbed.Image) {
		t.Helper()
		got := map[string]bool{}
		for _, img := range images {
			p := img.Platform()
			got[p] = true
			if d := img.Descriptor.Platform; d == nil || d.OS+"/"+d.Architecture != p {
				t.Errorf("%s: manifest %s: index platform %v, config says %s", where, img.Descriptor.Digest, d, p)
			}
			data, ok := testbed.File(t, blob, img, "/etc/built-on")
			if !ok {
				t.Errorf("%s: %s: /etc/built-on is in no layer", where, p)
				continue
			}
			if strings.TrimSpace(string(data)) != wantArch[p] {
				t.Errorf("%s: %s: RUN step wrote %q, want %q", where, p, data, wantArch[p])
			}
		}
		if len(got) != 2 || !got["linux/amd64"] || !got["linux/arm64"] {
			t.Errorf("%s: platforms %v, want linux/amd64 and linux/arm64", where, got)
		}
	}

	l := testbed.OpenLayout(t, layout)
	if n := len(l.Index.Manifests); n != 1 {
		t.Fatalf("index.json lists %d manifests, want 1 (the manifest list)", n)
	}
	if mt := l.Index.Manifests[0].MediaType; mt != "application/vnd.oci.image.index.v1+json" {
		t.Errorf("index.json entry has media type %s, want an image index", mt)
	}
	check("oci layout", l.Blob, l.Images(t))

	if tags := reg.Tags(t, "bed/hello"); !slices.Contains(tags, "v1") {
		t.Errorf("registry tags %v, want v1", tags)
	}
	check("registry", reg.BlobFunc("bed/hello"), reg.Images(t, "bed/hello", "v1"))
}

// drain consumes a solve's status channel, logging vertex errors.
func drain(t *testing.T) chan *client.SolveStatus {
	ch := make(chan *client.SolveStatus)
	go func() {
		for s := range ch {
			for _, v := range s.Vertexes {
				if v.Error != "" {
					t.Logf("vertex %s: %s", v.Name, v.Error)
				}
			}
		}
	}()
	return ch
}
