package testbed_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io/fs"
	"net"
	"net/http"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/orch-build/orch/internal/testbed"
)

func TestPodmanServesItsAPI(t *testing.T) {
	pm := testbed.StartPodman(t)
	// The Docker-compatible ping as well as the libpod one StartPodman
	// waited for: both are served on the one socket.
	code, body := pm.Request(t, http.MethodGet, "/_ping", nil)
	if code != http.StatusOK || string(body) != "OK" {
		t.Fatalf("GET /_ping = HTTP %d %q, want 200 \"OK\"", code, body)
	}
	if imgs := pm.Images(t); len(imgs) != 0 {
		t.Fatalf("a fresh store lists %d images: %+v", len(imgs), imgs)
	}
}

func TestPodmanLoadsAnOCIArchive(t *testing.T) {
	pm := testbed.StartPodman(t)
	const name = "example.com/testbed/hello:1"
	// arm64 on an amd64 host: the platform Podman reports is the image's,
	// not the host's.
	archive, manifest, config := ociArchive(t, "arm64", name)

	if got := pm.Load(t, bytes.NewReader(archive)); !cmp.Equal(got, []string{name}) {
		t.Errorf("load names = %q, want [%q]", got, name)
	}
	img, ok := pm.Image(t, name)
	if !ok {
		t.Fatalf("%s is not in the store after the load", name)
	}
	if img.Platform() != "linux/arm64" {
		t.Errorf("platform = %s, want linux/arm64", img.Platform())
	}
	if img.ID != config.Encoded() || img.Digest != manifest.String() {
		t.Errorf("id %s digest %s, want %s and %s", img.ID, img.Digest, config.Encoded(), manifest)
	}
	if got := pm.Tags(t); !cmp.Equal(got, []string{name}) {
		t.Errorf("tags = %q, want [%q]", got, name)
	}
	if imgs := pm.Images(t); len(imgs) != 1 || imgs[0].ID != img.ID || imgs[0].Architecture != "arm64" {
		t.Errorf("images = %+v, want the one loaded", imgs)
	}
	if _, ok := pm.Image(t, "example.com/testbed/missing:1"); ok {
		t.Error("an image that was never loaded is reported present")
	}
}

func TestPodmanStopsWithTheTest(t *testing.T) {
	var pm *testbed.Podman
	t.Run("start", func(t *testing.T) { pm = testbed.StartPodman(t) })
	if pm == nil {
		return // unavailable: the subtest said why
	}
	if _, err := os.Stat(pm.Dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("%s still exists after the test that started podman ended (%v)", pm.Dir, err)
	}
	if c, err := net.Dial("unix", pm.Socket); err == nil {
		c.Close()
		t.Errorf("podman still answers on %s after its test ended", pm.Socket)
	}
}

// ociArchive builds, without a daemon, an OCI image archive of one image
// for linux/arch holding one file, named by the io.containerd.image.name
// annotation as BuildKit's oci exporter names it. It returns the archive and
// the digests of the manifest and the config.
func ociArchive(t *testing.T, arch, name string) ([]byte, digest.Digest, digest.Digest) {
	t.Helper()
	blobs := map[digest.Digest][]byte{}
	add := func(mediaType string, raw []byte) ocispec.Descriptor {
		d := digest.FromBytes(raw)
		blobs[d] = raw
		return ocispec.Descriptor{MediaType: mediaType, Digest: d, Size: int64(len(raw))}
	}
	var layerTar bytes.Buffer
	tw := tar.NewWriter(&layerTar)
	content := []byte("hello from the test bed\n")
	if err := tw.WriteHeader(&tar.Header{Name: "hello", Mode: 0o644, Size: int64(len(content)), Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	tw.Write(content)
	tw.Close()
	var layerGz bytes.Buffer
	zw := gzip.NewWriter(&layerGz)
	zw.Write(layerTar.Bytes())
	zw.Close()
	layer := add(ocispec.MediaTypeImageLayerGzip, layerGz.Bytes())
	config := add(ocispec.MediaTypeImageConfig, mustJSON(t, ocispec.Image{
		Platform: ocispec.Platform{OS: "linux", Architecture: arch},
		RootFS:   ocispec.RootFS{Type: "layers", DiffIDs: []digest.Digest{digest.FromBytes(layerTar.Bytes())}},
	}))
	manifest := add(ocispec.MediaTypeImageManifest, mustJSON(t, ocispec.Manifest{
		Versioned: specsVersion,
		MediaType: ocispec.MediaTypeImageManifest,
		Config:    config,
		Layers:    []ocispec.Descriptor{layer},
	}))
	manifest.Annotations = map[string]string{"io.containerd.image.name": name}
	manifest.Platform = &ocispec.Platform{OS: "linux", Architecture: arch}
	index := mustJSON(t, ocispec.Index{Versioned: specsVersion, MediaType: ocispec.MediaTypeImageIndex, Manifests: []ocispec.Descriptor{manifest}})

	var out bytes.Buffer
	aw := tar.NewWriter(&out)
	// Entry names without a leading "./": Podman does not find index.json
	// in an archive whose names start with one.
	file := func(name string, raw []byte) {
		if err := aw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(raw)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		aw.Write(raw)
	}
	file(ocispec.ImageLayoutFile, mustJSON(t, ocispec.ImageLayout{Version: ocispec.ImageLayoutVersion}))
	file("index.json", index)
	for d, raw := range blobs {
		file("blobs/"+d.Algorithm().String()+"/"+d.Encoded(), raw)
	}
	if err := aw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes(), manifest.Digest, config.Digest
}

// specsVersion is the schema version of OCI manifests and indexes.
var specsVersion = specs.Versioned{SchemaVersion: 2}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}
