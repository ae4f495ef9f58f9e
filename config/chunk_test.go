package config

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/orch-build/orch/internal/benchgen"
)

// TestChunkedParseSame loads files with pieces of a few bytes and whole,
// and expects the same printed result: chunked parsing must never change
// what a file means.
func TestChunkedParseSame(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.hcl")
	if err := os.WriteFile(big, []byte(string(benchgen.Monorepo(300))+tricky), 0o644); err != nil {
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

// TestStreamedLoadSame loads large files cut into units and whole, and
// expects the same diagnostics (syntax errors in a late unit, references to
// blocks of later units, problems in several units) and the same targets.
func TestStreamedLoadSame(t *testing.T) {
	body := string(benchgen.Monorepo(40))
	tests := []struct {
		name, src string
	}{
		{"syntax error in a late unit", body + "target \"bad\" {\n  tags = [\"a\" \"b\"]\n}\n"},
		{"reference to a later unit", "target \"first\" {\n  tags = target.t39.tags\n}\n" + body},
		{"a variable after the blocks", "target \"first\" {\n  tags = [LATE]\n}\n" + body + "variable \"LATE\" { default = \"late\" }\n"},
		{"errors in several units", "target \"a\" {\n  platfrom = []\n}\n" + body + "target \"z\" {\n  tags = [nope]\n}\n"},
		{"a duplicate attribute", "X = 1\n" + body + "X = 2\n"},
		{"a matrix in a late unit", body + "target \"m\" {\n  matrix = { v = [\"1\", \"2\"] }\n  name = \"m-${v}\"\n  tags = [v]\n}\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "big.hcl"), []byte(tt.src), 0o644); err != nil {
				t.Fatal(err)
			}
			load := func(size int) (string, string) {
				old, oldUnit := chunkSize, unitSize
				chunkSize, unitSize = size, size
				defer func() { chunkSize, unitSize = old, oldUnit }()
				cfg, diags := Load(Options{Files: []string{"big.hcl"}, WorkDir: dir, LocalPlatform: "linux/amd64"})
				out := ""
				if !diags.HasErrors() {
					b, pdiags := cfg.PrintJSON(printAll(cfg))
					if pdiags.HasErrors() {
						t.Fatal(pdiags.Error())
					}
					out = string(b)
				}
				return diags.Error(), out
			}
			wholeDiags, wholeOut := load(1 << 30)
			streamDiags, streamOut := load(64)
			if diff := cmp.Diff(wholeDiags, streamDiags); diff != "" {
				t.Errorf("diagnostics differ (-whole +streamed):\n%s", diff)
			}
			if diff := cmp.Diff(wholeOut, streamOut); diff != "" {
				t.Errorf("targets differ (-whole +streamed):\n%s", diff)
			}
		})
	}
}

// TestSplitFile checks that a large file is cut into units of target and
// group blocks, with everything else parsed up front.
func TestSplitFile(t *testing.T) {
	old := unitSize
	unitSize = 1
	defer func() { unitSize = old }()
	src := "variable \"V\" { default = 1 }\n\ntarget \"a\" {}\n# c\ngroup \"g\" { targets = [\"a\"] }\nX = 2\ntarget \"b\" {}\n"
	f := &file{name: "x.hcl"}
	h, ok := splitFile([]byte(src), f)
	if !ok {
		t.Fatal("not split")
	}
	var got []string
	for _, u := range f.units {
		got = append(got, fmt.Sprintf("%d:%q", u.start.Line, u.src))
	}
	want := []string{`3:"target \"a\" {}\n# c\n"`, `5:"group \"g\" { targets = [\"a\"] }\n"`, `7:"target \"b\" {}\n"`}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("units (-want +got):\n%s", diff)
	}
	body := h.Body.(*hclsyntax.Body)
	if len(body.Blocks) != 1 || body.Blocks[0].Type != "variable" || body.Attributes["X"] == nil {
		t.Errorf("up-front syntax holds %d blocks and attributes %v", len(body.Blocks), body.Attributes)
	}
}
