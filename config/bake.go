package config

import (
	"maps"

	"github.com/hashicorp/hcl/v2"
)

// bakeTarget holds a target exactly as bake computes it: raw, unresolved
// values, merged with bake's per-attribute rules. `orch print` renders it;
// Target (with file-relative paths resolved) is derived from it at the end.
type bakeTarget struct {
	Name string
	// vals holds the value of each attribute by its index in
	// TargetAttributes, nil when unset (see attrOps).
	vals []any
	// ranges maps an attribute name to the expression that set it last,
	// for the blocks of one name only; inherited ranges are combined once,
	// at the end, by attrRanges.
	ranges map[string]hcl.Range
	// contextRanges does the same per contexts key.
	contextRanges map[string]hcl.Range
	// base is bake's default context base, the directory of the file of
	// the last block merged in (see origin); hasBase says there was one.
	// With BUILDX_BAKE_FILE_RELATIVE_PATHS=1 print shows an unset
	// context as this directory.
	base    string
	hasBase bool
}

func newBakeTarget(name string) *bakeTarget {
	return &bakeTarget{Name: name, vals: make([]any, len(TargetAttributes))}
}

// merge applies t2 on top of t, attribute by attribute, with bake's rule
// for each (see TargetAttributes).
func (t *bakeTarget) merge(t2 *bakeTarget) {
	if t2.hasBase {
		t.base, t.hasBase = t2.base, true
	}
	for i, v := range t2.vals {
		if v != nil {
			t.vals[i] = TargetAttributes[i].ops.merge(t.vals[i], v)
		}
	}
}

// mergeRanges copies the source ranges of t2 over those of t; ranges are
// kept per block and per name, not per resolved target (see attrRanges).
func (t *bakeTarget) mergeRanges(t2 *bakeTarget) {
	if len(t2.ranges) > 0 && t.ranges == nil {
		t.ranges = map[string]hcl.Range{}
	}
	maps.Copy(t.ranges, t2.ranges)
	if len(t2.contextRanges) > 0 && t.contextRanges == nil {
		t.contextRanges = map[string]hcl.Range{}
	}
	maps.Copy(t.contextRanges, t2.contextRanges)
}

// normalize removes duplicates and empty values as bake does after every
// inherits level.
func (t *bakeTarget) normalize() {
	for i, a := range TargetAttributes {
		if a.ops != nil {
			t.vals[i] = a.ops.normalize(t.vals[i], t)
		}
	}
}

// copy returns a copy of t whose values can be replaced without touching
// t (values themselves are never changed in place).
func (t *bakeTarget) copy() *bakeTarget {
	c := *t
	c.vals = append([]any(nil), t.vals...)
	return &c
}

// strings returns the value of a list attribute.
func (t *bakeTarget) strings(a *Attribute) []string {
	l, _ := t.vals[a.index].([]string)
	return l
}
