package dest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/orch-build/orch/config"
	"github.com/orch-build/orch/internal/testbed"
)

// entry is an index.json entry with a ref name and an optional image name.
func entry(ref, name, content string) ocispec.Descriptor {
	d := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: digest.FromString(content), Annotations: map[string]string{ocispec.AnnotationRefName: ref}}
	if name != "" {
		d.Annotations[imageNameAnnotation] = name
	}
	return d
}

func TestMergeIndex(t *testing.T) {
	old := &ocispec.Index{Manifests: []ocispec.Descriptor{
		entry("v1", "r/b:v1", "old b"),
		entry("v1", "r/a:v1", "old a"),
		entry("app", "", "old app"),
	}}
	add := &ocispec.Index{Manifests: []ocispec.Descriptor{
		entry("v1", "r/a:v1", "new a"),
		entry("v2", "r/a:v2", "new a"),
	}}
	got := mergeIndex(old, add)
	want := []ocispec.Descriptor{
		entry("app", "", "old app"),
		entry("v1", "r/a:v1", "new a"),
		entry("v2", "r/a:v2", "new a"),
		entry("v1", "r/b:v1", "old b"),
	}
	if diff := cmp.Diff(want, got.Manifests); diff != "" {
		t.Errorf("merged entries (-want +got):\n%s", diff)
	}
	if got.SchemaVersion != 2 || got.MediaType != ocispec.MediaTypeImageIndex {
		t.Errorf("schemaVersion %d, mediaType %q", got.SchemaVersion, got.MediaType)
	}
}

func TestNameEntry(t *testing.T) {
	tests := []struct {
		name string
		in   ocispec.Descriptor
		want map[string]string
	}{
		{"tag-less image gets the target name", entry("latest", "", "x"), map[string]string{ocispec.AnnotationRefName: "app"}},
		{"named image keeps its tag", entry("v1", "r/a:v1", "x"), map[string]string{ocispec.AnnotationRefName: "v1", imageNameAnnotation: "r/a:v1"}},
		{"no annotations at all", ocispec.Descriptor{}, map[string]string{ocispec.AnnotationRefName: "app"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := tt.in
			nameEntry(&d, "app")
			if diff := cmp.Diff(tt.want, d.Annotations); diff != "" {
				t.Errorf("annotations (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMergeIntoSomethingElse(t *testing.T) {
	dir := t.TempDir()
	dest := filepath.Join(dir, "images")
	if err := os.MkdirAll(dest, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dest, "notes.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	staged := filepath.Join(dir, ".images.orch-1")
	if err := os.MkdirAll(filepath.Join(staged, "blobs", "sha256"), 0o755); err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(ocispec.Index{Manifests: []ocispec.Descriptor{entry("latest", "", "x")}})
	if err := os.WriteFile(filepath.Join(staged, "index.json"), raw, 0o644); err != nil {
		t.Fatal(err)
	}
	err := (&layout{path: dest}).merge(staged, "app", "")
	want := dest + " exists and is not an OCI image layout (no oci-layout); remove it or choose another dest"
	if err == nil || err.Error() != want {
		t.Errorf("error %v, want %s", err, want)
	}
	if raw, _ := os.ReadFile(filepath.Join(dest, "notes.txt")); string(raw) != "mine" {
		t.Errorf("the user's file was touched")
	}
}

// TestLayoutLockOnRealPath: a layout and a symbolic link to it are one
// layout to the lock: a second run through the other name is refused
// before anything is built, and names both paths.
func TestLayoutLockOnRealPath(t *testing.T) {
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "real"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(root, "real", "layout"), filepath.Join(root, "link-to-layout")); err != nil {
		t.Fatal(err)
	}
	first, err := Open(planOf(target(root, "a", nil, "type=oci,tar=false,dest=real/layout")), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	_, err = Open(planOf(target(root, "b", nil, "type=oci,tar=false,dest=link-to-layout")), Options{})
	if !errors.Is(err, ErrLayoutBusy) {
		t.Fatalf("second run through the link: error %v, want ErrLayoutBusy", err)
	}
	lock := filepath.Join(root, "real", ".layout.orch-lock")
	want := fmt.Sprintf("oci layout %s (%s): another orch run is writing it (pid %d); lock file %s; wait for it to finish or choose another dest",
		filepath.Join(root, "link-to-layout"), filepath.Join(root, "real", "layout"), os.Getpid(), lock)
	if err.Error() != want {
		t.Errorf("error\n%s\nwant\n%s", err, want)
	}
}

// TestLayoutThroughTwoNames: two targets of one run writing one layout
// through two names merge one after the other into the one directory;
// the index names both images and every blob it names is there.
func TestLayoutThroughTwoNames(t *testing.T) {
	root := t.TempDir()
	if err := os.Symlink("real", filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}
	a := target(root, "a", []string{"example.com/a:1"}, "type=oci,tar=false,dest=real/layout")
	b := target(root, "b", []string{"example.com/b:1"}, "type=oci,tar=false,dest=link/layout")
	r := openRun(t, a, b)
	var wg sync.WaitGroup
	for i, tg := range []*config.Target{a, b} {
		e := stageBuilt(t, r, tg, newTestImage(t, tg.Name, "linux/amd64"), nil, nil)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := r.Commit(context.Background(), e); err != nil {
				t.Errorf("commit %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	l := testbed.OpenLayout(t, filepath.Join(root, "real", "layout"))
	var names []string
	for _, d := range l.Index.Manifests {
		names = append(names, d.Annotations[imageNameAnnotation])
		for _, img := range testbed.Walk(t, l.Blob, d) { // fails on a missing blob
			l.Blob(t, img.Manifest.Layers[0].Digest)
		}
	}
	if want := []string{"example.com/a:1", "example.com/b:1"}; !slices.Equal(names, want) {
		t.Errorf("index names %v, want %v", names, want)
	}
}

// TestMergeNormalizedNames: an entry another tool wrote as app:1 is the
// image BuildKit names docker.io/library/app:1; a new build replaces it
// instead of adding a second entry for the same name.
func TestMergeNormalizedNames(t *testing.T) {
	root := t.TempDir()
	dest := filepath.Join(root, "layout")
	old := newTestImage(t, "old", "linux/amd64")
	files := old.files(nil)
	idx := old.index(nil)
	idx.Manifests[0].Annotations = map[string]string{imageNameAnnotation: "app:1", ocispec.AnnotationRefName: "1"}
	raw, _ := json.Marshal(idx)
	files[ocispec.ImageIndexFile] = string(raw)
	writeFiles(t, dest, files)

	tg := target(root, "app", []string{"app:1"}, "type=oci,tar=false,dest=layout")
	if _, err := stageAndCommit(t, tg, newTestImage(t, "new", "linux/amd64"), nil); err != nil {
		t.Fatal(err)
	}
	l := testbed.OpenLayout(t, dest)
	if n := len(l.Index.Manifests); n != 1 {
		t.Fatalf("index has %d entries, want 1: %+v", n, l.Index.Manifests)
	}
	if got := l.Index.Manifests[0].Annotations[imageNameAnnotation]; got != "docker.io/library/app:1" {
		t.Errorf("entry named %q", got)
	}
	if _, err := os.Stat(filepath.Join(dest, "blobs", "sha256", old.root.Digest.Encoded())); !os.IsNotExist(err) {
		t.Errorf("the replaced image's manifest is still there (%v)", err)
	}
}
