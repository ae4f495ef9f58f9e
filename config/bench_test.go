package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// genFile writes a definition of n targets that uses what large real files
// use: a variable, a user function, library functions, a template target
// everyone inherits from, a matrix, and target: links, so every tenth
// target depends on the previous one.
func genFile(n int) string {
	var b strings.Builder
	b.WriteString(`variable "REGISTRY" { default = "registry.example" }
variable "TAG" { default = "1.0" }
function "image" {
  params = [name]
  result = "${REGISTRY}/${lower(name)}:${TAG}"
}
target "_base" {
  platforms = ["linux/amd64"]
  args = { BASE = "scratch" }
  labels = { "org.opencontainers.image.source" = "https://example.com" }
  cache-from = ["type=registry,ref=${REGISTRY}/cache"]
}
`)
	// A matrix of 10 per block keeps names distinct.
	matrixBlocks := n / 20
	plain := n - matrixBlocks*10
	for i := 0; i < plain; i++ {
		fmt.Fprintf(&b, "target \"t%d\" {\n  inherits = [\"_base\"]\n  context = \"svc/t%d\"\n  tags = [image(\"T%d\"), \"%s\"]\n  args = { N = \"%d\", UP = upper(\"t%d\") }\n", i, i, i, "${TAG}-t"+fmt.Sprint(i), i, i)
		if i%10 == 9 {
			fmt.Fprintf(&b, "  contexts = { prev = \"target:t%d\" }\n", i-1)
		}
		b.WriteString("}\n")
	}
	for i := 0; i < matrixBlocks; i++ {
		fmt.Fprintf(&b, "target \"m%d\" {\n  inherits = [\"_base\"]\n  matrix = { v = [\"0\", \"1\", \"2\", \"3\", \"4\", \"5\", \"6\", \"7\", \"8\", \"9\"] }\n  name = \"m%d-${v}\"\n  tags = [image(\"m%d-${v}\")]\n  args = { V = v }\n}\n", i, i, i)
	}
	return b.String()
}

func benchLoad(b *testing.B, n int) {
	dir := b.TempDir()
	path := filepath.Join(dir, "docker-bake.hcl")
	if err := os.WriteFile(path, []byte(genFile(n)), 0o644); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		cfg, diags := Load(Options{Files: []string{path}, WorkDir: dir, LocalPlatform: "linux/amd64"})
		if diags.HasErrors() {
			b.Fatal(diags.Error())
		}
		if len(cfg.Targets) < n {
			b.Fatalf("got %d targets, want at least %d", len(cfg.Targets), n)
		}
		if _, diags := cfg.PrintJSON(printAll(cfg)); diags.HasErrors() {
			b.Fatal(diags.Error())
		}
	}
}

// BenchmarkLoadPrint1k and BenchmarkLoadPrint10k load and print generated
// files; `orch print` on the 10k file must stay under 1 s and 150 MB, and
// the 10k/1k time ratio at most 12.
func BenchmarkLoadPrint1k(b *testing.B)  { benchLoad(b, 1000) }
func BenchmarkLoadPrint10k(b *testing.B) { benchLoad(b, 10000) }

// TestGenFileLoads keeps the benchmark input valid.
func TestGenFileLoads(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "docker-bake.hcl")
	if err := os.WriteFile(path, []byte(genFile(100)), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, diags := Load(Options{Files: []string{path}, WorkDir: dir})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	if got := len(cfg.Targets); got != 101 {
		t.Errorf("got %d targets, want 101 (100 and the _base template)", got)
	}
	if got := cfg.Targets["t9"].Contexts["prev"]; got != "target:t8" {
		t.Errorf("t9 prev context = %q, want target:t8", got)
	}
}
