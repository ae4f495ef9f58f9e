package dest

import (
	"archive/tar"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/containerd/v2/pkg/reference"
	distref "github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/orch-build/orch/config"
)

// A multi-platform target built on a builder pool may be split: each
// builder node builds some of its platforms (a part), and orch assembles
// the one image index the target stands for. The builder writes each part
// as an OCI archive into a private file (Split); Assemble reads the parts'
// platform images and writes, into the staging of every write of the
// export, one index holding them all, as the builder would have written
// it from a single solve. Commit then treats the staging as it treats the
// builder's own: a registry gets every platform image and the index by
// digest, then each tag; an OCI layout gets one entry holding every
// platform; containerd and Podman import the archive.

// CanAssemble reports whether orch can assemble target t's image from
// parts: every output is one orch writes from an OCI archive or layout (a
// registry, an OCI layout or archive, containerd, Podman, cacheonly).
// BuildKit's own image store (type=image without push), directory and
// tar outputs, docker archives and standard output take a single solve.
func CanAssemble(t *config.Target) bool {
	for _, o := range t.Outputs {
		switch {
		case o.Type == "cacheonly", o.Type == "containerd", o.Type == "podman", o.Push:
		case o.Type == "oci" && !o.Stdout():
		default:
			return false
		}
	}
	return true
}

// Split is an export whose platforms the builder writes in parts.
type Split struct {
	e *Export
	// Parts has, for each part, one write per write of the export, in
	// the same order: an OCI archive ("oci", tar=true) the builder writes
	// the part's platform images into.
	Parts [][]Write
}

// Split prepares the writes of n parts. Every write of e must be an OCI
// archive or layout (see CanAssemble).
func (e *Export) Split(n int) (*Split, error) {
	for _, w := range e.Writes {
		if w.Exporter != "oci" {
			return nil, fmt.Errorf("target %q: a %s export cannot be assembled from parts built on several nodes", e.Target, w.Exporter)
		}
	}
	s := &Split{e: e, Parts: make([][]Write, n)}
	for k := range n {
		for _, w := range e.Writes {
			f, err := e.run.privateFile()
			if err != nil {
				return nil, err
			}
			e.parts = append(e.parts, f)
			attrs := maps.Clone(w.Attrs)
			attrs["tar"] = "true"
			s.Parts[k] = append(s.Parts[k], Write{Exporter: "oci", Attrs: attrs, File: f})
		}
	}
	return s, nil
}

// Assemble writes, for every write of the export, the index of all parts'
// platform images (in part order) into its staging, and returns the
// index's descriptor. The index takes its media type and annotations
// (annotation-index.*) from the first part, each index.json entry the
// annotations BuildKit put on the first part's (annotation-index-
// descriptor.*) and the names of the write's name= attribute.
func (s *Split) Assemble() (ocispec.Descriptor, error) {
	var root ocispec.Descriptor
	for i, w := range s.e.Writes {
		var parts []*archive
		for _, p := range s.Parts {
			a, err := openArchive(p[i].File)
			if err != nil {
				closeAll(parts)
				return root, fmt.Errorf("target %q: part %d: %w", s.e.Target, len(parts)+1, err)
			}
			parts = append(parts, a)
		}
		img, err := assemble(parts)
		if err == nil {
			root = img.desc
			err = img.write(w)
		}
		closeAll(parts)
		if err != nil {
			return root, fmt.Errorf("target %q: assemble the image index: %w", s.e.Target, err)
		}
	}
	return root, nil
}

func closeAll(as []*archive) {
	for _, a := range as {
		a.Close()
	}
}

// assembled is an index built from parts: its bytes and descriptor, the
// index.json annotations and where every blob is.
type assembled struct {
	desc  ocispec.Descriptor
	raw   []byte
	entry map[string]string
	parts []*archive
}

// assemble combines the platform images of parts into one index.
func assemble(parts []*archive) (*assembled, error) {
	idx := ocispec.Index{Versioned: parts[0].index.Versioned, MediaType: ocispec.MediaTypeImageIndex}
	for k, a := range parts {
		root := a.root()
		raw, err := a.read(root)
		if err != nil {
			return nil, err
		}
		if !images.IsIndexType(root.MediaType) {
			// A single platform image: its platform comes from its config.
			p, err := a.manifestPlatform(raw)
			if err != nil {
				return nil, err
			}
			root.Platform = &p
			idx.Manifests = append(idx.Manifests, root)
			continue
		}
		var part ocispec.Index
		if err := json.Unmarshal(raw, &part); err != nil {
			return nil, fmt.Errorf("index %s: %w", root.Digest, err)
		}
		if k == 0 {
			idx.MediaType, idx.Annotations = part.MediaType, part.Annotations
		}
		idx.Manifests = append(idx.Manifests, part.Manifests...)
	}
	raw, err := json.Marshal(idx)
	if err != nil {
		return nil, err
	}
	img := &assembled{
		desc:  ocispec.Descriptor{MediaType: idx.MediaType, Digest: digest.FromBytes(raw), Size: int64(len(raw))},
		raw:   raw,
		entry: map[string]string{},
		parts: parts,
	}
	for k, v := range parts[0].index.Manifests[0].Annotations {
		if k != imageNameAnnotation && k != ocispec.AnnotationRefName {
			img.entry[k] = v
		}
	}
	return img, nil
}

// manifestPlatform reads the platform of the image manifest raw.
func (a *archive) manifestPlatform(raw []byte) (ocispec.Platform, error) {
	var m ocispec.Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return ocispec.Platform{}, err
	}
	cfgRaw, err := a.read(m.Config)
	if err != nil {
		return ocispec.Platform{}, err
	}
	var cfg ocispec.Image
	if err := json.Unmarshal(cfgRaw, &cfg); err != nil {
		return ocispec.Platform{}, err
	}
	return cfg.Platform, nil
}

