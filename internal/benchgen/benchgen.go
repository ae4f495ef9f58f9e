// Package benchgen generates large definition files for the loader's and
// the planner's benchmarks, in the shapes real monorepos have. The files
// are generated rather than committed because their shape matters more
// than their size: the benchmarks run the same shape at several sizes to
// show that time and memory grow linearly.
package benchgen

import (
	"fmt"
	"strings"
)

// header declares what every shape uses: two variables, a user function
// calling library functions, and a template target every target inherits
// from, with two platforms.
const header = `variable "REGISTRY" { default = "registry.example" }
variable "TAG" { default = "1.0" }
function "image" {
  params = [name]
  result = "${REGISTRY}/${lower(name)}:${TAG}"
}
target "_base" {
  platforms = ["linux/amd64", "linux/arm64"]
  args = { BASE = "scratch" }
  labels = { "org.opencontainers.image.source" = "https://example.com" }
  cache-from = ["type=registry,ref=${REGISTRY}/cache"]
}
`

// Monorepo returns one file of n targets, the shape of a large monorepo:
// every target inherits the template, calls the user function and
// library functions, writes an OCI archive of its own, and every tenth
// links to the previous target through a `target:` context; a default
// group names all n.
func Monorepo(n int) []byte {
	var b strings.Builder
	b.Grow(n * 260)
	b.WriteString(header)
	b.WriteString("group \"default\" {\n  targets = [")
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "\"t%d\"", i)
	}
	b.WriteString("]\n}\n")
	for i := range n {
		fmt.Fprintf(&b, "target \"t%d\" {\n  inherits = [\"_base\"]\n  context = \"svc/t%d\"\n", i, i)
		fmt.Fprintf(&b, "  tags = [image(\"T%d\"), \"${TAG}-t%d\"]\n", i, i)
		fmt.Fprintf(&b, "  args = { N = \"%d\", UP = upper(\"t%d\") }\n", i, i)
		fmt.Fprintf(&b, "  output = [\"type=oci,dest=out/t%d.tar\"]\n", i)
		if i%10 == 9 {
			fmt.Fprintf(&b, "  contexts = { prev = \"target:t%d\" }\n", i-1)
		}
		b.WriteString("}\n")
	}
	return []byte(b.String())
}

// Matrix returns files (named "f0.hcl", "f1.hcl", ...) that together
// declare about n targets, almost all of them from matrices: each block
// expands to 10 versions × 2 architectures, inherits the template declared
// in the first file and links to the first target of its file. The last
// file's default group names every matrix block, each a group of its
// expansion. Names are in file order, so -f takes them as returned.
func Matrix(n, files int) (names []string, data [][]byte) {
	blocks := max(1, n/20)
	perFile := (blocks + files - 1) / files
	var groups []string
	block := 0
	for f := range files {
		var b strings.Builder
		if f == 0 {
			b.WriteString(header)
		}
		fmt.Fprintf(&b, "target \"f%d-root\" {\n  inherits = [\"_base\"]\n  context = \"svc/f%d\"\n  tags = [image(\"f%d-root\")]\n}\n", f, f, f)
		for j := 0; j < perFile && block < blocks; j++ {
			label := fmt.Sprintf("f%d-b%d", f, j)
			groups = append(groups, label)
			fmt.Fprintf(&b, "target %q {\n  inherits = [\"_base\"]\n", label)
			b.WriteString("  matrix = {\n    v = [\"0\", \"1\", \"2\", \"3\", \"4\", \"5\", \"6\", \"7\", \"8\", \"9\"]\n    arch = [\"amd64\", \"arm64\"]\n  }\n")
			fmt.Fprintf(&b, "  name = \"%s-${v}-${arch}\"\n", label)
			fmt.Fprintf(&b, "  platforms = [\"linux/${arch}\"]\n  tags = [image(\"%s-${v}-${arch}\")]\n", label)
			b.WriteString("  args = { V = v, ARCH = upper(arch) }\n")
			fmt.Fprintf(&b, "  contexts = { root = \"target:f%d-root\" }\n}\n", f)
			block++
		}
		if f == files-1 {
			b.WriteString("group \"default\" {\n  targets = [")
			for i, g := range groups {
				if i > 0 {
					b.WriteString(", ")
				}
				fmt.Fprintf(&b, "%q", g)
			}
			b.WriteString("]\n}\n")
		}
		names = append(names, fmt.Sprintf("f%d.hcl", f))
		data = append(data, []byte(b.String()))
	}
	return names, data
}

// MonorepoContexts lists the context directories Monorepo(n) names,
// relative to its file, for runs that check contexts exist (orch plan and
// build); each needs a Dockerfile.
func MonorepoContexts(n int) []string {
	dirs := make([]string, n)
	for i := range dirs {
		dirs[i] = fmt.Sprintf("svc/t%d", i)
	}
	return dirs
}

// MatrixContexts lists the context directories Matrix(n, files) names, as
// MonorepoContexts; its matrix targets use the files' own directory.
func MatrixContexts(files int) []string {
	dirs := []string{"."}
	for f := range files {
		dirs = append(dirs, fmt.Sprintf("svc/f%d", f))
	}
	return dirs
}
