package config

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// namePattern is bake's rule for target and group names.
var namePattern = regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)

// expand is phase 4 for the blocks of one unit: every target block gets
// its names, a matrix one per combination, and every group block its
// label.
func (l *loader) expand(u *unit) {
	for _, rb := range u.raw {
		label := rb.block.Labels[0]
		if rb.kind == "group" {
			l.addInstance(&instance{raw: rb, name: label, ectx: l.ectx})
			continue
		}
		names, ctxs, ok := l.matrixNames(rb)
		if !ok {
			continue
		}
		for i, name := range names {
			l.addInstance(&instance{raw: rb, name: name, ectx: ctxs[i]})
		}
		l.noteRenames(rb, label, names)
	}
}

// noteRenames collects, as bake does, the names the blocks of a label give
// once one of them renames it (matrix, name): the label becomes a group
// of every name its blocks give, in any file (finish). The blocks of a
// label never renamed, nearly all of them, cost nothing here.
func (l *loader) noteRenames(rb *rawBlock, label string, names []string) {
	renames := len(names) != 1 || names[0] != label
	_, seen := l.renamed[label]
	switch {
	case !renames && !seen:
		return
	case !seen:
		// The blocks of this label before it, none renaming, each gave
		// the label itself.
		var before []string
		for _, in := range l.targets[label] {
			if in.raw != rb && in.raw.label == label {
				before = []string{label}
				break
			}
		}
		l.renameOrder = append(l.renameOrder, label)
		l.renamed[label] = before
	}
	l.renamed[label] = append(l.renamed[label], names...)
}

