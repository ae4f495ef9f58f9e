package fingerprint

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/orch-build/orch/config"
)

// writeTree writes n small files under dir, 100 per directory.
func writeTree(tb testing.TB, dir string, n int) {
	tb.Helper()
	for i := range n {
		p := filepath.Join(dir, fmt.Sprintf("d%03d", i/100), fmt.Sprintf("f%05d.txt", i))
		if i%100 == 0 {
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				tb.Fatal(err)
			}
		}
		if err := os.WriteFile(p, []byte(fmt.Sprintf("file %d\n", i)), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
}

// BenchmarkWarmContext fingerprints a target whose context holds 20,000
// files, every one of them in the stat cache: what a no-op run of a large
// repository costs per context. Target: under 0.2 s.
func BenchmarkWarmContext(b *testing.B) {
	dir := b.TempDir()
	ctxDir := filepath.Join(dir, "ctx")
	writeTree(b, ctxDir, 20000)
	if err := os.WriteFile(filepath.Join(ctxDir, "Dockerfile"), []byte("FROM scratch\nCOPY . /\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	cache := filepath.Join(dir, "cache")
	t := &config.Target{Name: "big", Dir: dir}
	src := &Sources{Context: ctxDir, Dockerfile: filepath.Join(ctxDir, "Dockerfile")}
	fingerprintOnce(b, cache, t, src)
	b.ResetTimer()
	for b.Loop() {
		fingerprintOnce(b, cache, t, src)
	}
}

// fingerprintOnce fingerprints t with a Hasher of its own, as one run
// does, and writes its stat cache. Its clock runs ahead by more than the
// racy window, so files the test just wrote are cached as old files are.
func fingerprintOnce(tb testing.TB, cache string, t *config.Target, src *Sources) *Fingerprint {
	tb.Helper()
	h := NewHasher(cache)
	h.now = func() time.Time { return time.Now().Add(2 * racyWindow) }
	fp, err := h.Target(tb.Context(), t, src, Inputs{})
	if err != nil {
		tb.Fatal(err)
	}
	if err := h.Close(); err != nil {
		tb.Fatal(err)
	}
	return fp
}
