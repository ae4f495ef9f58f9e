package dest

import (
	"runtime"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/orch-build/orch/config"
	"github.com/orch-build/orch/internal/testbed"
)

// TestPodmanLoadsEveryTag: type=podman loads the image into a running
// Podman with every name, one platform: the host's unless platform= names
// one. (Podman itself refuses an OCI archive that lists the image under
// several names, as BuildKit writes it.)
func TestPodmanLoadsEveryTag(t *testing.T) {
	pm := testbed.StartPodman(t)
	img := newTestImage(t, "a", "linux/amd64", "linux/arm64")
	tests := []struct {
		name, output string
		tags         []string
		wantPlatform string
	}{
		{"host platform", "type=podman,address=" + pm.Address, []string{"example.com/app:1", "example.com/app:latest", "app:dev"}, "linux/" + runtime.GOARCH},
		{"named platform", "type=podman,platform=linux/arm64,address=" + pm.Address, []string{"example.com/app-arm:1"}, "linux/arm64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tg := target(t.TempDir(), "app", tt.tags, tt.output)
			dests, err := stageAndCommit(t, tg, img, nil)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, tag := range tt.tags {
				norm, _ := config.NormalizeImageName(tag)
				want = append(want, "podman:"+norm)
				got, ok := pm.Image(t, norm)
				if !ok {
					t.Errorf("podman has no image %s", norm)
					continue
				}
				if got.Platform() != tt.wantPlatform {
					t.Errorf("%s: platform %s, want %s", norm, got.Platform(), tt.wantPlatform)
				}
				if !slices.Contains(got.RepoTags, norm) {
					t.Errorf("%s: names %v", norm, got.RepoTags)
				}
			}
			if diff := cmp.Diff(want, dests); diff != "" {
				t.Errorf("destinations (-want +got):\n%s", diff)
			}
		})
	}
	t.Logf("podman holds %v", pm.Tags(t))
}

// TestPodmanErrors: a platform the image lacks and a Podman that does not
// answer are errors that name the store and the cause.
func TestPodmanErrors(t *testing.T) {
	pm := testbed.StartPodman(t)
	img := newTestImage(t, "a", "linux/amd64", "linux/arm64")
	tg := target(t.TempDir(), "app", []string{"example.com/app:1"}, "type=podman,platform=linux/s390x,address="+pm.Address)
	_, err := stageAndCommit(t, tg, img, nil)
	want := "output type=podman (podman " + pm.Socket + "): podman " + pm.Socket + ": the image has no linux/s390x variant (it has linux/amd64, linux/arm64); set platform= to one of them"
	if err == nil || err.Error() != want {
		t.Errorf("error\n%v\nwant\n%s", err, want)
	}
	missing := t.TempDir() + "/none.sock"
	tg = target(t.TempDir(), "app", []string{"example.com/app:1"}, "type=podman,address=unix://"+missing)
	_, err = stageAndCommit(t, tg, img, nil)
	want = "output type=podman (podman " + missing + "): podman " + missing + ": Get \"http://podman/v4.0.0/libpod/info\": dial unix " + missing + ": connect: no such file or directory"
	if err == nil || err.Error() != want {
		t.Errorf("error\n%v\nwant\n%s", err, want)
	}
}
