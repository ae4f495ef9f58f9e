// Command genbake writes the benchmark definition files of package
// benchgen into a directory, for measuring the orch binary itself
// (`/usr/bin/time -v orch print`): genbake -shape monorepo|matrix -n N DIR.
// It also writes every context directory the files name, each with a
// Dockerfile, since plan and build check them. It prints the -f arguments
// that read the files it wrote.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/orch-build/orch/internal/benchgen"
)

func main() {
	shape := flag.String("shape", "monorepo", "monorepo (one file) or matrix (several files)")
	n := flag.Int("n", 10000, "number of targets")
	files := flag.Int("files", 20, "number of files of the matrix shape")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: genbake [-shape monorepo|matrix] [-n N] [-files F] DIR")
		os.Exit(2)
	}
	dir := flag.Arg(0)
	var names, contexts []string
	var data [][]byte
	switch *shape {
	case "monorepo":
		names, data = []string{"docker-bake.hcl"}, [][]byte{benchgen.Monorepo(*n)}
		contexts = append(benchgen.MonorepoContexts(*n), ".")
	case "matrix":
		names, data = benchgen.Matrix(*n, *files)
		contexts = benchgen.MatrixContexts(*files)
	default:
		fmt.Fprintf(os.Stderr, "genbake: unknown shape %q\n", *shape)
		os.Exit(2)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "genbake:", err)
		os.Exit(1)
	}
	for _, c := range contexts {
		if err := os.MkdirAll(filepath.Join(dir, c), 0o755); err != nil {
			fmt.Fprintln(os.Stderr, "genbake:", err)
			os.Exit(1)
		}
		if err := os.WriteFile(filepath.Join(dir, c, "Dockerfile"), []byte("FROM scratch\n"), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "genbake:", err)
			os.Exit(1)
		}
	}
	var args []string
	for i, name := range names {
		if err := os.WriteFile(filepath.Join(dir, name), data[i], 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "genbake:", err)
			os.Exit(1)
		}
		args = append(args, "-f", name)
	}
	fmt.Println(strings.Join(args, " "))
}
