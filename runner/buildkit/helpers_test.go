package buildkit

import (
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/orch-build/orch/config"
	"github.com/orch-build/orch/internal/testbed"
)

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

func gunzip(t *testing.T, raw []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return raw
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func itoa(i int) string { return strconv.Itoa(i) }

// writeFiles writes files (path relative to dir → content) into dir,
// making the directories they need.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// layoutImages is an OCI layout with its images by platform.
type layoutImages struct {
	layout *testbed.Layout
	images map[string]testbed.Image
}

func openLayoutImages(t *testing.T, dir string) layoutImages {
	t.Helper()
	l := testbed.OpenLayout(t, dir)
	out := layoutImages{layout: l, images: map[string]testbed.Image{}}
	for _, img := range l.Images(t) {
		out.images[img.Platform()] = img
	}
	return out
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// loadTarget loads the project's orch.hcl and returns one target.
func loadTarget(t *testing.T, p *project, name string) *config.Target {
	t.Helper()
	cfg, diags := config.Load(config.Options{Files: []string{p.path("orch.hcl")}, WorkDir: p.dir, Env: []string{}})
	if diags.HasErrors() {
		t.Fatalf("load: %v", diags)
	}
	tg := cfg.Targets[name]
	if tg == nil {
		t.Fatalf("no target %s", name)
	}
	return tg
}
