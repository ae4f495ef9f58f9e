package dest

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/orch-build/orch/config"
	"github.com/orch-build/orch/graph"
	"github.com/orch-build/orch/internal/testbed"
)

func TestMain(m *testing.M) { os.Exit(testbed.Main(m)) }

// testImage is a small OCI image made in memory, as BuildKit would export
// it: one layer holding /n per platform, an index above several platforms.
type testImage struct {
	blobs map[digest.Digest][]byte
	root  ocispec.Descriptor
}

func newTestImage(t *testing.T, content string, platforms ...string) *testImage {
	t.Helper()
	img := &testImage{blobs: map[digest.Digest][]byte{}}
	add := func(mediaType string, raw []byte) ocispec.Descriptor {
		d := digest.FromBytes(raw)
		img.blobs[d] = raw
		return ocispec.Descriptor{MediaType: mediaType, Digest: d, Size: int64(len(raw))}
	}
	var manifests []ocispec.Descriptor
	for _, p := range platforms {
		os, arch, _ := strings.Cut(p, "/")
		layer := tarOf(t, map[string]string{"n": content + " " + p})
		cfg, _ := json.Marshal(ocispec.Image{
			Platform: ocispec.Platform{OS: os, Architecture: arch},
			RootFS:   ocispec.RootFS{Type: "layers", DiffIDs: []digest.Digest{digest.FromBytes(layer)}},
		})
		m, _ := json.Marshal(ocispec.Manifest{
			Versioned: specs.Versioned{SchemaVersion: 2},
			MediaType: ocispec.MediaTypeImageManifest,
			Config:    add(ocispec.MediaTypeImageConfig, cfg),
			Layers:    []ocispec.Descriptor{add(ocispec.MediaTypeImageLayer, layer)},
		})
		d := add(ocispec.MediaTypeImageManifest, m)
		d.Platform = &ocispec.Platform{OS: os, Architecture: arch}
		manifests = append(manifests, d)
	}
	if len(manifests) == 1 {
		img.root = manifests[0]
		img.root.Platform = nil
		return img
	}
	idx, _ := json.Marshal(ocispec.Index{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageIndex, Manifests: manifests})
	img.root = add(ocispec.MediaTypeImageIndex, idx)
	return img
}

// index lists the image once per name, as BuildKit's index writer does.
func (img *testImage) index(names []string) ocispec.Index {
	idx := ocispec.Index{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageIndex}
	for _, n := range names {
		d := img.root
		norm, _ := config.NormalizeImageName(n)
		d.Annotations = map[string]string{imageNameAnnotation: norm, ocispec.AnnotationRefName: norm[strings.LastIndex(norm, ":")+1:]}
		idx.Manifests = append(idx.Manifests, d)
	}
	if len(names) == 0 {
		d := img.root
		d.Annotations = map[string]string{ocispec.AnnotationRefName: "latest"}
		idx.Manifests = append(idx.Manifests, d)
	}
	return idx
}

// files are the image as an OCI layout's files.
func (img *testImage) files(names []string) map[string]string {
	out := map[string]string{ocispec.ImageLayoutFile: `{"imageLayoutVersion":"1.0.0"}`}
	raw, _ := json.Marshal(img.index(names))
	out[ocispec.ImageIndexFile] = string(raw)
	for d, b := range img.blobs {
		out["blobs/sha256/"+d.Encoded()] = string(b)
	}
	return out
}

// tarOf is a tar archive of files (name → content).
func tarOf(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := tw.WriteHeader(&tar.Header{Name: n, Mode: 0o644, Size: int64(len(files[n])), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(files[n])); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// writeFiles writes files (path relative to dir → content) into dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for n, c := range files {
		mustWrite(t, filepath.Join(dir, n), c)
	}
}

// build does what BuildKit does with an export's writes: the local
// exporter's files into a directory, the image as a layout or an
// archive, files as a tar.
func build(t *testing.T, e *Export, img *testImage, files map[string]string) {
	t.Helper()
	for _, w := range e.Writes {
		var names []string
		if w.Attrs["name"] != "" {
			names = strings.Split(w.Attrs["name"], ",")
		}
		switch {
		case w.Dir != "" && w.Exporter == "local":
			writeFiles(t, w.Dir, files)
		case w.Dir != "":
			writeFiles(t, w.Dir, img.files(names))
		case w.File != "" && w.Exporter == "tar":
			if err := os.WriteFile(w.File, tarOf(t, files), 0o644); err != nil {
				t.Fatal(err)
			}
		case w.File != "":
			if err := os.WriteFile(w.File, tarOf(t, img.files(names)), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// openRun opens the destinations of a run exporting ts, closed when the
// test ends (Close may be called earlier).
func openRun(t *testing.T, ts ...*config.Target) *Run {
	t.Helper()
	r, err := Open(planOf(ts...), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	return r
}

// stageBuilt stages tg's outputs in r and writes them as BuildKit would:
// img as layouts and archives, files as local trees and tarballs.
func stageBuilt(t *testing.T, r *Run, tg *config.Target, img *testImage, files map[string]string, log io.Writer) *Export {
	t.Helper()
	e, err := r.Stage(tg, "", log)
	if err != nil {
		t.Fatal(err)
	}
	build(t, e, img, files)
	return e
}

// stageAndCommit stages t's outputs in a run of its own, writes them as
// BuildKit would and commits them.
func stageAndCommit(t *testing.T, tg *config.Target, img *testImage, files map[string]string) ([]string, error) {
	t.Helper()
	r := openRun(t, tg)
	return r.Commit(context.Background(), stageBuilt(t, r, tg, img, files, nil))
}

// planOf is a plan exporting the targets.
func planOf(ts ...*config.Target) *graph.Plan {
	p := &graph.Plan{}
	for _, t := range ts {
		p.Nodes = append(p.Nodes, &graph.Node{Name: t.Name, Target: t, Export: true})
	}
	return p
}

// target is a target with the outputs (see output), resolved against dir.
func target(dir, name string, tags []string, outputs ...string) *config.Target {
	t := &config.Target{Name: name, Tags: tags}
	for _, o := range outputs {
		t.Outputs = append(t.Outputs, output(dir, o))
	}
	return t
}

// assertNoStaging fails for every entry of dir that orch's marker names.
func assertNoStaging(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.Contains(e.Name(), ".orch-") {
			t.Errorf("staging %s left behind", filepath.Join(dir, e.Name()))
		}
	}
}
