package graph

import (
	"path/filepath"
	"sort"

	"github.com/orch-build/orch/config"
)

// stdoutDest is the dest value that sends an export to standard output.
const stdoutDest = "-"

// destKind classifies what an output writes at its path.
type destKind int

const (
	tarFile   destKind = iota // a tar archive: oci or docker with tar (the default), or tar
	layoutDir                 // an OCI layout directory: oci or docker with tar=false
	localDir                  // a directory tree: local
	stdout                    // standard output: dest=-
)

// localDest reports where output o writes on the local machine, if it
// does: the cleaned path (or "-") and what it writes there. Registry
// pushes, image stores and cache-only outputs write nothing local.
func localDest(o config.Output) (path string, kind destKind, ok bool) {
	if o.Stdout() {
		return stdoutDest, stdout, true
	}
	if !o.Local() {
		return "", 0, false
	}
	switch {
	case o.Layout():
		kind = layoutDir
	case o.Dir:
		kind = localDir
	default:
		kind = tarFile
	}
	return filepath.Clean(o.Dest), kind, true
}

// writer is one output that writes a local destination.
type writer struct {
	node   *pending
	output int
	kind   destKind
}

// checkDestinations reports every local path (or stdout) written by more
// than one output of the exported nodes, one ConflictError per path,
// sorted by path. Nodes that are not exported write nothing.
func checkDestinations(nodes []*pending) []error {
	byPath := map[string][]writer{}
	for _, n := range nodes {
		if !n.export {
			continue
		}
		for i, out := range n.target.Outputs {
			path, kind, ok := localDest(out)
			if !ok {
				continue
			}
			byPath[path] = append(byPath[path], writer{node: n, output: i, kind: kind})
		}
	}
	var paths []string
	for path, ws := range byPath {
		if len(ws) > 1 && conflicting(ws) {
			paths = append(paths, path)
		}
	}
	sort.Strings(paths)
	errs := make([]error, 0, len(paths))
	for _, path := range paths {
		e := &ConflictError{Path: path}
		for _, w := range byPath[path] {
			t := w.node.target
			e.Writers = append(e.Writers, Writer{
				Target: w.node.name, Output: w.output,
				Dest: destination(t.Outputs[w.output]), Range: attrRange(t, "output"),
			})
		}
		errs = append(errs, e)
	}
	return errs
}

// conflicting decides whether several outputs may write the same path. It
// is the one place to allow sharing. Several targets may name one OCI
// layout directory: the adapter merges their images into it with a single
// writer, each under its own name. Anything else is unsafe: two writers of
// a file or directory leave whichever finished last, one target cannot
// write one layout twice in a solve, and two images under one name in a
// layout leave whichever was merged last.
func conflicting(ws []writer) bool {
	if len(ws) < 2 {
		return false
	}
	targets := map[*pending]bool{}
	names := map[string]bool{}
	for _, w := range ws {
		if w.kind != layoutDir || targets[w.node] {
			return true
		}
		targets[w.node] = true
		for _, name := range layoutNames(w.node, w.node.target.Outputs[w.output]) {
			if names[name] {
				return true
			}
			names[name] = true
		}
	}
	return false
}

// layoutNames lists the names an output's image takes in an OCI layout,
// as the adapter names it: the output's name attribute, else the target's
// tags, else the target's name.
func layoutNames(n *pending, o config.Output) []string {
	if names := n.target.ImageNames(o); len(names) > 0 {
		return names
	}
	return []string{n.name}
}
