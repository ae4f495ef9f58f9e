package config

import (
	"fmt"
	"maps"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// attrOps is everything one target attribute does, in every phase: each
// kind of value below implements it once, and TargetAttributes configures
// one per attribute. The loader, the merge of blocks and inherits, --set,
// the derivation of Target and print are loops over the table that call
// these methods, so an attribute's rules live in its table entry only.
//
// A target holds its values in bakeTarget.vals, indexed like
// TargetAttributes, as the kind's Go type; nil means "not set", which is
// not the same as set to an empty value (an empty list replaces an
// inherited one, as in bake). Values are never changed in place once
// stored: merge, set and normalize return new ones when anything changes
// and share the value otherwise, so a parent resolved once is merged into
// many children safely, and ten thousand targets inheriting one template's
// labels hold one map.
type attrOps interface {
	kind() Kind
	// decode converts an evaluated value (of HCL or HCL JSON alike); nil
	// for null. at says where it was written.
	decode(v cty.Value, at origin) (any, error)
	// ref is what `target.NAME.ATTR` yields for the block's own value.
	ref(v any) cty.Value
	// merge applies src (set) on top of dst (possibly nil) by bake's rule
	// for the attribute: for blocks of one name and for inherits alike.
	merge(dst, src any) any
	// normalize runs after every inherits level, as bake's normalize.
	normalize(v any, t *bakeTarget) any
	// set applies the attribute's own --set key; dir is the working
	// directory, which command-line paths are relative to.
	set(cur any, o *override, dir string) (any, error)
	// resolve stores the final value (nil when unset) in Target, with
	// local paths resolved.
	resolve(v any, t *Target, r *resolver)
	// print writes `"name": value` as bake prints it, or nothing when
	// bake omits the attribute; v is nil when unset.
	print(name string, v any, w *jsonWriter)
}

// resolver holds what resolving a target's paths needs.
type resolver struct {
	// dir is the directory of the file that declared the target, for
	// values without a directory of their own.
	dir string
	// workDir resolves "cwd://" paths.
	workDir string
	// inherits is the target's own inherits, without its parents'.
	inherits []string
}

func (r *resolver) dirOr(d string) string {
	if d == "" {
		return r.dir
	}
	return d
}

// stdinChecker is implemented by kinds that refuse "-" (standard input)
// when printing, as bake does for context and dockerfile.
type stdinChecker interface {
	stdinRefused(v any) (what string, refused bool)
}

// keyRanger is implemented by a map kind whose keys each keep the range of
// their own value (contexts), so a `target:` link is reported at its line.
type keyRanger interface {
	keyRanges(expr hcl.Expression, v any) map[string]hcl.Range
}

// rebaser is implemented by the kinds whose local paths bake rebases onto
// the directory of the file that set them when
// BUILDX_BAKE_FILE_RELATIVE_PATHS=1 (context, contexts); print applies
// it to the targets it shows. t is the target, for its default base.
type rebaser interface {
	rebase(v any, t *bakeTarget) any
}

// exprReader is implemented by kinds that read something from the
// expression that set a value, beyond its value (context: whether it is
// written as target.NAME.context).
type exprReader interface {
	fromExpr(expr hcl.Expression, v any) any
}

// rebaseContextPath is bake's rebasing of a context path p onto base:
// relative local paths only; URLs, target:, docker-image:, oci-layout://
// and cwd:// values, absolute paths and an empty base or path stay.
func rebaseContextPath(base, p string) string {
	if base == "" || p == "" || filepath.IsAbs(p) || isBakeRemoteURL(p) {
		return p
	}
	for _, prefix := range []string{"cwd://", "target:", "docker-image:", "oci-layout://"} {
		if strings.HasPrefix(p, prefix) {
			return p
		}
	}
	return filepath.Clean(filepath.Join(base, filepath.FromSlash(p)))
}

// scalar is what every single-valued kind shares: a set value replaces
// the inherited one, and there is nothing to normalize.
type scalar struct{}

func (scalar) merge(_, src any) any               { return src }
func (scalar) normalize(v any, _ *bakeTarget) any { return v }

// textKind is a plain string that only a non-empty value overrides
// (description).
type textKind struct {
	scalar
	field func(*Target) *string
}

func (textKind) kind() Kind { return KindString }
func (textKind) decode(v cty.Value, _ origin) (any, error) {
	s, _, err := decodeString(v)
	if err != nil || s == "" {
		return nil, err
	}
	return s, nil
}
func (textKind) ref(v any) cty.Value                             { s, _ := v.(string); return cty.StringVal(s) }
func (textKind) set(cur any, _ *override, _ string) (any, error) { return cur, nil }
func (k textKind) resolve(v any, t *Target, _ *resolver)         { s, _ := v.(string); *k.field(t) = s }
func (textKind) print(name string, v any, w *jsonWriter) {
	if s, _ := v.(string); s != "" {
		w.key(name)
		w.str(s)
	}
}

// strKind is an optional string (*string).
type strKind struct {
	scalar
	field func(*Target) **string
	// def replaces an unset or empty value when resolving and printing
	// (dockerfile's "Dockerfile").
	def string
	// escape marks values bake escapes when printing ("${" as "$${").
	escape bool
	// stdin names the value in the error when "-" is refused; "" when it
	// is allowed.
	stdin string
}

func (strKind) kind() Kind { return KindString }
func (strKind) decode(v cty.Value, _ origin) (any, error) {
	s, ok, err := decodeString(v)
	if !ok || err != nil {
		return nil, err
	}
	return &s, nil
}
func (strKind) ref(v any) cty.Value {
	if p, _ := v.(*string); p != nil {
		return cty.StringVal(*p)
	}
	return cty.NullVal(cty.String)
}
func (strKind) set(_ any, o *override, _ string) (any, error) {
	s := o.value
	return &s, nil
}
func (k strKind) final(v any) *string {
	p, _ := v.(*string)
	if k.def != "" && (p == nil || *p == "") {
		d := k.def
		return &d
	}
	return p
}
func (k strKind) resolve(v any, t *Target, _ *resolver) { *k.field(t) = k.final(v) }
func (k strKind) print(name string, v any, w *jsonWriter) {
	p := k.final(v)
	if p == nil {
		return
	}
	s := *p
	if k.escape {
		s = escapeTemplate(s)
	}
	w.key(name)
	w.str(s)
}
func (k strKind) stdinRefused(v any) (string, bool) {
	p, _ := v.(*string)
	return k.stdin, k.stdin != "" && p != nil && *p == "-"
}

// boolKind is an optional bool (*bool); the strings "true" and "false"
// convert.
type boolKind struct {
	scalar
	field func(*Target) **bool
	// hidden: bake does not know it (incremental), so print leaves it out.
	hidden bool
}

func (boolKind) kind() Kind { return KindBool }
func (boolKind) decode(v cty.Value, _ origin) (any, error) {
	b, err := decodeBool(v)
	if b == nil || err != nil {
		return nil, err
	}
	return b, nil
}
func (boolKind) ref(v any) cty.Value {
	if p, _ := v.(*bool); p != nil {
		return cty.BoolVal(*p)
	}
	return cty.NullVal(cty.Bool)
}
func (boolKind) set(_ any, o *override, _ string) (any, error) {
	b, err := parseSetBool(o)
	return &b, err
}
func (k boolKind) resolve(v any, t *Target, _ *resolver) { p, _ := v.(*bool); *k.field(t) = p }
func (k boolKind) print(name string, v any, w *jsonWriter) {
	if p, _ := v.(*bool); p != nil && !k.hidden {
		w.key(name)
		w.boolean(*p)
	}
}

// parseSetBool reads the value of a boolean --set key.
func parseSetBool(o *override) (bool, error) {
	b, err := strconv.ParseBool(o.value)
	if err != nil {
		return false, fmt.Errorf("--set %s: invalid value %q: want true or false", o.key, o.value)
	}
	return b, nil
}

// listMerge says how a list attribute combines with the inherited one.
type listMerge int

const (
	// listReplace: a set list replaces the inherited one (tags,
	// platforms); --set replaces it too, += appends.
	listReplace listMerge = iota
	// listAppend: a set list is appended to the inherited one
	// (no-cache-filter, ulimits); --set replaces, += appends.
	listAppend
	// listExtend: appended when merging, and --set appends too; only an
	// empty --set value clears (annotations, entitlements).
	listExtend
)

// listKind is a list of strings.
type listKind struct {
	field   func(*Target) *[]string
	merging listMerge
	// keepDupes: the list is not deduplicated (inherits).
	keepDupes bool
	// hidden: bake does not print it (inherits, and depends_on, which
	// bake does not have).
	hidden bool
	escape bool
	// norm adds what other attributes imply before deduplication
	// (entitlements from network).
	norm func(list []string, t *bakeTarget) []string
}

func (listKind) kind() Kind { return KindStringList }
func (listKind) decode(v cty.Value, _ origin) (any, error) {
	l, err := decodeStringList(v)
	if l == nil || err != nil {
		return nil, err
	}
	return l, nil
}
func (listKind) ref(v any) cty.Value { l, _ := v.([]string); return listVal(l) }
func (k listKind) merge(dst, src any) any {
	a, _ := dst.([]string)
	b, _ := src.([]string)
	if k.merging == listReplace || a == nil {
		return b
	}
	return appendStrings(a, b)
}
func (k listKind) normalize(v any, t *bakeTarget) any {
	l, _ := v.([]string)
	if k.norm != nil {
		l = k.norm(l, t)
	}
	if l == nil {
		return nil
	}
	if !k.keepDupes {
		l = removeDupesStr(l)
	}
	return l
}
func (k listKind) set(cur any, o *override, _ string) (any, error) {
	l, _ := cur.([]string)
	switch {
	case k.merging == listExtend:
		if o.clear {
			l = nil
		}
		return appendStrings(l, o.arr), nil
	case o.appendTo:
		return appendStrings(l, o.arr), nil
	case o.arr == nil:
		return nil, nil
	}
	return slices.Clone(o.arr), nil
}
func (k listKind) resolve(v any, t *Target, r *resolver) {
	l, _ := v.([]string)
	*k.field(t) = l
}
func (k listKind) print(name string, v any, w *jsonWriter) {
	l, _ := v.([]string)
	if k.hidden || len(l) == 0 {
		return
	}
	w.key(name)
	var esc func(string) string
	if k.escape {
		esc = escapeTemplate
	}
	w.strings(l, esc)
}

// inheritsKind is inherits: a list appended when blocks merge, whose
// Target value is the target's own parents only.
type inheritsKind struct{ listKind }

func (inheritsKind) resolve(_ any, t *Target, r *resolver) {
	if len(r.inherits) > 0 {
		t.Inherits = slices.Clone(r.inherits)
	}
}

// mapKind is an object of strings whose null values are dropped instead of
// overriding an inherited value (args, labels, extra-hosts).
type mapKind struct {
	field func(*Target) *map[string]*string
}

func (mapKind) kind() Kind { return KindNullableStringMap }
func (mapKind) decode(v cty.Value, _ origin) (any, error) {
	m, err := decodeStringMap(v, true)
	if m == nil || err != nil {
		return nil, err
	}
	return m, nil
}
func (mapKind) ref(v any) cty.Value { m, _ := v.(map[string]*string); return nullableMapVal(m) }
func (mapKind) merge(dst, src any) any {
	a, _ := dst.(map[string]*string)
	b, _ := src.(map[string]*string)
	if m := mergeNullableMap(a, b); m != nil {
		return m
	}
	return dst
}
func (mapKind) normalize(v any, _ *bakeTarget) any { return v }
func (mapKind) set(cur any, o *override, _ string) (any, error) {
	m, _ := cur.(map[string]*string)
	value := o.value
	return mergeNullableMap(m, map[string]*string{o.sub: &value}), nil
}
func (k mapKind) resolve(v any, t *Target, _ *resolver) {
	m, _ := v.(map[string]*string)
	*k.field(t) = m
}
func (mapKind) print(name string, v any, w *jsonWriter) {
	m, _ := v.(map[string]*string)
	if len(m) == 0 {
		return
	}
	w.key(name)
	w.beginObject()
	for _, k := range sortedKeys(m) {
		w.key(k)
		if p := m[k]; p != nil {
			w.str(escapeTemplate(*p))
		} else {
			w.null()
		}
	}
	w.endObject()
}

// mergeNullableMap copies b's non-null values over a copy of a. When a is
// empty and b has no null value, the result is b itself.
func mergeNullableMap(a, b map[string]*string) map[string]*string {
	if len(b) == 0 {
		return a
	}
	if len(a) == 0 && !hasNull(b) {
		return b
	}
	var out map[string]*string
	if a != nil {
		out = maps.Clone(a)
	}
	for k, v := range b {
		if v == nil {
			continue
		}
		if out == nil {
			out = map[string]*string{}
		}
		out[k] = v
	}
	return out
}

func hasNull(m map[string]*string) bool {
	for _, v := range m {
		if v == nil {
			return true
		}
	}
	return false
}

// origin is where a value was written: dir is the directory its relative
// paths resolve against (orch's rule: the declaring file's), base is
// bake's base for them, the directory of the file as named on the command
// line ("" for standard input and --set), onto which
// BUILDX_BAKE_FILE_RELATIVE_PATHS=1 makes print rebase contexts.
type origin struct{ dir, base string }

// pathValue is a context path with where it was written (see origin): the
// file whose block set it, or the working directory for --set.
type pathValue struct {
	path, dir, base string
	// baseRef names the target whose context base this one takes, when
	// the context is written as target.NAME.context (bake's rule for
	// rebasing it).
	baseRef string
}

// contextKind is the build context.
type contextKind struct{ scalar }

func (contextKind) kind() Kind { return KindString }
func (contextKind) decode(v cty.Value, at origin) (any, error) {
	s, ok, err := decodeString(v)
	if !ok || err != nil {
		return nil, err
	}
	return &pathValue{path: s, dir: at.dir, base: at.base}, nil
}
func (contextKind) ref(v any) cty.Value {
	if p, _ := v.(*pathValue); p != nil {
		return cty.StringVal(p.path)
	}
	return cty.NullVal(cty.String)
}
func (contextKind) set(_ any, o *override, dir string) (any, error) {
	return &pathValue{path: o.value, dir: dir}, nil
}

// resolve makes the context absolute; without one it is the declaring
// file's directory (bake's default ".").
func (contextKind) resolve(v any, t *Target, r *resolver) {
	ctx := r.dir
	if p, _ := v.(*pathValue); p != nil {
		ctx = resolveContextPath(r.dirOr(p.dir), p.path, r.workDir)
	}
	t.Context = &ctx
}

// rebase rebases the context onto the base of the file that set it; an
// unset context is the target's default base, the directory of its own
// file.
func (contextKind) rebase(v any, t *bakeTarget) any {
	p, _ := v.(*pathValue)
	if p == nil {
		if !t.hasBase {
			return v
		}
		return &pathValue{path: rebaseContextPath(t.base, ".")}
	}
	c := *p
	c.path, c.base = rebaseContextPath(p.base, p.path), ""
	return &c
}

// fromExpr notes a context written as target.NAME.context: bake rebases
// it onto NAME's base, not the referring file's.
func (contextKind) fromExpr(expr hcl.Expression, v any) any {
	p, _ := v.(*pathValue)
	if p == nil {
		return v
	}
	if ref := targetContextRef(expr); ref != "" {
		c := *p
		c.baseRef = ref
		return &c
	}
	return v
}

// targetContextRef returns NAME when expr is exactly target.NAME.context
// (or target["NAME"].context), "" otherwise.
func targetContextRef(expr hcl.Expression) string {
	if static(expr) {
		return "" // a literal, as most contexts are: no traversal to read
	}
	tr, diags := hcl.AbsTraversalForExpr(expr)
	if diags.HasErrors() || len(tr) != 3 || tr.RootName() != "target" {
		return ""
	}
	var name string
	switch step := tr[1].(type) {
	case hcl.TraverseAttr:
		name = step.Name
	case hcl.TraverseIndex:
		if step.Key.Type() == cty.String && step.Key.IsKnown() && !step.Key.IsNull() {
			name = step.Key.AsString()
		}
	}
	if a, ok := tr[2].(hcl.TraverseAttr); !ok || a.Name != "context" {
		return ""
	}
	return name
}

// print cleans the path as bake does before printing; "." when unset.
func (contextKind) print(name string, v any, w *jsonWriter) {
	ctx := "."
	if p, _ := v.(*pathValue); p != nil {
		ctx = p.path
	}
	if rest, ok := strings.CutPrefix(ctx, "cwd://"); ok {
		ctx = path.Clean(rest)
	} else if !isBakeRemoteURL(ctx) {
		ctx = path.Clean(ctx)
	}
	w.key(name)
	w.str(ctx)
}
func (contextKind) stdinRefused(v any) (string, bool) {
	p, _ := v.(*pathValue)
	return "context", p != nil && p.path == "-"
}

// contextsKind is the named contexts: an object of strings, each value
// relative to the directory of the block (or --set) that set it.
type contextsKind struct{}

func (contextsKind) kind() Kind { return KindStringMap }
func (contextsKind) decode(v cty.Value, at origin) (any, error) {
	m, err := decodeStringMap(v, false)
	if m == nil || err != nil {
		return nil, err
	}
	out := make(map[string]pathValue, len(m))
	for k, s := range m {
		out[k] = pathValue{path: *s, dir: at.dir, base: at.base}
	}
	return out, nil
}
func (contextsKind) ref(v any) cty.Value {
	m, ok := v.(map[string]pathValue)
	if !ok {
		return cty.NullVal(cty.Map(cty.String))
	}
	vals := make(map[string]*string, len(m))
	for k, p := range m {
		vals[k] = &p.path
	}
	return nullableMapVal(vals)
}
func (contextsKind) merge(dst, src any) any {
	a, _ := dst.(map[string]pathValue)
	b, _ := src.(map[string]pathValue)
	switch {
	case len(b) == 0:
		return dst
	case len(a) == 0:
		return b
	}
	out := make(map[string]pathValue, len(a)+len(b))
	maps.Copy(out, a)
	maps.Copy(out, b)
	return out
}

// normalize drops empty values, as bake does.
func (contextsKind) normalize(v any, _ *bakeTarget) any {
	m, _ := v.(map[string]pathValue)
	empty := false
	for _, p := range m {
		empty = empty || p.path == ""
	}
	if !empty {
		if len(m) == 0 {
			return nil
		}
		return m
	}
	var out map[string]pathValue
	for k, p := range m {
		if p.path == "" {
			continue
		}
		if out == nil {
			out = make(map[string]pathValue, len(m))
		}
		out[k] = p
	}
	if out == nil {
		return nil
	}
	return out
}
func (contextsKind) set(cur any, o *override, dir string) (any, error) {
	m, _ := cur.(map[string]pathValue)
	out := make(map[string]pathValue, len(m)+1)
	maps.Copy(out, m)
	out[o.sub] = pathValue{path: o.value, dir: dir}
	return out, nil
}

// rebase rebases every named context onto the base of the file that set
// it.
func (contextsKind) rebase(v any, _ *bakeTarget) any {
	m, _ := v.(map[string]pathValue)
	if len(m) == 0 {
		return v
	}
	out := make(map[string]pathValue, len(m))
	for k, p := range m {
		p.path, p.base = rebaseContextPath(p.base, p.path), ""
		out[k] = p
	}
	return out
}

func (contextsKind) resolve(v any, t *Target, r *resolver) {
	m, _ := v.(map[string]pathValue)
	if m == nil {
		return
	}
	t.Contexts = make(map[string]string, len(m))
	for k, p := range m {
		t.Contexts[k] = resolveContextPath(r.dirOr(p.dir), p.path, r.workDir)
	}
}
func (contextsKind) print(name string, v any, w *jsonWriter) {
	m, _ := v.(map[string]pathValue)
	if len(m) == 0 {
		return
	}
	w.key(name)
	w.beginObject()
	for _, k := range sortedKeys(m) {
		w.key(k)
		w.str(m[k].path)
	}
	w.endObject()
}

// keyRanges finds the range of each key's value in a contexts object
// literal; keys computed some other way get the whole expression.
func (contextsKind) keyRanges(expr hcl.Expression, v any) map[string]hcl.Range {
	contexts, _ := v.(map[string]pathValue)
	out := make(map[string]hcl.Range, len(contexts))
	for k := range contexts {
		out[k] = expr.Range()
	}
	pairs, diags := hcl.ExprMap(expr)
	if diags.HasErrors() {
		return out
	}
	for _, p := range pairs {
		key, d := p.Key.Value(nil)
		if d.HasErrors() || key.Type() != cty.String || key.IsNull() {
			if kw := hcl.ExprAsKeyword(p.Key); kw != "" {
				if _, ok := out[kw]; ok {
					out[kw] = p.Value.Range()
				}
			}
			continue
		}
		if _, ok := out[key.AsString()]; ok {
			out[key.AsString()] = p.Value.Range()
		}
	}
	return out
}

// keyWarner is implemented by kinds whose object items have a closed set
// of keys: it lists the keys bake ignores, one message each, so the loader
// warns about them at the attribute.
type keyWarner interface {
	unknownKeys(v cty.Value) []string
}

// entriesKind is a list of items given as CSV strings or objects (see
// entries.go for the item types).
type entriesKind[E any] struct {
	typ *entryType[E]
	// appendMerge: a set list is appended to the inherited one and
	// deduplicated (cache-from, secret, ssh, attest); otherwise it
	// replaces it (cache-to, output).
	appendMerge bool
	// setMerges: --set merges into the list even without +=, and only an
	// empty value clears it (attest, as bake).
	setMerges bool
	// setResets: --set without += starts the list afresh and appends,
	// without removing duplicates (policy, as bake); setEmpties: an empty
	// value is parsed (and refused) rather than skipped.
	setResets, setEmpties bool
	store                 func(t *Target, items []E, r *resolver)
}

func (entriesKind[E]) kind() Kind            { return KindEntryList }
func (k entriesKind[E]) entryKeys() []string { return k.typ.keys }
func (k entriesKind[E]) decode(v cty.Value, at origin) (any, error) {
	dir := at.dir
	if v.IsNull() {
		return nil, nil
	}
	items, err := entryItems(v)
	if err != nil {
		return nil, err
	}
	out := make([]E, 0, len(items))
	for _, it := range items {
		if it.Type() == cty.String {
			es, err := k.typ.csv(it.AsString(), dir)
			if err != nil {
				return nil, decodeErrorf("Invalid %s %q: %v.", k.typ.what, it.AsString(), err)
			}
			out = append(out, es...)
			continue
		}
		e, err := k.typ.object(it, dir)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// unknownKeys lists, for item types with closed keys, every object key
// that is not one of them.
func (k entriesKind[E]) unknownKeys(v cty.Value) []string {
	if !k.typ.closed || !hasObjects(v.Type()) {
		return nil
	}
	if v.ContainsMarked() {
		v, _ = v.UnmarkDeep()
	}
	if v.IsNull() || !v.IsWhollyKnown() {
		return nil
	}
	var out []string
	for it := v.ElementIterator(); it.Next(); {
		_, e := it.Element()
		if e.IsNull() || !e.IsKnown() || !(e.Type().IsObjectType() || e.Type().IsMapType()) {
			continue
		}
		for _, key := range sortedKeys(e.AsValueMap()) {
			if !contains(k.typ.keys, key) {
				out = append(out, fmt.Sprintf("A %s object has the keys %s; %q is not one of them and is ignored, as bake ignores it.%s",
					k.typ.what, quotedList(k.typ.keys), key, didYouMean(key, k.typ.keys)))
			}
		}
	}
	return out
}

// hasObjects reports whether a list or tuple type may hold objects or
// maps, without looking at its elements: most lists are of strings.
func hasObjects(ty cty.Type) bool {
	isObj := func(t cty.Type) bool { return t.IsObjectType() || t.IsMapType() || t == cty.DynamicPseudoType }
	switch {
	case ty.IsTupleType():
		return slices.ContainsFunc(ty.TupleElementTypes(), isObj)
	case ty.IsListType():
		return isObj(ty.ElementType())
	}
	return false
}

func (k entriesKind[E]) ref(v any) cty.Value {
	items, _ := v.([]E)
	if len(items) == 0 {
		return cty.ListValEmpty(k.typ.refType)
	}
	vals := make([]cty.Value, len(items))
	for i, e := range items {
		vals[i] = k.typ.ref(e)
	}
	return cty.ListVal(vals)
}
func (k entriesKind[E]) merge(dst, src any) any {
	a, _ := dst.([]E)
	b, _ := src.([]E)
	if !k.appendMerge {
		return b
	}
	return k.mergeList(a, b)
}

// mergeList appends b to a copy of a and removes duplicates, bake's Merge
// of the list types it merges.
func (k entriesKind[E]) mergeList(a, b []E) []E {
	if len(a) == 0 {
		return k.typ.norm(b)
	}
	out := make([]E, 0, len(a)+len(b))
	return k.typ.norm(append(append(out, a...), b...))
}
func (k entriesKind[E]) normalize(v any, _ *bakeTarget) any {
	items, _ := v.([]E)
	if items = k.typ.norm(items); items == nil {
		return nil
	}
	return items
}
func (k entriesKind[E]) set(cur any, o *override, dir string) (any, error) {
	items, _ := cur.([]E)
	var parsed []E
	for _, v := range o.arr {
		if v == "" && !k.setEmpties {
			continue
		}
		es, err := k.typ.csv(v, dir)
		if err != nil {
			return nil, fmt.Errorf("--set %s: invalid %s %q: %w", o.key, k.typ.what, v, err)
		}
		parsed = append(parsed, es...)
	}
	switch {
	case k.setMerges:
		if o.clear {
			items = nil
		}
		return k.mergeList(items, parsed), nil
	case k.setResets:
		if !o.appendTo {
			items = nil
		}
		if items = append(slices.Clip(items), parsed...); items == nil {
			return nil, nil
		}
		return items, nil
	case o.appendTo:
		return k.mergeList(items, parsed), nil
	case parsed == nil:
		return nil, nil
	}
	return parsed, nil
}
func (k entriesKind[E]) resolve(v any, t *Target, r *resolver) {
	items, _ := v.([]E)
	k.store(t, items, r)
}
func (k entriesKind[E]) print(name string, v any, w *jsonWriter) {
	items, _ := v.([]E)
	if len(items) == 0 {
		return
	}
	w.key(name)
	w.beginArray()
	for _, e := range items {
		w.item()
		k.typ.print(e, w)
	}
	w.endArray()
}

// escapeTemplate writes "${" and "%{" so that the printed JSON, read back as
// a bake file, yields the same strings.
func escapeTemplate(s string) string {
	if !strings.Contains(s, "{") {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "${", "$${"), "%{", "%%{")
}

// removeDupesStr drops duplicates and empty strings, keeping first
// occurrences in order. A list without either is returned as it is.
func removeDupesStr(s []string) []string {
	if s == nil {
		return nil
	}
	clean := true
	for i, v := range s {
		if v == "" || slices.Contains(s[:i], v) {
			clean = false
			break
		}
		if i >= 16 {
			clean = false // long lists: let the map decide
			break
		}
	}
	if clean {
		return s
	}
	out := make([]string, 0, len(s))
	seen := make(map[string]struct{}, len(s))
	for _, v := range s {
		if _, ok := seen[v]; ok || v == "" {
			continue
		}
		seen[v] = struct{}{}
		out = append(out, v)
	}
	return out
}

func appendStrings(a, b []string) []string {
	out := make([]string, 0, len(a)+len(b))
	return append(append(out, a...), b...)
}
