package dest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
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
	err := (&layout{path: dest}).merge(staged, "app")
	want := dest + " exists and is not an OCI image layout (no oci-layout); remove it or choose another dest"
	if err == nil || err.Error() != want {
		t.Errorf("error %v, want %s", err, want)
	}
	if raw, _ := os.ReadFile(filepath.Join(dest, "notes.txt")); string(raw) != "mine" {
		t.Errorf("the user's file was touched")
	}
}
