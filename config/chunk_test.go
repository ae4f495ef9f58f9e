package config

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestChunkedParseSame loads files with pieces of a few bytes and whole,
// and expects the same printed result: chunked parsing must never change
// what a file means.
func TestChunkedParseSame(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.hcl")
	if err := os.WriteFile(big, []byte(genFile(300)+tricky), 0o644); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("testdata/valid/*.hcl")
	files = append(files, big)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			load := func(size int) string {
				old := chunkSize
				chunkSize = size
				defer func() { chunkSize = old }()
				cfg, diags := Load(Options{Files: []string{f}, LocalPlatform: "linux/amd64"})
				if diags.HasErrors() {
					t.Fatalf("chunk size %d: %s", size, diags.Error())
				}
				out, diags := cfg.PrintJSON(printAll(cfg))
				if diags.HasErrors() {
					t.Fatalf("chunk size %d: %s", size, diags.Error())
				}
				return string(out)
			}
			if diff := cmp.Diff(load(1<<30), load(16)); diff != "" {
				t.Errorf("chunked parse differs (-whole +chunked):\n%s", diff)
			}
		})
	}
}

// tricky holds constructs a naive splitter would cut in the wrong place.
const tricky = `
target "tricky" {
  # a comment with { and "
  // another }
  /* block
     comment } */
  args = {
    A = "brace } in a string"
    B = "${ {x = "}"}.x }"
    C = "$${not} %%{this}"
  }
  dockerfile-inline = <<-EOT
    FROM scratch
    }
    LABEL x="{"
    EOT
  labels = { D = <<EOT
{
EOT
  }
}
T_ATTR = "}"
`

// TestTopLevelCuts checks where files are cut.
func TestTopLevelCuts(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []int
	}{
		{name: "between items", src: "a = 1\nb = 2\n", want: []int{6}},
		{name: "not inside braces", src: "t \"x\" {\n  a = 1\n}\nb = 2\n", want: []int{18}},
		{name: "not inside a heredoc", src: "a = <<EOT\n}\nEOT\nb = 1\n", want: []int{16}},
		{name: "unbalanced gives up", src: "a = {\n", want: nil},
		{name: "newline in a string gives up", src: "a = \"x\ny\"\n", want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := topLevelCuts([]byte(tt.src), 1)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("cuts (-want +got):\n%s", diff)
			}
		})
	}
}