func (l *loader) addInstance(in *instance) {
	in.raw.pending++
	in.raw.insts = append(in.raw.insts, in)
	m, order := l.targets, &l.targetNames
	if in.raw.kind == "group" {
		m, order = l.groups, &l.groupNames
	}
	if _, seen := m[in.name]; !seen {
		*order = append(*order, in.name)
	}
	m[in.name] = append(m[in.name], in)
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

// MaxMatrixCombinations is the most targets one matrix block may expand
// to. bake has no limit, and a matrix of two range(1000) keys (a million
// targets) exhausts its memory; orch reports such a matrix, at its line,
// before expanding it.
const MaxMatrixCombinations = 10000

// matrixNames expands a target block. Keys are taken in sorted order and
// combined as bake combines them, so the result is always one of the
// orders bake could produce, and always the same one.
func (l *loader) matrixNames(rb *rawBlock) ([]string, []*hcl.EvalContext, bool) {
	label := rb.block.Labels[0]
	mattr, hasMatrix := rb.attrs["matrix"]
	nattr, hasName := rb.attrs["name"]
	if !hasMatrix {
		if hasName {
			l.add(errorDiag("Name without matrix", fmt.Sprintf("Target %q sets name, which only names the targets a matrix expands to. Add a matrix or remove name.", label), nattr.NameRange.Ptr()))
			return nil, nil, false
		}
		return []string{label}, []*hcl.EvalContext{l.ectx}, true
	}
	if diags := l.deps(l.ectx, mattr.Expr, nil); diags.HasErrors() {
		l.add(dropReported(diags)...)
		return nil, nil, false
	}
	mv, diags := mattr.Expr.Value(l.ectx)
	l.add(l.explain(diags, l.ectx)...)
	if diags.HasErrors() {
		return nil, nil, false
	}
	mv, _ = mv.UnmarkDeep()
	if mv.IsNull() || !mv.IsWhollyKnown() || !(mv.Type().IsObjectType() || mv.Type().IsMapType()) {
		l.add(errorDiag("Invalid matrix", "The matrix must be an object of lists, e.g. {tgt = [\"a\", \"b\"]}.", mattr.Expr.Range().Ptr()))
		return nil, nil, false
	}
	values := mv.AsValueMap()
	keys := sortedKeys(values)
	combinations, d := matrixSize(label, keys, values, mattr.Expr.Range())
	if d != nil {
		l.add(d)
		return nil, nil, false
	}
	ctxs := make([]*hcl.EvalContext, 1, max(combinations, 1))
	ctxs[0] = l.ectx
	for _, k := range keys {
		v := values[k]
		var next []*hcl.EvalContext
		for _, item := range v.AsValueSlice() {
			for _, c := range ctxs {
				child := l.ectx.NewChild()
				child.Variables = map[string]cty.Value{}
				if c != l.ectx {
					for kk, vv := range c.Variables {
						child.Variables[kk] = vv
					}
				}
				child.Variables[k] = item
				next = append(next, child)
			}
		}
		ctxs = next
	}
	if len(ctxs) == 0 {
		l.add(warnDiag("Empty matrix", fmt.Sprintf("The matrix of target %q has an empty list, so it produces no targets.", label), mattr.Expr.Range().Ptr()))
		return nil, nil, true
	}
	if !hasName {
		// Without a name every combination would be called label; bake
		// merges them into one target, so orch does too, with a warning.
		if len(ctxs) > 1 {
			l.add(errorDiag("Matrix without name", fmt.Sprintf("Target %q has a matrix of %d combinations but no name, so they would all be called %q. Add name, e.g. name = \"%s-${...}\".", label, len(ctxs), label, label), mattr.NameRange.Ptr()))
			return nil, nil, false
		}
		return []string{label}, ctxs, true
	}
	names := make([]string, 0, len(ctxs))
	seen := map[string]bool{}
	for _, c := range ctxs {
		if diags := l.deps(c, nattr.Expr, nil); diags.HasErrors() {
			l.add(dropReported(diags)...)
			return nil, nil, false
		}
		nv, diags := nattr.Expr.Value(c)
		l.add(l.explain(diags, c)...)
		if diags.HasErrors() {
			return nil, nil, false
		}
		name, ok, err := decodeString(nv)
		if err != nil || !ok {
			l.add(errorDiag("Invalid name", "The name of a matrix target must be a string.", nattr.Expr.Range().Ptr()))
			return nil, nil, false
		}
		if !namePattern.MatchString(name) {
			l.add(errorDiag("Invalid name", fmt.Sprintf("Matrix target name %q is invalid: only letters, digits, \"_\" and \"-\" are allowed. Use sanitize() to clean values.", name), nattr.Expr.Range().Ptr()))
			return nil, nil, false
		}
		if seen[name] {
			l.add(errorDiag("Duplicate target name", fmt.Sprintf("The matrix of target %q gives the name %q to two combinations; include every matrix key in name.", label, name), nattr.Expr.Range().Ptr()))
			return nil, nil, false
		}
		seen[name] = true
		names = append(names, name)
	}
	return names, ctxs, true
}

// matrixSize checks that every matrix value is a list and counts the
// combinations, before anything is expanded: a matrix of a million
// combinations is an error at its line, not an exhausted memory.
func matrixSize(label string, keys []string, values map[string]cty.Value, rng hcl.Range) (int, *hcl.Diagnostic) {
	combinations := 1
	for _, k := range keys {
		v := values[k]
		if v.IsNull() || !v.CanIterateElements() || v.Type().IsObjectType() || v.Type().IsMapType() {
			return 0, errorDiag("Invalid matrix", fmt.Sprintf("Matrix value %q must be a list.", k), &rng)
		}
		combinations = min(combinations*v.LengthInt(), MaxMatrixCombinations+1)
	}
	if combinations <= MaxMatrixCombinations {
		return combinations, nil
	}
	sizes := make([]string, len(keys))
	for i, k := range keys {
		sizes[i] = fmt.Sprintf("%s: %d", k, values[k].LengthInt())
	}
	return 0, errorDiag("Matrix too large", fmt.Sprintf("The matrix of target %q has more than %d combinations (%s); orch expands at most %d targets from one block. Split the matrix over several targets.",
		label, MaxMatrixCombinations, strings.Join(sizes, ", "), MaxMatrixCombinations), &rng)
}

// evaluate is phase 5, with phase 4 for each unit first: the units are
// parsed, expanded and evaluated in order, and each block's syntax is
// released once its targets are evaluated, so that a large file never
// holds the syntax of every block and every evaluated target at once.
// Groups are evaluated last, as they may name targets of any unit.
func (l *loader) evaluate() {
	done := func(in *instance) {
		in.raw.pending--
		if in.raw.pending == 0 {
			in.raw.block, in.raw.attrs = nil, nil
		}
	}
	stop := l.startParsing()
	defer stop()
	for i := range l.units {
		if !l.prepare(i) {
			return
		}
		for _, rb := range l.units[i].raw {
			if rb.kind != "target" {
				continue
			}
			for _, in := range rb.insts {
				l.evalTarget(in)
				done(in)
			}
		}
		l.units[i] = nil
	}
	for _, name := range l.groupNames {
		for _, in := range l.groups[name] {
			if in.raw.compose {
				continue // made whole by collectCompose
			}
			l.evalGroup(in)
			done(in)
		}
	}
	// Nothing is evaluated after this point: let the syntax trees and
	// evaluation contexts go, so large files need less memory while the
	// targets are merged and resolved.
	for _, rb := range l.blocks {
		rb.block, rb.attrs, rb.insts = nil, nil, nil
	}
	for _, f := range l.files {
		f.hcl = nil
	}
	for _, m := range []map[string][]*instance{l.targets, l.groups} {
		for _, insts := range m {
			for _, in := range insts {
				in.ectx = nil
			}
		}
	}
	l.vars, l.attrs, l.funcs, l.ectx = nil, nil, nil, nil
}

// start gives a target instance its bakeTarget, once, with bake's
// default context base: the directory of the file as named.
func (in *instance) start() {
	if in.bake == nil {
		in.bake = newBakeTarget(in.name)
		in.bake.base, in.bake.hasBase = in.raw.file.base, true
		in.ok = true
	}
}

// evalTarget evaluates every attribute of a target instance.
func (l *loader) evalTarget(in *instance) {
	in.start()
	for i := range TargetAttributes {
		a := &TargetAttributes[i]
		if a.ops == nil {
			continue // matrix and name, read by expand
		}
		if _, ok := in.raw.attrs[a.Name]; ok {
			l.targetAttr(in, a)
		}
	}
}

// targetAttr evaluates one attribute of a target instance on demand and
// reports whether it succeeded.
func (l *loader) targetAttr(in *instance, a *Attribute) bool {
	in.start()
	slot := &in.states[attrIndex[a.Name]]
	switch *slot {
	case resolved:
		return true
	case failed, inProgress:
		return false
	}
	expr, ok := in.raw.attrs[a.Name]
	if !ok {
		*slot = resolved
		return true
	}
	*slot = inProgress
	v, ok := l.evalExpr(in, expr.Expr)
	if ok {
		l.warnKeys(a, v, expr.Expr.Range())
		val, err := decodeAttr(a, v, origin{dir: in.raw.file.dir, base: in.raw.file.base})
		if err != nil {
			l.add(errorDiag(fmt.Sprintf("Invalid value for %q", a.Name), err.Error(), expr.Expr.Range().Ptr()))
			ok = false
		}
		in.bake.vals[a.index] = val
	}
	if !ok {
		*slot = failed
		in.ok = false
		return false
	}
	if in.bake.ranges == nil {
		in.bake.ranges = map[string]hcl.Range{}
	}
	in.bake.ranges[a.Name] = expr.Expr.Range()
	if er, ok := a.ops.(exprReader); ok {
		in.bake.vals[a.index] = er.fromExpr(expr.Expr, in.bake.vals[a.index])
	}
	if kr, ok := a.ops.(keyRanger); ok {
		in.bake.contextRanges = kr.keyRanges(expr.Expr, in.bake.vals[a.index])
	}
	*slot = resolved
	return true
}

// warnKeys warns about the object keys of v that attribute a ignores, as
// bake does.
func (l *loader) warnKeys(a *Attribute, v cty.Value, rng hcl.Range) {
	kw, ok := a.ops.(keyWarner)
	if !ok {
		return
	}
	for _, msg := range kw.unknownKeys(v) {
		r := rng // only a warning takes the range's address
		l.add(warnDiag("Unknown key", msg, &r))
	}
}

// decodeAttr converts an evaluated value for attribute a.
func decodeAttr(a *Attribute, v cty.Value, at origin) (any, error) {
	if v.ContainsMarked() {
		v, _ = v.UnmarkDeep()
	}
	if !v.IsWhollyKnown() {
		return nil, decodeErrorf("The value is not known.")
	}
	return a.ops.decode(v, at)
}

// evalExpr evaluates an attribute expression of an instance, resolving the
// variables and block references it uses first.
func (l *loader) evalExpr(in *instance, expr hcl.Expression) (cty.Value, bool) {
	var refs []blockRef
	diags := l.deps(in.ectx, expr, &refs)
	if diags.HasErrors() {
		l.add(dropReported(diags)...)
		return cty.NilVal, false
	}
	ctx := in.ectx
	if len(refs) > 0 {
		var ok bool
		if ctx, ok = l.refContext(in, in.ectx, refs); !ok {
			return cty.NilVal, false
		}
	}
	v, diags := expr.Value(ctx)
	if diags.HasErrors() {
		l.add(l.explain(diags, ctx)...)
		return cty.NilVal, false
	}
	return v, true
}

// refContext returns a child of ctx that holds the `target` and `group`
// objects refs need. A reference may name a block of any unit, and a name
// may have blocks in several: every unit is expanded first. from is the
// instance whose attribute refers, nil for a top-level attribute.
func (l *loader) refContext(from *instance, ctx *hcl.EvalContext, refs []blockRef) (*hcl.EvalContext, bool) {
	if !l.prepareAll() {
		return nil, false
	}
	vars, ok := l.refVariables(from, refs)
	if !ok {
		return nil, false
	}
	child := ctx.NewChild()
	child.Variables = vars
	return child, true
}

// refVariables builds the `target` and `group` objects an expression
// needs, holding only the blocks and attributes it refers to.
func (l *loader) refVariables(from *instance, refs []blockRef) (map[string]cty.Value, bool) {
	objs := map[string]map[string]map[string]cty.Value{"target": {}, "group": {}}
	ok := true
	for _, ref := range refs {
		insts := l.targets[ref.name]
		names, attrs := l.targetNames, TargetAttributes
		if ref.kind == "group" {
			insts, names, attrs = l.groups[ref.name], l.groupNames, GroupAttributes
		}
		if len(insts) == 0 {
			l.add(errorDiag(fmt.Sprintf("Unknown %s", ref.kind), fmt.Sprintf("There is no %s named %q.%s", ref.kind, ref.name, didYouMean(ref.name, names)), ref.rng.Ptr()))
			ok = false
			continue
		}
		wanted := []string{ref.attr}
		if ref.attr == "" {
			wanted = append(attributeNames(attrs), "name")
		} else if ref.attr != "name" && !contains(attributeNames(attrs), ref.attr) {
			l.add(errorDiag(fmt.Sprintf("Unknown %s attribute", ref.kind), fmt.Sprintf("Unknown %s attribute %q;%s", ref.kind, ref.attr, suggestionOr(ref.attr, attributeNames(attrs), " it cannot be referenced.")), ref.rng.Ptr()))
			ok = false
			continue
		}
		obj := objs[ref.kind][ref.name]
		if obj == nil {
			obj = map[string]cty.Value{}
			objs[ref.kind][ref.name] = obj
		}
		for _, a := range wanted {
			if a == "matrix" {
				continue
			}
			if _, done := obj[a]; done {
				continue
			}
			v, vok := l.refAttr(from, ref, insts, a)
			if !vok {
				ok = false
				continue
			}
			obj[a] = v
		}
	}
	if !ok {
		return nil, false
	}
	vars := map[string]cty.Value{}
	for kind, m := range objs {
		if len(m) == 0 {
			continue
		}
		o := make(map[string]cty.Value, len(m))
		for name, attrs := range m {
			o[name] = cty.ObjectVal(attrs)
		}
		vars[kind] = cty.ObjectVal(o)
	}
	return vars, true
}

// refAttr returns the value of one attribute of the blocks named by ref:
// the last block (in file order) that sets it wins, as when blocks merge.
func (l *loader) refAttr(from *instance, ref blockRef, insts []*instance, attr string) (cty.Value, bool) {
	if ref.kind == "group" {
		in := insts[len(insts)-1]
		if attr == "name" {
			return cty.StringVal(in.name), true
		}
		if in.states[attrIndex[attr]] == inProgress {
			l.add(errorDiag("Reference cycle", fmt.Sprintf("group.%s.%s refers to itself.", ref.name, attr), ref.rng.Ptr()))
			return cty.NilVal, false
		}
		if !l.groupAttr(in, attr) {
			return cty.NilVal, false
		}
		if attr == "description" {
			return cty.StringVal(in.group.Description), true
		}
		return listVal(in.group.Targets), true
	}
	a := attributeNamed(attr)
	if attr == "name" {
		return cty.StringVal(insts[len(insts)-1].name), true
	}
	owner := insts[len(insts)-1]
	for i := len(insts) - 1; i >= 0; i-- {
		if setsAttr(insts[i], attr) {
			owner = insts[i]
			break
		}
	}
	if owner.states[attrIndex[attr]] == inProgress {
		what := fmt.Sprintf("target.%s.%s", ref.name, attr)
		l.add(errorDiag("Reference cycle", fmt.Sprintf("%s refers to itself, directly or through other references. Give one of the attributes a value that does not depend on the others.", what), ref.rng.Ptr()))
		return cty.NilVal, false
	}
	if !l.targetAttr(owner, a) {
		return cty.NilVal, false
	}
	return a.ops.ref(owner.bake.vals[a.index]), true
}

// setsAttr reports whether the block of a target instance sets attr; once
// the block's syntax is released the evaluated ranges tell.
func setsAttr(in *instance, attr string) bool {
	if in.raw.attrs != nil {
		_, ok := in.raw.attrs[attr]
		return ok
	}
	if in.bake == nil {
		return false
	}
	_, ok := in.bake.ranges[attr]
	return ok
}

// evalGroup evaluates a group instance.
func (l *loader) evalGroup(in *instance) {
	if _, ok := in.raw.attrs["targets"]; !ok {
		l.add(errorDiag("Missing targets", fmt.Sprintf("Group %q needs targets, the list of targets and groups it builds.", in.name), in.raw.defRange.Ptr()))
		in.ok = false
		return
	}
	for _, a := range GroupAttributes {
		l.groupAttr(in, a.Name)
	}
}

// groupAttr evaluates one attribute of a group instance on demand.
func (l *loader) groupAttr(in *instance, name string) bool {
	if in.group == nil {
		in.group = &Group{Name: in.name, DefRange: in.raw.defRange}
		in.ok = true
	}
	switch in.states[attrIndex[name]] {
	case resolved:
		return true
	case failed, inProgress:
		return false
	}
	attr, ok := in.raw.attrs[name]
	if !ok {
		in.states[attrIndex[name]] = resolved
		return true
	}
	in.states[attrIndex[name]] = inProgress
	v, ok := l.evalExpr(in, attr.Expr)
	if ok {
		v, _ = v.UnmarkDeep()
		var err error
		switch name {
		case "description":
			in.group.Description, _, err = decodeString(v)
		case "targets":
			var ts []string
			ts, err = decodeStringList(v)
			if ts == nil && err == nil {
				ts = []string{}
			}
			in.group.Targets = dedupStrings(ts)
		}
		if err != nil {
			l.add(errorDiag(fmt.Sprintf("Invalid value for %q", name), err.Error(), attr.Expr.Range().Ptr()))
			ok = false
		}
	}
	if !ok {
		in.states[attrIndex[name]] = failed
		in.ok = false
		return false
	}
	in.states[attrIndex[name]] = resolved
	return true
}

// dedupStrings drops repeated names keeping the first, and keeps an empty
// list non-nil (bake prints [] for it).
func dedupStrings(s []string) []string {
	if s == nil {
		return nil
	}
	out := make([]string, 0, len(s))
	seen := make(map[string]bool, len(s))
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}
