package config

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// finish is phase 6: merge same-name blocks, apply inherits and overrides,
// check the names targets refer to, and fill the Config.
func (l *loader) finish() {
	for _, name := range l.targetNames {
		insts := l.targets[name]
		own := insts[0].bake
		if len(insts) > 1 {
			own = newBakeTarget(name)
			for _, in := range insts {
				own.merge(in.bake)
				own.mergeRanges(in.bake)
			}
		}
		for _, in := range insts {
			in.bake = nil
		}
		l.own[name] = own
	}
	if l.relative {
		l.contextBaseRefs()
	}
	l.parseSets()
	if l.diags.HasErrors() {
		return
	}
	for _, name := range l.targetNames {
		l.resolveTarget(name, nil)
	}
	if l.diags.HasErrors() {
		return
	}
	l.cfg.print = &printData{env: l.env, relative: l.relative, targets: make(map[string]*bakeTarget, len(l.targetNames))}
	// Once converted, a target's own blocks are not needed any more (its
	// resolved view shares the values it still needs, and its ranges are
	// memoized): an empty stand-in keeps its name known to the targets
	// still to convert, so ten thousand targets are not held three times.
	released := newBakeTarget("")
	for _, name := range l.targetNames {
		bt := l.resolved[name]
		l.cfg.print.targets[name] = bt
		l.cfg.Targets[name] = l.toTarget(name, bt)
		l.own[name] = released
		delete(l.resolved, name)
	}
	l.cfg.TargetNames = l.targetNames
	l.cfg.GroupNames = slices.Clone(l.groupNames)
	for _, name := range l.groupNames {
		insts := l.groups[name]
		// As in bake, a later group of the same name replaces an earlier one.
		g := *insts[len(insts)-1].group
		g.DefRange = insts[0].raw.defRange
		l.cfg.Groups[name] = &g
	}
	for _, label := range l.renameOrder {
		names := dedupStrings(l.renamed[label])
		if _, exists := l.cfg.Groups[label]; exists || len(names) == 0 || (len(names) == 1 && names[0] == label) {
			continue
		}
		first := l.targets[names[0]]
		var rng hcl.Range
		if len(first) > 0 {
			rng = first[0].raw.defRange
		}
		l.cfg.Groups[label] = &Group{Name: label, Targets: names, DefRange: rng}
		l.cfg.GroupNames = append(l.cfg.GroupNames, label)
	}
	l.checkGroups()
}

// contextBaseRefs gives a context written as target.NAME.context the base
// bake rebases it onto: NAME's own context's, or NAME's default base when
// NAME sets none. As bake, it goes through the targets in order, before
// inherits, so a chain of such references sees the bases set before it.
func (l *loader) contextBaseRefs() {
	for _, name := range l.targetNames {
		own := l.own[name]
		p, _ := own.vals[contextAttr.index].(*pathValue)
		if p == nil || p.baseRef == "" {
			continue
		}
		ref := l.own[p.baseRef]
		if ref == nil {
			continue
		}
		c := *p
		if rp, _ := ref.vals[contextAttr.index].(*pathValue); rp != nil {
			c.base = rp.base
		} else if ref.hasBase {
			c.base = ref.base
		} else {
			continue
		}
		own.vals[contextAttr.index] = &c
	}
}

// resolveTarget computes a target as bake's ResolveTarget does: the merge
// of its parents (each resolved the same way, with its own overrides), then
// its own blocks, then its overrides, normalized at every level.
func (l *loader) resolveTarget(name string, chain []string) *bakeTarget {
	if t, ok := l.resolved[name]; ok {
		return t
	}
	own := l.own[name]
	if l.resolving[name] {
		l.add(errorDiag("Inherits cycle", fmt.Sprintf("Target %q inherits from itself: %s.", name, strings.Join(append(chain, name), " → ")), rangeOf(own, "inherits")))
		return nil
	}
	l.resolving[name] = true
	defer delete(l.resolving, name)
	chain = append(chain, name)
	base := newBakeTarget("")
	ok := true
	for _, parent := range own.strings(inheritsAttr) {
		if _, exists := l.own[parent]; !exists {
			l.add(errorDiag("Unknown target in inherits", fmt.Sprintf("Target %q inherits from %q, which does not exist.%s", name, parent, didYouMean(parent, l.targetNames)), rangeOf(own, "inherits")))
			ok = false
			continue
		}
		p := l.resolveTarget(parent, chain)
		if p == nil {
			ok = false
			continue
		}
		base.merge(p)
	}
	if !ok {
		l.resolved[name] = nil
		return nil
	}
	t := newBakeTarget(name)
	t.merge(base)
	t.merge(own)
	if err := applyOverrides(t, l.overrides[name]); err != nil {
		l.add(errorDiag("Invalid --set override", fmt.Sprintf("Target %q: %v.", name, err), nil))
		l.resolved[name] = nil
		return nil
	}
	t.normalize()
	l.resolved[name] = t
	return t
}

