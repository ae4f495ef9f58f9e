package dest

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/orch-build/orch/config"
	"github.com/orch-build/orch/internal/testbed"
)

func TestCanAssemble(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		outputs []string
		want    bool
	}{
		{[]string{"type=registry"}, true},
		{[]string{"type=image,push=true", "type=oci,dest=out,tar=false", "type=oci,dest=app.tar"}, true},
		{[]string{"type=containerd", "type=podman", "type=cacheonly"}, true},
		{nil, true},
		{[]string{"type=image"}, false},
		{[]string{"type=registry", "type=local,dest=out"}, false},
		{[]string{"type=tar,dest=out.tar"}, false},
		{[]string{"type=docker,dest=out.tar"}, false},
		{[]string{"type=oci,dest=-"}, false},
	} {
		if got := CanAssemble(target(dir, "app", nil, tc.outputs...)); got != tc.want {
			t.Errorf("CanAssemble(%v) = %v, want %v", tc.outputs, got, tc.want)
		}
	}
}

// partArchive is what BuildKit writes for one part: an OCI archive of
// img under the write's names, its index.json entry annotated.
func partArchive(t *testing.T, w Write, img *testImage, entryAnnotations map[string]string) {
	t.Helper()
	var names []string
	if w.Attrs["name"] != "" {
		names = strings.Split(w.Attrs["name"], ",")
	}
	files := img.files(names)
	idx := img.index(names)
	for i := range idx.Manifests {
		for k, v := range entryAnnotations {
			idx.Manifests[i].Annotations[k] = v
		}
	}
	raw, _ := json.Marshal(idx)
	files[ocispec.ImageIndexFile] = string(raw)
	if err := os.WriteFile(w.File, tarOf(t, files), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestSplitAssemble builds a two-platform image as two parts, one a
// single manifest and one an index, and commits it to a registry, an OCI
// layout and an OCI archive: each gets one index holding both platforms.
func TestSplitAssemble(t *testing.T) {
	reg := testbed.StartRegistry(t)
	root := t.TempDir()
	tg := target(root, "app", []string{reg.Host + "/team/app:1"},
		"type=registry", "type=oci,dest=layout,tar=false", "type=oci,dest=app.tar")
	tg.Platforms = []string{"linux/amd64", "linux/arm64"}
	r := openRun(t, tg)
	e, err := r.Stage(tg, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	split, err := e.Split(2)
	if err != nil {
		t.Fatal(err)
	}
	if len(split.Parts) != 2 || len(split.Parts[0]) != len(e.Writes) {
		t.Fatalf("parts %d × %d, want 2 × %d", len(split.Parts), len(split.Parts[0]), len(e.Writes))
	}
	amd := newTestImage(t, "a", "linux/amd64")
	arm := newTestImage(t, "a", "linux/arm64", "linux/arm64") // an index (the platform twice, as an attestation would be beside it)
	for i := range e.Writes {
		if w := split.Parts[0][i]; w.Exporter != "oci" || w.Attrs["tar"] != "true" || w.File == "" {
			t.Errorf("part write %+v, want an OCI archive", w)
		}
		partArchive(t, split.Parts[0][i], amd, map[string]string{"org.opencontainers.image.created": "now", "k": "v"})
		partArchive(t, split.Parts[1][i], arm, nil)
	}
	desc, err := split.Assemble()
	if err != nil {
		t.Fatal(err)
	}
	if desc.MediaType != ocispec.MediaTypeImageIndex {
		t.Fatalf("assembled %s, want an index", desc.MediaType)
	}
	partFiles := slices.Clone(e.parts)
	dests, err := r.Commit(context.Background(), e)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"registry:" + reg.Host + "/team/app:1", "oci:" + filepath.Join(root, "layout"), "oci:" + filepath.Join(root, "app.tar")}
	if diff := cmp.Diff(want, dests); diff != "" {
		t.Errorf("destinations (-want +got):\n%s", diff)
	}

	platforms := func(imgs []testbed.Image) []string {
		var out []string
		for _, i := range imgs {
			out = append(out, i.Platform())
		}
		slices.Sort(out)
		return out
	}
	wantPlats := []string{"linux/amd64", "linux/arm64", "linux/arm64"}
	if got := tagDigest(t, reg, "team/app", "1"); got != desc.Digest.String() {
		t.Errorf("tag at %s, want the assembled index %s", got, desc.Digest)
	}
	if got := platforms(reg.Images(t, "team/app", "1")); !slices.Equal(got, wantPlats) {
		t.Errorf("registry platforms %v, want %v", got, wantPlats)
	}
	l := testbed.OpenLayout(t, filepath.Join(root, "layout"))
	if len(l.Index.Manifests) != 1 || l.Index.Manifests[0].Digest != desc.Digest {
		t.Fatalf("layout index %+v, want one entry for %s", l.Index.Manifests, desc.Digest)
	}
	entry := l.Index.Manifests[0].Annotations
	if entry[imageNameAnnotation] != reg.Host+"/team/app:1" || entry[ocispec.AnnotationRefName] != "1" || entry["k"] != "v" || entry["org.opencontainers.image.created"] != "now" {
		t.Errorf("layout entry annotations %v", entry)
	}
	if got := platforms(l.Images(t)); !slices.Equal(got, wantPlats) {
		t.Errorf("layout platforms %v, want %v", got, wantPlats)
	}
	r.Close()
	assertNoStaging(t, root)
	if len(partFiles) != 6 {
		t.Errorf("%d part files, want 6 (2 parts × 3 writes)", len(partFiles))
	}
	for _, p := range partFiles {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("part %s: %v after commit, want it gone", p, err)
		}
	}
}

// TestSplitRefusesBuilderWrites refuses to split an export with a write
// that is not an OCI archive or layout.
func TestSplitRefusesBuilderWrites(t *testing.T) {
	tg := target(t.TempDir(), "app", nil, "type=local,dest=out")
	r := openRun(t, tg)
	e, err := r.Stage(tg, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Abort()
	if _, err := e.Split(2); err == nil || err.Error() != `target "app": a local export cannot be assembled from parts built on several nodes` {
		t.Errorf("Split: %v", err)
	}
}

// TestSplitAbortRemovesParts leaves no part file behind an aborted
// export.
func TestSplitAbortRemovesParts(t *testing.T) {
	tg := &config.Target{Name: "app", Outputs: []config.Output{output("", "type=registry,name=localhost:1/app")}}
	r := openRun(t, tg)
	e, err := r.Stage(tg, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	split, err := e.Split(3)
	if err != nil {
		t.Fatal(err)
	}
	files := slices.Clone(e.parts)
	if len(files) != 3 || split.Parts[2][0].File != files[2] {
		t.Fatalf("parts %v", files)
	}
	e.Abort()
	for _, f := range files {
		if _, err := os.Stat(f); !os.IsNotExist(err) {
			t.Errorf("%s: %v after Abort, want it gone", f, err)
		}
	}
}
