package dest

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/errdefs"
	"github.com/containerd/platforms"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// archive is an OCI image archive (a tar of an OCI layout) that BuildKit
// wrote for orch, read in place: each blob is a section of the file, so
// pushing or re-packing it copies nothing to disk.
type archive struct {
	f     *os.File
	index ocispec.Index
	blobs map[digest.Digest]section
}

// section is where a blob's bytes are in the archive file.
type section struct{ off, size int64 }

// countingReader counts what tar has read, which is where the next
// entry's data starts: archive/tar reads headers exactly and never ahead.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// openArchive indexes the archive at p.
func openArchive(p string) (*archive, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	a := &archive{f: f, blobs: map[digest.Digest]section{}}
	cr := &countingReader{r: f}
	tr := tar.NewReader(cr)
	sawIndex := false
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("read OCI archive: %w", err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		name := path.Clean(h.Name)
		switch {
		case name == ocispec.ImageIndexFile:
			if err := json.NewDecoder(tr).Decode(&a.index); err != nil {
				f.Close()
				return nil, fmt.Errorf("read OCI archive: index.json: %w", err)
			}
			sawIndex = true
		case strings.HasPrefix(name, ocispec.ImageBlobsDir+"/"):
			alg, enc, _ := strings.Cut(strings.TrimPrefix(name, ocispec.ImageBlobsDir+"/"), "/")
			d := digest.NewDigestFromEncoded(digest.Algorithm(alg), enc)
			if d.Validate() == nil {
				a.blobs[d] = section{off: cr.n, size: h.Size}
			}
		}
	}
	if !sawIndex || len(a.index.Manifests) == 0 {
		f.Close()
		return nil, errors.New("read OCI archive: no image in index.json")
	}
	return a, nil
}

// Close closes the archive file.
func (a *archive) Close() error { return a.f.Close() }

// root is the image the archive holds: BuildKit lists it once per name,
// always with the same digest; the descriptor comes without the names.
func (a *archive) root() ocispec.Descriptor {
	d := a.index.Manifests[0]
	return ocispec.Descriptor{MediaType: d.MediaType, Digest: d.Digest, Size: d.Size}
}

// ReaderAt implements content.Provider.
func (a *archive) ReaderAt(_ context.Context, desc ocispec.Descriptor) (content.ReaderAt, error) {
	s, ok := a.blobs[desc.Digest]
	if !ok {
		return nil, fmt.Errorf("blob %s: %w", desc.Digest, errdefs.ErrNotFound)
	}
	return sectionReader{io.NewSectionReader(a.f, s.off, s.size)}, nil
}

// sectionReader is a blob of the archive as a content.ReaderAt.
type sectionReader struct{ *io.SectionReader }

func (sectionReader) Close() error { return nil }

// read returns a whole blob, for manifests and indexes.
func (a *archive) read(d ocispec.Descriptor) ([]byte, error) {
	return content.ReadBlob(context.Background(), a, d)
}

// platformImage returns the manifest of the image for platform p: the
// root itself when it is a single manifest (a single-platform build), or
// the matching entry of its index. named says whether the user chose p;
// a single manifest of another platform is then an error.
func (a *archive) platformImage(p ocispec.Platform, named bool) (ocispec.Descriptor, error) {
	root := a.root()
	if !images.IsIndexType(root.MediaType) {
		if named {
			raw, err := a.read(root)
			if err != nil {
				return root, err
			}
			var m ocispec.Manifest
			if err := json.Unmarshal(raw, &m); err != nil {
				return root, err
			}
			raw, err = a.read(m.Config)
			if err != nil {
				return root, err
			}
			var cfg ocispec.Image
			if err := json.Unmarshal(raw, &cfg); err != nil {
				return root, err
			}
			if !platforms.Only(p).Match(cfg.Platform) {
				return root, fmt.Errorf("the image is built for %s only, not %s", platforms.Format(cfg.Platform), platforms.Format(p))
			}
		}
		return root, nil
	}
	raw, err := a.read(root)
	if err != nil {
		return root, err
	}
	var idx ocispec.Index
	if err := json.Unmarshal(raw, &idx); err != nil {
		return root, err
	}
	match := platforms.Only(p)
	var have []string
	for _, d := range idx.Manifests {
		if d.Platform == nil || d.Platform.OS == "unknown" {
			continue // an attestation
		}
		if match.Match(*d.Platform) {
			return ocispec.Descriptor{MediaType: d.MediaType, Digest: d.Digest, Size: d.Size, Platform: d.Platform}, nil
		}
		have = append(have, platforms.Format(*d.Platform))
	}
	return root, fmt.Errorf("the image has no %s variant (it has %s); set platform= to one of them", platforms.Format(p), strings.Join(have, ", "))
}

// writeSingle writes an OCI archive holding only the image m (a manifest)
// under name, for image stores that load one image per archive.
func (a *archive) writeSingle(w io.Writer, m ocispec.Descriptor, name string) error {
	raw, err := a.read(m)
	if err != nil {
		return err
	}
	var man ocispec.Manifest
	if err := json.Unmarshal(raw, &man); err != nil {
		return fmt.Errorf("manifest %s: %w", m.Digest, err)
	}
	entry := m
	entry.Platform = nil
	entry.Annotations = map[string]string{imageNameAnnotation: name}
	if i := strings.LastIndex(name, ":"); i > strings.LastIndex(name, "/") {
		entry.Annotations[ocispec.AnnotationRefName] = name[i+1:]
	}
	blobs := func(fn func(digest.Digest, int64, io.Reader) error) error {
		seen := map[digest.Digest]bool{}
		for _, d := range append([]ocispec.Descriptor{m, man.Config}, man.Layers...) {
			if seen[d.Digest] {
				continue
			}
			seen[d.Digest] = true
			ra, err := a.ReaderAt(context.Background(), d)
			if err != nil {
				return err
			}
			if err := fn(d.Digest, ra.Size(), io.NewSectionReader(ra, 0, ra.Size())); err != nil {
				return err
			}
		}
		return nil
	}
	return writeOCIArchive(w, a.index.Versioned, []ocispec.Descriptor{entry}, blobs)
}
