package dest

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// TestWriteSingleNames: the one-image archive written for an image store
// lists the image under its full name, and under its tag as the OCI ref
// name when the name has a tag (a colon after the last slash; a
// registry's port is not a tag).
func TestWriteSingleNames(t *testing.T) {
	img := newTestImage(t, "a", "linux/amd64")
	path := filepath.Join(t.TempDir(), "image.tar")
	if err := os.WriteFile(path, tarOf(t, img.files([]string{"example.com/app:1"})), 0o644); err != nil {
		t.Fatal(err)
	}
	a, err := openArchive(path)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	for _, tt := range []struct {
		name string
		ref  string // "" for none
	}{
		{"docker.io/library/app:latest", "latest"},
		{"registry.example:5000/team/app:1.2", "1.2"},
		{"registry.example:5000/team/app", ""},
		{"app", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := a.writeSingle(&buf, img.root, tt.name); err != nil {
				t.Fatal(err)
			}
			idx := archiveIndex(t, buf.Bytes())
			if len(idx.Manifests) != 1 {
				t.Fatalf("index lists %d images, want 1", len(idx.Manifests))
			}
			want := map[string]string{imageNameAnnotation: tt.name}
			if tt.ref != "" {
				want[ocispec.AnnotationRefName] = tt.ref
			}
			if diff := cmp.Diff(want, idx.Manifests[0].Annotations); diff != "" {
				t.Errorf("annotations (-want +got):\n%s", diff)
			}
			if idx.Manifests[0].Digest != img.root.Digest {
				t.Errorf("index lists %s, want the image %s", idx.Manifests[0].Digest, img.root.Digest)
			}
		})
	}
}

// archiveIndex reads index.json out of an OCI archive.
func archiveIndex(t *testing.T, raw []byte) ocispec.Index {
	t.Helper()
	tr := tar.NewReader(bytes.NewReader(raw))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			t.Fatal("the archive has no index.json")
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Name == ocispec.ImageIndexFile {
			var idx ocispec.Index
			if err := json.NewDecoder(tr).Decode(&idx); err != nil {
				t.Fatal(err)
			}
			return idx
		}
	}
}
