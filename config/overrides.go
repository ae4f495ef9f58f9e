package config

import (
	"fmt"
	"path"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// override is the accumulated effect of every --set for one target and key,
// as bake accumulates them.
type override struct {
	attr *Attribute
	sk   *setKey
	// key is the key as bake normalizes it, with its sub-key:
	// "arg.NAME", "tag", "output", ...
	key string
	// sub is the sub-key (the NAME of arg.NAME), if any.
	sub   string
	value string
	// arr accumulates the values of a list key; clear is set by an empty
	// value without +=, and appendTo by +=.
	arr      []string
	appendTo bool
	clear    bool
	// target is the target the override applies to and dir the working
	// directory, which relative paths given on the command line resolve
	// against.
	target, dir string
}

// setKeyTable maps every --set key and alias to its attribute and key.
// A name may have two forms (secret=LIST and secret.ID=VALUE), told
// apart by whether a sub-key is given.
type setKeyRef struct {
	attr *Attribute
	key  *setKey
}

var setKeyTable = func() map[string][]setKeyRef {
	m := map[string][]setKeyRef{}
	for i := range TargetAttributes {
		a := &TargetAttributes[i]
		for j := range a.set {
			k := &a.set[j]
			m[k.name] = append(m[k.name], setKeyRef{a, k})
		}
	}
	return m
}()

// setAliases maps the other spellings bake accepts to the key they spell.
var setAliases = func() map[string]setKeyRef {
	m := map[string]setKeyRef{}
	for i := range TargetAttributes {
		a := &TargetAttributes[i]
		for j := range a.set {
			if k := &a.set[j]; k.alias != "" {
				m[k.alias] = setKeyRef{a, k}
			}
		}
	}
	return m
}()

// lookupSetKey finds the key name takes with or without a sub-key.
func lookupSetKey(name string, sub bool) *setKeyRef {
	for _, r := range setKeyTable[name] {
		if (r.key.form == setNamed) == sub {
			return &r
		}
	}
	return nil
}

func setError(format string, args ...any) *hcl.Diagnostic {
	return errorDiag("Invalid --set override", fmt.Sprintf(format, args...), nil)
}

// parseSets turns --set flags into per-target overrides, in the order the
// keys first appear. Patterns match target names (globs allowed).
func (l *loader) parseSets() {
	l.overrides = map[string][]*override{}
	for _, s := range l.opts.Sets {
		lhs, value, hasValue := strings.Cut(s, "=")
		appendTo := strings.HasSuffix(lhs, "+")
		lhs = strings.TrimSuffix(lhs, "+")
		keys := strings.SplitN(lhs, ".", 3)
		if len(keys) < 2 {
			l.add(setError("%q: expected TARGET.KEY=VALUE, e.g. app.tags=app:dev.", s))
			continue
		}
		ref, d := lookupSet(s, keys, appendTo, hasValue)
		if d != nil {
			l.add(d)
			continue
		}
		key, hasSub := ref.key.name, len(keys) == 3
		names, d := l.matchTargets(keys[0])
		if d != nil {
			l.add(d)
			continue
		}
		okey := key
		if hasSub {
			okey = key + "." + keys[2]
		}
		if !hasValue {
			// bake reads --set TARGET.args.NAME without a value from
			// the environment, and ignores it when that is not set.
			v, ok := l.env[keys[2]]
			if !ok {
				continue
			}
			value = v
		}
		for _, name := range names {
			var o *override
			for _, existing := range l.overrides[name] {
				if existing.key == okey {
					o = existing
				}
			}
			if o == nil {
				o = &override{attr: ref.attr, sk: ref.key, key: okey, target: name, dir: l.workDir}
				if hasSub {
					o.sub = keys[2]
				}
				l.overrides[name] = append(l.overrides[name], o)
			}
			if ref.key.form == setList {
				if !appendTo && value == "" {
					o.clear, o.arr = true, nil
				} else {
					o.arr = append(o.arr, value)
				}
				o.appendTo = appendTo && !o.clear
			} else {
				o.value = value
			}
		}
	}
}

// lookupSet finds the attribute and key of one --set, "TARGET.KEY[.SUB]"
// split into keys, and checks its form: a sub-key where the key takes
// one, += on lists only, a value unless the key is arg.
func lookupSet(s string, keys []string, appendTo, hasValue bool) (*setKeyRef, *hcl.Diagnostic) {
	key, written, hasSub := keys[1], keys[1], len(keys) == 3
	if alias, ok := setAliases[key]; ok {
		// An alias spells one form of its key: "secrets" is the
		// list of secrets, never secret.ID.
		if hasSub && alias.key.form != setNamed {
			hint := "."
			if lookupSetKey(alias.key.name, true) != nil {
				hint = fmt.Sprintf("; use %s.NAME=VALUE.", alias.key.name)
			}
			return nil, setError("%q: %s does not take a sub-key%s", s, key, hint)
		}
		key = alias.key.name
	}
	ref := lookupSetKey(key, hasSub)
	switch {
	case ref == nil && len(setKeyTable[key]) == 0:
		valid := sortedKeys(setKeyTable)
		return nil, setError("%q: unknown key %q;%s", s, key, suggestionOr(key, append(valid, sortedKeys(setAliases)...), " valid keys are "+strings.Join(valid, ", ")+"."))
	case ref == nil && hasSub:
		return nil, setError("%q: %s does not take a sub-key.", s, written)
	case ref == nil:
		return nil, setError("%q: %s needs a name: TARGET.%s.NAME=VALUE.", s, written, written)
	}
	if !hasValue && key != "arg" {
		return nil, setError("%q: expected TARGET.KEY=VALUE.", s)
	}
	if appendTo && ref.key.form != setList {
		if hasSub {
			written += "." + keys[2]
		}
		return nil, setError("%q: %s does not support +=; only list keys do.", s, written)
	}
	return ref, nil
}

// matchTargets expands a --set pattern: an exact target name, or a glob
// over all target names. This is bake's rule for --set, not the selection
// of what to build (package graph): templates match too, since setting a
// template's attribute is how its children get it.
func (l *loader) matchTargets(pattern string) ([]string, *hcl.Diagnostic) {
	if _, ok := l.targets[pattern]; ok {
		return []string{pattern}, nil
	}
	var names []string
	for _, name := range l.targetNames {
		ok, err := path.Match(pattern, name)
		if err != nil {
			return nil, setError("invalid target pattern %q: %v.", pattern, err)
		}
		if ok {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return nil, setError("no target matches %q.%s", pattern, didYouMean(pattern, l.targetNames))
	}
	return names, nil
}

// applyOverrides applies a target's overrides as bake's AddOverrides does:
// each through its attribute's entry, the late ones (secret.ID) last.
func applyOverrides(t *bakeTarget, overrides []*override) error {
	late := make([]*override, 0)
	apply := func(o *override) error {
		i := o.attr.index
		var err error
		if o.sk.apply != nil {
			t.vals[i], err = o.sk.apply(t.vals[i], o)
		} else {
			t.vals[i], err = o.attr.ops.set(t.vals[i], o, o.dir)
		}
		return err
	}
	for _, o := range overrides {
		if o.sk.late {
			late = append(late, o)
			continue
		}
		if err := apply(o); err != nil {
			return err
		}
	}
	for _, o := range late {
		if err := apply(o); err != nil {
			return err
		}
	}
	return nil
}

// dropOverridden forgets the source ranges of attributes a --set replaced,
// so later messages do not point at a value that no longer applies.
func dropOverridden(ranges, keyRanges map[string]hcl.Range, overrides []*override) {
	for _, o := range overrides {
		if _, perKey := o.attr.ops.(keyRanger); perKey && o.sub != "" {
			delete(keyRanges, o.sub)
			continue
		}
		delete(ranges, o.attr.Name)
	}
}