// attrRanges returns, for a target, the range of the expression behind each
// attribute and each contexts key: its own blocks' first, then its parents'
// in reverse inherits order, without what --set replaced. Results are
// memoized per name; the maps returned are the target's own (children copy
// from them into maps of their own).
func (l *loader) attrRanges(name string) (map[string]hcl.Range, map[string]hcl.Range) {
	if r, ok := l.ranges[name]; ok {
		return r[0], r[1]
	}
	attrs, ctxs := map[string]hcl.Range{}, map[string]hcl.Range{}
	own := l.own[name]
	for _, p := range own.strings(inheritsAttr) {
		if _, ok := l.own[p]; !ok {
			continue
		}
		pa, pc := l.attrRanges(p)
		maps.Copy(attrs, pa)
		maps.Copy(ctxs, pc)
	}
	maps.Copy(attrs, own.ranges)
	maps.Copy(ctxs, own.contextRanges)
	dropOverridden(attrs, ctxs, l.overrides[name])
	l.ranges[name] = [2]map[string]hcl.Range{attrs, ctxs}
	return attrs, ctxs
}

// rangeOf returns the range of an attribute of t, or nil.
func rangeOf(t *bakeTarget, attr string) *hcl.Range {
	if t == nil {
		return nil
	}
	if r, ok := t.ranges[attr]; ok {
		return &r
	}
	return nil
}

// checkGroups reports groups that contain themselves, and warns about
// group members that name nothing. Links between targets (contexts and
// depends_on) are the planner's to check (package graph), once, for every
// command.
func (l *loader) checkGroups() {
	l.checkGroupCycles()
	for _, name := range l.groupNames {
		g := l.cfg.Groups[name]
		for _, member := range g.Targets {
			if l.cfg.Targets[member] == nil && l.cfg.Groups[member] == nil {
				all := append(append([]string(nil), l.targetNames...), l.groupNames...)
				l.add(warnDiag("Unknown group member", fmt.Sprintf("Group %q lists %q, which is neither a target nor a group; building the group will fail.%s", name, member, didYouMean(member, all)), l.groupRange(name)))
			}
		}
	}
}

// checkGroupCycles reports groups that contain themselves.
func (l *loader) checkGroupCycles() {
	color := map[string]int{}
	var visit func(name string, path []string)
	visit = func(name string, path []string) {
		g := l.cfg.Groups[name]
		if g == nil || color[name] == 2 {
			return
		}
		if color[name] == 1 {
			// A group listing a name already being expanded means the
			// target of that name, as bake resolves it; only a name that
			// is no target closes a cycle.
			if l.cfg.Targets[name] != nil {
				return
			}
			start := 0
			for i, p := range path {
				if p == name {
					start = i
				}
			}
			cycle := append(append([]string(nil), path[start:]...), name)
			l.add(errorDiag("Group cycle", fmt.Sprintf("Group %q contains itself: %s.", name, strings.Join(cycle, " → ")), l.groupRange(name)))
			return
		}
		color[name] = 1
		for _, m := range g.Targets {
			visit(m, append(path, name))
		}
		color[name] = 2
	}
	for _, name := range l.groupNames {
		visit(name, nil)
	}
}

func (l *loader) groupRange(name string) *hcl.Range {
	insts := l.groups[name]
	if len(insts) == 0 {
		return nil
	}
	in := insts[len(insts)-1]
	if in.raw.targetsRange != nil {
		return in.raw.targetsRange
	}
	return in.raw.defRange.Ptr()
}

// toTarget derives the orch Target from bake's view: the same values with
// local paths resolved against the directory of the file that set them.
func (l *loader) toTarget(name string, bt *bakeTarget) *Target {
	first := l.targets[name][0]
	t := &Target{Name: name, Dir: first.raw.file.dir, DefRange: first.raw.defRange}
	r := &resolver{dir: t.Dir, workDir: l.workDir, inherits: l.own[name].strings(inheritsAttr)}
	for i, a := range TargetAttributes {
		if a.ops != nil {
			a.ops.resolve(bt.vals[i], t, r)
		}
	}
	t.AttrRanges, t.ContextRanges = l.attrRanges(name)
	for k := range t.ContextRanges {
		if _, ok := t.Contexts[k]; !ok {
			delete(t.ContextRanges, k)
		}
	}
	return t
}

// resolvePath makes p absolute against dir unless it already is.
func resolvePath(dir, p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(dir, filepath.FromSlash(p))
}

// resolveContextPath resolves a context value: local paths against dir,
// "cwd://PATH" against the working directory, everything else (URLs,
// target:, docker-image://, oci-layout://) unchanged.
func resolveContextPath(dir, p, workDir string) string {
	if rest, ok := strings.CutPrefix(p, "cwd://"); ok {
		if rest == "" {
			return workDir
		}
		return resolvePath(workDir, rest)
	}
	if isSpecialContext(p) {
		return p
	}
	return resolvePath(dir, p)
}

// isSpecialContext reports whether a context value is not a local path.
func isSpecialContext(p string) bool {
	for _, prefix := range []string{"target:", "docker-image://", "oci-layout://", "input:"} {
		if strings.HasPrefix(p, prefix) {
			return true
		}
	}
	return isRemoteURL(p)
}

// isRemoteURL recognizes the remote context forms BuildKit accepts: URLs
// with a scheme, and git references such as github.com/org/repo or
// git@host:repo.
func isRemoteURL(p string) bool {
	if i := strings.Index(p, "://"); i > 0 {
		return true
	}
	if strings.HasPrefix(p, "git@") || strings.HasPrefix(p, "github.com/") {
		return true
	}
	return false
}
