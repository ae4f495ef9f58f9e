package graph

import (
	"path/filepath"
	"sort"
	"strconv"
	"strings"

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

// localDest reports where output e writes on the local machine, if it
// does: the cleaned path (or "-") and what it writes there. Registry
// pushes, image stores and cache-only outputs write nothing local.
func localDest(e config.Entry) (path string, kind destKind, ok bool) {
	dest := e.Attrs["dest"]
	if dest == "" {
		return "", 0, false
	}
	if dest == stdoutDest {
		return stdoutDest, stdout, true
	}
	switch e.Type {
	case "oci", "docker":
		kind = tarFile
		if isFalse(e.Attrs["tar"]) {
			kind = layoutDir
		}
	case "tar":
		kind = tarFile
	case "local":
		kind = localDir
	default:
		return "", 0, false
	}
	return filepath.Clean(dest), kind, true
}

// isFalse reports whether a boolean attribute is explicitly false, using
// the spellings BuildKit accepts.
func isFalse(s string) bool {
	b, err := strconv.ParseBool(s)
	return err == nil && !b
}

// isTrue reports whether a boolean attribute is explicitly true.
func isTrue(s string) bool {
	b, err := strconv.ParseBool(s)
	return err == nil && b
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
func layoutNames(n *pending, e config.Entry) []string {
	var names []string
	if v := e.Attrs["name"]; v != "" {
		names = strings.Split(v, ",")
	} else if len(n.target.Tags) > 0 {
		names = n.target.Tags
	} else {
		return []string{n.name}
	}
	out := make([]string, 0, len(names))
	for _, name := range names {
		if name = strings.TrimSpace(name); name != "" {
			out = append(out, name)
		}
	}
	return out
}
