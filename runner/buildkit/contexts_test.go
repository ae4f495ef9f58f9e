package buildkit

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/orch-build/orch/config"
	"github.com/orch-build/orch/internal/testbed"
)

// TestSharedContextIsOneVertex: two targets with the same context directory
// get the identical local source, which BuildKit solves, and so uploads,
// once; a different directory or different ignore patterns give another.
func TestSharedContextIsOneVertex(t *testing.T) {
	bk := testbed.StartBuildKit(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := Connect(ctx, BuilderOptions{Addr: bk.Addr})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cs, err := newContextSession(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.close()

	dir := t.TempDir()
	other := t.TempDir()
	for _, d := range []string{dir, other} {
		if err := os.WriteFile(filepath.Join(d, "Dockerfile"), []byte("FROM scratch\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(other, ".dockerignore"), []byte("*.log\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	contextDigest := func(name, ctxDir string) digest.Digest {
		t.Helper()
		r, err := newRequest(&config.Target{Name: name, Context: &ctxDir}, cs)
		if err != nil {
			t.Fatal(err)
		}
		defer r.cleanup()
		def := r.inputs["context"]
		if def == nil || len(def.Def) == 0 {
			t.Fatalf("%s: no context input", name)
		}
		// The source op is the first op of the definition.
		return digest.FromBytes(def.Def[0])
	}
	a, b, c2 := contextDigest("a", dir), contextDigest("b", dir), contextDigest("c", other)
	if a != b {
		t.Errorf("targets sharing %s got different context vertices %s and %s", dir, a, b)
	}
	if a == c2 {
		t.Errorf("different directories share a context vertex")
	}
}
