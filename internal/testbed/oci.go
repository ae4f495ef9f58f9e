package testbed

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Image is one platform's image found by walking an index: its manifest
// descriptor (with the platform the index gave it), the manifest and the
// config.
type Image struct {
	Descriptor ocispec.Descriptor
	Manifest   ocispec.Manifest
	Config     ocispec.Image
}

// Platform returns "os/arch[/variant]" from the image config.
func (img Image) Platform() string {
	p := img.Config.OS + "/" + img.Config.Architecture
	if img.Config.Variant != "" {
		p += "/" + img.Config.Variant
	}
	return p
}

// BlobFunc returns the content of a blob, verified against its digest.
type BlobFunc func(tb testing.TB, d digest.Digest) []byte

// Layout is an OCI image layout directory read for assertions.
type Layout struct {
	Dir   string
	Index ocispec.Index
}

// OpenLayout reads and checks the top of an OCI image layout: oci-layout with
// version 1.0.0 and a parseable index.json.
func OpenLayout(tb testing.TB, dir string) *Layout {
	tb.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, ocispec.ImageLayoutFile))
	if err != nil {
		tb.Fatalf("oci layout %s: %v", dir, err)
	}
	var marker ocispec.ImageLayout
	if err := json.Unmarshal(raw, &marker); err != nil || marker.Version != ocispec.ImageLayoutVersion {
		tb.Fatalf("oci layout %s: oci-layout is %q, want version %s", dir, raw, ocispec.ImageLayoutVersion)
	}
	l := &Layout{Dir: dir}
	raw, err = os.ReadFile(filepath.Join(dir, "index.json"))
	if err != nil {
		tb.Fatalf("oci layout %s: %v", dir, err)
	}
	if err := json.Unmarshal(raw, &l.Index); err != nil {
		tb.Fatalf("oci layout %s: index.json: %v", dir, err)
	}
	if l.Index.SchemaVersion != 2 {
		tb.Fatalf("oci layout %s: index.json schemaVersion %d, want 2", dir, l.Index.SchemaVersion)
	}
	return l
}

// Blob reads blobs/<alg>/<hex> and checks its digest.
func (l *Layout) Blob(tb testing.TB, d digest.Digest) []byte {
	tb.Helper()
	raw, err := os.ReadFile(filepath.Join(l.Dir, "blobs", d.Algorithm().String(), d.Encoded()))
	if err != nil {
		tb.Fatalf("oci layout %s: %v", l.Dir, err)
	}
	if got := digest.FromBytes(raw); got != d {
		tb.Fatalf("oci layout %s: blob %s has digest %s", l.Dir, d, got)
	}
	return raw
}

// Images walks every descriptor of index.json down to the image manifests.
func (l *Layout) Images(tb testing.TB) []Image {
	tb.Helper()
	var out []Image
	for _, d := range l.Index.Manifests {
		out = append(out, Walk(tb, l.Blob, d)...)
	}
	return out
}

// Walk follows a descriptor through nested indexes to image manifests and
// reads each manifest and config. Attestation manifests (platform
// unknown/unknown) are left out.
func Walk(tb testing.TB, blob BlobFunc, d ocispec.Descriptor) []Image {
	tb.Helper()
	raw := blob(tb, d.Digest)
	switch d.MediaType {
	case ocispec.MediaTypeImageIndex, "application/vnd.docker.distribution.manifest.list.v2+json":
		var idx ocispec.Index
		if err := json.Unmarshal(raw, &idx); err != nil {
			tb.Fatalf("index %s: %v", d.Digest, err)
		}
		var out []Image
		for _, m := range idx.Manifests {
			if m.Platform != nil && m.Platform.OS == "unknown" {
				continue
			}
			out = append(out, Walk(tb, blob, m)...)
		}
		return out
	case ocispec.MediaTypeImageManifest, "application/vnd.docker.distribution.manifest.v2+json":
		img := Image{Descriptor: d}
		if err := json.Unmarshal(raw, &img.Manifest); err != nil {
			tb.Fatalf("manifest %s: %v", d.Digest, err)
		}
		if err := json.Unmarshal(blob(tb, img.Manifest.Config.Digest), &img.Config); err != nil {
			tb.Fatalf("config %s: %v", img.Manifest.Config.Digest, err)
		}
		return []Image{img}
	default:
		tb.Fatalf("descriptor %s has unexpected media type %q", d.Digest, d.MediaType)
		return nil
	}
}

// File returns the content of a regular file in an image's filesystem,
// looking through the layers from the top, and whether it exists. A
// whiteout in an upper layer hides the file.
func File(tb testing.TB, blob BlobFunc, img Image, name string) ([]byte, bool) {
	tb.Helper()
	name = strings.TrimPrefix(path.Clean("/"+name), "/")
	for i := len(img.Manifest.Layers) - 1; i >= 0; i-- {
		layer := img.Manifest.Layers[i]
		data, found, deleted, err := fileInLayer(blob(tb, layer.Digest), layer.MediaType, name)
		if err != nil {
			tb.Fatalf("layer %s: %v", layer.Digest, err)
		}
		if deleted {
			return nil, false
		}
		if found {
			return data, true
		}
	}
	return nil, false
}

func fileInLayer(raw []byte, mediaType, name string) (data []byte, found, deleted bool, err error) {
	var r io.Reader = bytes.NewReader(raw)
	if strings.Contains(mediaType, "gzip") {
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, false, false, err
		}
		r = zr
	} else if strings.Contains(mediaType, "zstd") {
		return nil, false, false, errors.New("zstd layers are not supported by the test helper")
	}
	whiteout := path.Join(path.Dir(name), ".wh."+path.Base(name))
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil, false, false, nil
		}
		if err != nil {
			return nil, false, false, err
		}
		entry := strings.TrimPrefix(path.Clean("/"+h.Name), "/")
		switch {
		case entry == whiteout:
			return nil, false, true, nil
		case entry == name && h.Typeflag == tar.TypeReg:
			data, err := io.ReadAll(tr)
			return data, true, false, err
		}
	}
}