// entries are the index.json entries of the assembled image for a write
// named names: one per name, as BuildKit's exporter writes them (the
// full name and the OCI reference name), or one without a name.
func (img *assembled) entries(names []string, layout bool) []ocispec.Descriptor {
	base := img.desc
	base.Annotations = maps.Clone(img.entry)
	if len(names) == 0 {
		if layout {
			// BuildKit's client names a layout's nameless image latest.
			base.Annotations = withAnnotation(base.Annotations, ocispec.AnnotationRefName, "latest")
		}
		return []ocispec.Descriptor{base}
	}
	out := make([]ocispec.Descriptor, len(names))
	for i, n := range names {
		d := base
		d.Annotations = withAnnotation(maps.Clone(base.Annotations), imageNameAnnotation, n)
		d.Annotations[ocispec.AnnotationRefName] = ociReferenceName(n)
		out[i] = d
	}
	return out
}

func withAnnotation(m map[string]string, k, v string) map[string]string {
	if m == nil {
		m = map[string]string{}
	}
	m[k] = v
	return m
}

// ociReferenceName is the reference name of a full image name in an
// index.json, as containerd's archive exporter and BuildKit write it: the
// tag, or the whole name when it has none.
func ociReferenceName(name string) string {
	if spec, err := reference.Parse(name); err == nil && spec.Object != "" && spec.Object[0] != '@' {
		return spec.Object
	}
	return name
}

// exportNames are the normalized names of a write's name= attribute, as
// BuildKit's exporter normalizes them.
func exportNames(attrs map[string]string) ([]string, error) {
	var out []string
	for n := range strings.SplitSeq(attrs["name"], ",") {
		if n = strings.TrimSpace(n); n == "" {
			continue
		}
		named, err := distref.ParseNormalizedNamed(n)
		if err != nil {
			return nil, fmt.Errorf("image name %q: %w", n, err)
		}
		out = append(out, distref.TagNameOnly(named).String())
	}
	return out, nil
}

// write writes the assembled image into w's staging: an OCI archive for
// a file, an OCI layout for a directory.
func (img *assembled) write(w Write) error {
	names, err := exportNames(w.Attrs)
	if err != nil {
		return err
	}
	if w.Dir != "" {
		return img.writeLayout(w.Dir, img.entries(names, true))
	}
	f, err := os.OpenFile(w.File, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		return err
	}
	err = img.writeArchive(f, img.entries(names, false))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// blobs calls fn with every blob of the image, each once: the index, then
// every blob of every part.
func (img *assembled) blobs(fn func(d digest.Digest, size int64, r io.Reader) error) error {
	if err := fn(img.desc.Digest, img.desc.Size, strings.NewReader(string(img.raw))); err != nil {
		return err
	}
	seen := map[digest.Digest]bool{img.desc.Digest: true}
	for _, a := range img.parts {
		for d, s := range a.blobs {
			if seen[d] {
				continue
			}
			seen[d] = true
			if err := fn(d, s.size, io.NewSectionReader(a.f, s.off, s.size)); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeArchive writes the image as an OCI archive with the given
// index.json entries.
func (img *assembled) writeArchive(w io.Writer, entries []ocispec.Descriptor) error {
	return writeOCIArchive(w, img.parts[0].index.Versioned, entries, img.blobs)
}

// writeOCIArchive writes an OCI archive: oci-layout, index.json holding
// entries, then every blob blobs yields.
func writeOCIArchive(w io.Writer, v specs.Versioned, entries []ocispec.Descriptor, blobs func(func(digest.Digest, int64, io.Reader) error) error) error {
	index, err := json.Marshal(ocispec.Index{Versioned: v, MediaType: ocispec.MediaTypeImageIndex, Manifests: entries})
	if err != nil {
		return err
	}
	tw := tar.NewWriter(w)
	file := func(name string, size int64, body io.Reader) error {
		if err := tw.WriteHeader(&tar.Header{Name: name, Size: size, Mode: 0o644, Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		_, err := io.Copy(tw, body)
		return err
	}
	if err := file(ocispec.ImageLayoutFile, int64(len(layoutFile)), strings.NewReader(layoutFile)); err != nil {
		return err
	}
	if err := file(ocispec.ImageIndexFile, int64(len(index)), strings.NewReader(string(index))); err != nil {
		return err
	}
	err = blobs(func(d digest.Digest, size int64, r io.Reader) error {
		return file(path.Join(ocispec.ImageBlobsDir, d.Algorithm().String(), d.Encoded()), size, r)
	})
	if err != nil {
		return err
	}
	return tw.Close()
}

// layoutFile is the content of an OCI layout's oci-layout file.
const layoutFile = `{"imageLayoutVersion":"` + ocispec.ImageLayoutVersion + `"}`

// writeLayout writes the image as an OCI layout into dir, which exists
// and is empty (staging).
func (img *assembled) writeLayout(dir string, entries []ocispec.Descriptor) error {
	err := img.blobs(func(d digest.Digest, _ int64, r io.Reader) error {
		p := blobPath(dir, d)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		f, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		if err != nil {
			return err
		}
		_, err = io.Copy(f, r)
		return errors.Join(err, f.Close())
	})
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, ocispec.ImageLayoutFile), []byte(layoutFile), 0o644); err != nil {
		return err
	}
	v := img.parts[0].index.Versioned
	if v.SchemaVersion == 0 {
		v.SchemaVersion = 2
	}
	return writeIndex(dir, &ocispec.Index{Versioned: v, MediaType: ocispec.MediaTypeImageIndex, Manifests: entries})
}
