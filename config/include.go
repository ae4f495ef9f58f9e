package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/orch-build/orch/internal/realpath"
)

// An orch file may read further files with include blocks, so that a
// monorepo keeps one file beside each service:
//
//	include "services/*/orch.hcl" {}
//	include "../shared/docker-bake.hcl" {}
//
// The label is a path or a glob (path/filepath's syntax: *, ?, [...]
// within one path element), relative to the directory of the including
// file. Included files are read as if named with -f right after the file
// that includes them, in the order of its include blocks and, for a glob,
// in name order; an included orch file's own includes follow it, depth
// first. Paths in an included file are relative to that file, as in every
// file orch reads. A file reached a second time (two globs, two including
// files) is read once; a file that includes itself, directly or through
// others, is an error naming the chain.
//
// Only orch files include: orch.hcl, orch.json, NAME.orch.hcl and
// NAME.orch.json. bake ignores an unknown block, so in a bake file (or a
// compose file) an include block is ignored with a warning, and the file
// resolves as bake resolves it. Nothing bake accepts is an include block.

// IncludeBlockType is the block type that includes files in an orch file.
const IncludeBlockType = "include"

// isOrchFile reports whether a file is an orch file, by its name.
func isOrchFile(name string) bool {
	base := filepath.Base(name)
	for _, ext := range []string{".hcl", ".json"} {
		if base == "orch"+ext || strings.HasSuffix(base, ".orch"+ext) {
			return true
		}
	}
	return false
}

var includeSchema = &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{{Type: IncludeBlockType, LabelNames: []string{"path"}}}}

// includeFiles returns files with the files their include blocks name
// inserted, read, classified and parsed, depth first, and cfg.Files in
// the same order.
func includeFiles(cfg *Config, files []*file, cc *composeClassifier, workDir string) ([]*file, hcl.Diagnostics) {
	inc := &includer{cfg: cfg, cc: cc, workDir: workDir, seen: map[string]bool{}}
	for _, f := range files {
		if f.path != "" {
			inc.seen[realpath.Resolve(f.path)] = true
		}
	}
	for _, f := range files {
		inc.visit(f, nil)
	}
	cfg.Files = cfg.Files[:0]
	for _, f := range inc.out {
		cfg.Files = append(cfg.Files, f.name)
	}
	return inc.out, inc.diags
}

// includer walks the include blocks of the files given.
type includer struct {
	cfg     *Config
	cc      *composeClassifier
	workDir string
	// seen holds the real path of every file read, so that each is read
	// once.
	seen  map[string]bool
	out   []*file
	diags hcl.Diagnostics
}

// chainLink is one file on the way from a file named with -f to the one
// being included.
type chainLink struct{ real, name string }

// visit adds f and, for an orch file, the files it includes.
func (inc *includer) visit(f *file, chain []chainLink) {
	inc.out = append(inc.out, f)
	if f.compose || f.hcl == nil || !f.orch {
		return
	}
	chain = append(chain, chainLink{real: realpath.Resolve(f.path), name: f.name})
	content, _, diags := f.hcl.Body.PartialContent(includeSchema)
	inc.diags = append(inc.diags, diags...)
	for _, b := range content.Blocks {
		_, bdiags := b.Body.Content(&hcl.BodySchema{})
		inc.diags = append(inc.diags, bdiags...)
		for _, path := range inc.matches(f, b) {
			inc.include(path, b.LabelRanges[0], chain)
		}
	}
}

// matches returns the files an include block names, sorted: the path, or
// what the glob matches.
func (inc *includer) matches(f *file, b *hcl.Block) []string {
	label, rng := b.Labels[0], b.LabelRanges[0]
	pattern := label
	if !filepath.IsAbs(pattern) {
		pattern = filepath.Join(f.dir, filepath.FromSlash(pattern))
	}
	if !strings.ContainsAny(label, "*?[") {
		return []string{pattern}
	}
	paths, err := filepath.Glob(pattern)
	if err != nil {
		inc.diags = append(inc.diags, errorDiag("Invalid include", fmt.Sprintf("%q is not a valid glob: %v. Write a path, or a glob of *, ? and [...] within path elements.", label, err), &rng))
		return nil
	}
	var files []string
	for _, p := range paths {
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			files = append(files, p)
		}
	}
	if len(files) == 0 {
		inc.diags = append(inc.diags, warnDiag("Include matches nothing", fmt.Sprintf("No file matches %q (relative to %s), so nothing is included.", label, f.dir), &rng))
	}
	return files
}

// include reads, classifies and parses the file at path, included from
// the last file of chain, and visits it.
func (inc *includer) include(path string, rng hcl.Range, chain []chainLink) {
	real := realpath.Resolve(path)
	for i, c := range chain {
		if c.real != real {
			continue
		}
		names := make([]string, 0, len(chain)-i+1)
		for _, c := range chain[i:] {
			names = append(names, c.name)
		}
		names = append(names, chain[i].name)
		inc.diags = append(inc.diags, errorDiag("Include cycle", fmt.Sprintf("%s includes itself: %s. Remove one of these include blocks.", chain[i].name, strings.Join(names, " → ")), &rng))
		return
	}
	if inc.seen[real] {
		return // read already, through another include or with -f
	}
	inc.seen[real] = true
	data, err := os.ReadFile(path)
	if err != nil {
		inc.diags = append(inc.diags, errorDiag("Cannot read included file", fmt.Sprintf("Reading %s: %v. Fix the path of the include block (relative to the including file), or create the file.", path, err), &rng))
		return
	}
	name := path
	if rel, err := filepath.Rel(inc.workDir, path); err == nil {
		name = rel
	}
	if _, dup := inc.cfg.Sources[name]; dup {
		name = path
	}
	f := &file{name: name, dir: filepath.Dir(path), base: filepath.Dir(name), orch: isOrchFile(path), path: path}
	inc.cfg.Sources[name] = data
	ok, err := inc.cc.isCompose(data, name)
	if ok && err != nil {
		inc.diags = append(inc.diags, errorDiag("Invalid compose file", fmt.Sprintf("Reading %s as a compose file (as bake does, by its name): %v.", name, err), &rng))
		return
	}
	f.compose = ok
	diags := parseOne(f, data, true)
	inc.diags = append(inc.diags, diags...)
	if !f.compose && f.hcl == nil {
		return
	}
	inc.visit(f, chain)
}
