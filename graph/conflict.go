package graph

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/orch-build/orch/config"
)

// stdoutDest is the dest value that sends an export to standard output.
const stdoutDest = "-"

// Canonicalizer maps a destination path to the one spelling under which
// two paths are equal exactly when they name the same place. New compares
// destinations through it, for equality and for nesting. The default,
// filepath.Clean, compares paths as written; a caller that may read the
// file system passes one that resolves symlinks (internal/realpath.Resolve
// does), so that a layout reached through a link is the layout itself.
// graph stays pure: the function is its only view of the file system, and
// it is called once per local destination.
type Canonicalizer func(path string) string

// WithCanonicalizer makes New compare destination paths as c maps them; nil
// keeps the default, filepath.Clean.
func WithCanonicalizer(c Canonicalizer) Option {
	return func(o *options) {
		if c != nil {
			o.canonical = c
		}
	}
}

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
	// written is the path as the output names it, cleaned; the writer is
	// filed under its canonical form.
	written string
}

// checkDestinations reports every local path (or stdout) written by more
// than one output of the exported nodes, one ConflictError per path, and
// every destination inside another one where it may not be (mayNest), one
// NestingError per inner path; each sorted by path. Paths are compared in
// the form canonical gives them. Nodes that are not exported write
// nothing.
func checkDestinations(nodes []*pending, canonical Canonicalizer) []error {
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
			w := writer{node: n, output: i, kind: kind, written: path}
			if kind != stdout {
				path = filepath.Clean(canonical(path))
			}
			byPath[path] = append(byPath[path], w)
		}
	}
	paths := make([]string, 0, len(byPath))
	for path := range byPath {
		paths = append(paths, path)
	}
	sort.Strings(paths)
	var errs []error
	for _, path := range paths {
		if ws := byPath[path]; conflicting(ws) {
			errs = append(errs, &ConflictError{Path: path, Writers: describeWriters(path, ws)})
		}
	}
	for _, path := range paths {
		if path == stdoutDest {
			continue
		}
		// The nearest enclosing destination it may not be inside is
		// enough to name: the user moves one of the two, and a further
		// one shows next run.
		for dir := filepath.Dir(path); ; dir = filepath.Dir(dir) {
			if outer, ok := byPath[dir]; ok && dir != path && !mayNest(byPath[path], outer) {
				errs = append(errs, &NestingError{
					Inner: path, InnerWriters: describeWriters(path, byPath[path]),
					Outer: dir, OuterWriters: describeWriters(dir, outer),
				})
				break
			}
			if dir == filepath.Dir(dir) {
				break
			}
		}
	}
	return errs
}

// mayNest decides whether the outputs writing inner may sit inside the
// directory the outer writers write. It is the one place that allows
// nesting: inside a local output's directory, because a local output keeps
// what is there (runner/dest merges into it, as BuildKit's local exporter
// does), so another output's directory or file there is like any other
// file of the user's (bake's `output = ["."]` next to `dest=out/app.tar`).
// An OCI layout is inside nothing: orch owns it whole, and the outer
// output's files could land in it. Nothing is inside a file, nor inside a
// layout, which orch replaces as a whole.
func mayNest(inner, outer []writer) bool {
	for _, w := range outer {
		if w.kind != localDir {
			return false
		}
	}
	for _, w := range inner {
		if w.kind == layoutDir {
			return false
		}
	}
	return true
}

// describeWriters turns the writers filed under path into Writers for an
// error. A writer that names path differently (through a symlink) shows
// both spellings, so the user sees why two paths are one.
func describeWriters(path string, ws []writer) []Writer {
	out := make([]Writer, 0, len(ws))
	for _, w := range ws {
		t := w.node.target
		dest := destination(t.Outputs[w.output])
		if w.kind != stdout && w.written != path {
			dest += " → " + path
		}
		out = append(out, Writer{Target: w.node.name, Output: w.output, Dest: dest, Range: attrRange(t, "output")})
	}
	return out
}

// conflicting decides whether several outputs may write the same path. It
// is the one place to allow sharing. Several targets may name one OCI
// layout directory: the adapter merges their images into it with a single
// writer, each under its own name. Anything else is unsafe: two writers of
// a file or directory leave whichever finished last, one target cannot
// write one layout twice in a solve, and two images under one name in a
// layout leave whichever was merged last. Names are compared normalized
// (config.NormalizeImageName), as the layout's index records them.
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
			if n, err := config.NormalizeImageName(name); err == nil {
				// An invalid name is reported by the destination's own
				// check; compared as written, it still conflicts with
				// itself.
				name = n
			}
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

// NestingError is a local destination inside another output's
// destination where it may not be (see mayNest): an OCI layout inside any
// other destination, where the outer output's files could land in it, or
// anything inside a layout, which is replaced as a whole, or inside a
// file, where it cannot be made at all.
type NestingError struct {
	// Inner and Outer are the two destinations, in canonical form.
	Inner, Outer string
	// InnerWriters and OuterWriters are the outputs that write them.
	InnerWriters, OuterWriters []Writer
}

func (e *NestingError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "destination conflict: %s is inside %s", e.Inner, e.Outer)
	for _, w := range append(append([]Writer(nil), e.InnerWriters...), e.OuterWriters...) {
		fmt.Fprintf(&b, "\n  %starget %q output %d (%s)", rangePrefix(&w.Range), w.Target, w.Output+1, w.Dest)
	}
	return b.String()
}

// Diagnostic describes the error as an HCL diagnostic; the subject is the
// inner destination's outputs and the detail lists every writer of both.
func (e *NestingError) Diagnostic() *hcl.Diagnostic {
	_, rest, _ := strings.Cut(e.Error(), "\n")
	d := &hcl.Diagnostic{
		Severity: hcl.DiagError, Summary: "Nested destinations",
		Detail: fmt.Sprintf("%s is inside %s, which another output writes:\n%s\n", e.Inner, e.Outer, rest) +
			"Writing the outer destination would mix with or remove what the inner one holds; give each output a path outside the other's.",
	}
	if len(e.InnerWriters) > 0 {
		r := e.InnerWriters[0].Range
		d.Subject = &r
	}
	return d
}
