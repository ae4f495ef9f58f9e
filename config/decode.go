package config

import (
	"fmt"
	"strconv"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// This file turns evaluated cty values into the Go values of a bakeTarget,
// converting exactly as bake's decoder does (numbers and bools become
// strings, tuples become lists, null means "not set"), and back into the
// cty values that `target.NAME.ATTR` references see.

// decodeError is a value that does not fit its attribute; the message is a
// full sentence for a diagnostic's detail.
type decodeError struct{ msg string }

func (e *decodeError) Error() string { return e.msg }

func decodeErrorf(format string, args ...any) error {
	return &decodeError{msg: fmt.Sprintf(format, args...)}
}

// decodeString converts v to a string; ok is false when v is null.
func decodeString(v cty.Value) (s string, ok bool, err error) {
	if v.IsNull() {
		return "", false, nil
	}
	c, cerr := convert.Convert(v, cty.String)
	if cerr != nil || !c.IsKnown() || c.IsNull() {
		return "", false, decodeErrorf("A string is required, but this is %s.", v.Type().FriendlyName())
	}
	return c.AsString(), true, nil
}

func decodeBool(v cty.Value) (*bool, error) {
	if v.IsNull() {
		return nil, nil
	}
	c, err := convert.Convert(v, cty.Bool)
	if err != nil || c.IsNull() || !c.IsKnown() {
		return nil, decodeErrorf("A bool is required, but this is %s.", describe(v))
	}
	b := c.True()
	return &b, nil
}

// decodeStringList converts v to a list of strings. An empty list is kept
// apart from null: it replaces an inherited list.
func decodeStringList(v cty.Value) ([]string, error) {
	if v.IsNull() {
		return nil, nil
	}
	c, err := convert.Convert(v, cty.List(cty.String))
	if err != nil || !c.IsKnown() {
		return nil, decodeErrorf("A list of strings is required, but this is %s.", describe(v))
	}
	out := make([]string, 0, c.LengthInt())
	for it := c.ElementIterator(); it.Next(); {
		_, e := it.Element()
		if e.IsNull() {
			return nil, decodeErrorf("A list of strings is required, but element %d is null.", len(out))
		}
		out = append(out, e.AsString())
	}
	return out, nil
}

// decodeStringMap converts v to a map of strings; null elements are kept as
// nil when nullable, rejected otherwise.
func decodeStringMap(v cty.Value, nullable bool) (map[string]*string, error) {
	if v.IsNull() {
		return nil, nil
	}
	c, err := convert.Convert(v, cty.Map(cty.String))
	if err != nil || !c.IsKnown() {
		return nil, decodeErrorf("An object of strings is required, but this is %s.", describe(v))
	}
	out := make(map[string]*string, c.LengthInt())
	for it := c.ElementIterator(); it.Next(); {
		k, e := it.Element()
		if e.IsNull() {
			if !nullable {
				return nil, decodeErrorf("The value of %q is null; a string is required.", k.AsString())
			}
			out[k.AsString()] = nil
			continue
		}
		s := e.AsString()
		out[k.AsString()] = &s
	}
	return out, nil
}

// describe names the type of v for messages.
func describe(v cty.Value) string {
	t := v.Type()
	switch {
	case t == cty.String:
		return "a string"
	case t == cty.Number:
		return "a number"
	case t == cty.Bool:
		return "a bool"
	case t.IsTupleType() || t.IsListType() || t.IsSetType():
		return "a list"
	case t.IsObjectType() || t.IsMapType():
		return "an object"
	}
	return t.FriendlyName()
}

// entryItems returns the items of an entry-list attribute, skipping empty
// strings as bake does. Only lists and tuples are accepted, as in bake.
func entryItems(v cty.Value) ([]cty.Value, error) {
	t := v.Type()
	if !t.IsListType() && !t.IsTupleType() {
		return nil, decodeErrorf("A list of strings or objects is required, but this is %s. Write [%s].", describe(v), "...")
	}
	items := make([]cty.Value, 0, v.LengthInt())
	for it := v.ElementIterator(); it.Next(); {
		_, e := it.Element()
		if !e.IsKnown() || e.IsNull() || (e.Type() == cty.String && e.AsString() == "") {
			continue
		}
		items = append(items, e)
	}
	return items, nil
}

// entryMap converts an object item to a map of strings.
func entryMap(e cty.Value) (map[string]string, error) {
	c, err := convert.Convert(e, cty.Map(cty.String))
	if err != nil {
		return nil, decodeErrorf("Each item must be a string or an object of strings, but one is %s.", describe(e))
	}
	out := map[string]string{}
	for it := c.ElementIterator(); it.Next(); {
		k, v := it.Element()
		if v.IsNull() {
			continue
		}
		out[k.AsString()] = v.AsString()
	}
	return out, nil
}

func decodeExports(v cty.Value, dir string) ([]*exportEntry, error) {
	items, err := entryItems(v)
	if err != nil {
		return nil, err
	}
	out := make([]*exportEntry, 0, len(items))
	for _, it := range items {
		if it.Type() == cty.String {
			e, err := parseExport(it.AsString(), dir)
			if err != nil {
				return nil, decodeErrorf("Invalid output %q: %v.", it.AsString(), err)
			}
			out = append(out, e)
			continue
		}
		m, err := entryMap(it)
		if err != nil {
			return nil, err
		}
		e := &exportEntry{Type: m["type"], Dest: m["dest"], dir: dir}
		delete(m, "type")
		delete(m, "dest")
		e.Attrs = m
		if e.Type == "" {
			return nil, decodeErrorf("Each output needs a type, e.g. {type = \"local\", dest = \"out\"}.")
		}
		out = append(out, e)
	}
	return out, nil
}

func decodeCaches(v cty.Value, dir string) ([]*cacheEntry, error) {
	items, err := entryItems(v)
	if err != nil {
		return nil, err
	}
	out := make([]*cacheEntry, 0, len(items))
	for _, it := range items {
		if it.Type() == cty.String {
			es, err := parseCacheList(it.AsString(), dir)
			if err != nil {
				return nil, decodeErrorf("Invalid cache entry %q: %v.", it.AsString(), err)
			}
			out = append(out, es...)
			continue
		}
		m, err := entryMap(it)
		if err != nil {
			return nil, err
		}
		e := &cacheEntry{Type: m["type"], dir: dir}
		delete(m, "type")
		e.Attrs = m
		if e.Type == "" {
			return nil, decodeErrorf("Each cache entry needs a type, e.g. {type = \"registry\", ref = \"user/app:cache\"}.")
		}
		out = append(out, e)
	}
	return out, nil
}

func decodeSecrets(v cty.Value, dir string) ([]*secretEntry, error) {
	items, err := entryItems(v)
	if err != nil {
		return nil, err
	}
	out := make([]*secretEntry, 0, len(items))
	for _, it := range items {
		if it.Type() == cty.String {
			e, err := parseSecret(it.AsString(), dir)
			if err != nil {
				return nil, decodeErrorf("Invalid secret %q: %v.", it.AsString(), err)
			}
			out = append(out, e)
			continue
		}
		m, err := entryMap(it)
		if err != nil {
			return nil, err
		}
		for k := range m {
			if k != "id" && k != "src" && k != "env" {
				return nil, decodeErrorf("A secret object has the keys id, src and env; %q is not one of them.%s", k, didYouMean(k, []string{"id", "src", "env"}))
			}
		}
		out = append(out, &secretEntry{ID: m["id"], Src: m["src"], Env: m["env"], dir: dir})
	}
	return out, nil
}

func decodeSSH(v cty.Value, dir string) ([]*sshEntry, error) {
	items, err := entryItems(v)
	if err != nil {
		return nil, err
	}
	out := make([]*sshEntry, 0, len(items))
	for _, it := range items {
		if it.Type() == cty.String {
			out = append(out, parseSSH(it.AsString(), dir))
			continue
		}
		if !it.Type().IsObjectType() && !it.Type().IsMapType() {
			return nil, decodeErrorf("Each ssh item must be a string or an object {id, paths}, but one is %s.", describe(it))
		}
		e := &sshEntry{dir: dir}
		for k, av := range it.AsValueMap() {
			switch k {
			case "id":
				s, _, err := decodeString(av)
				if err != nil {
					return nil, decodeErrorf("The ssh id must be a string.")
				}
				e.ID = s
			case "paths":
				p, err := decodeStringList(av)
				if err != nil {
					return nil, decodeErrorf("The ssh paths must be a list of strings.")
				}
				e.Paths = p
			default:
				return nil, decodeErrorf("An ssh object has the keys id and paths; %q is not one of them.%s", k, didYouMean(k, []string{"id", "paths"}))
			}
		}
		out = append(out, e)
	}
	return out, nil
}

func decodeAttests(v cty.Value) ([]*attestEntry, error) {
	items, err := entryItems(v)
	if err != nil {
		return nil, err
	}
	out := make([]*attestEntry, 0, len(items))
	for _, it := range items {
		if it.Type() == cty.String {
			e, err := parseAttest(it.AsString())
			if err != nil {
				return nil, decodeErrorf("Invalid attestation %q: %v.", it.AsString(), err)
			}
			out = append(out, e)
			continue
		}
		m, err := entryMap(it)
		if err != nil {
			return nil, err
		}
		e := &attestEntry{Attrs: map[string]string{}}
		for k, s := range m {
			switch k {
			case "type":
				e.Type = s
			case "disabled":
				b, err := strconv.ParseBool(s)
				if err != nil {
					return nil, decodeErrorf("The attestation's disabled value %q is not a bool.", s)
				}
				e.Disabled = b
			default:
				e.Attrs[k] = s
			}
		}
		out = append(out, e)
	}
	return out, nil
}

// setTargetAttr decodes v into the attribute name of t. dir is the
// directory of the declaring file, kept with path-like values.
func setTargetAttr(t *bakeTarget, name string, v cty.Value, dir string) error {
	v, _ = v.UnmarkDeep()
	if !v.IsWhollyKnown() {
		return decodeErrorf("The value is not known.")
	}
	var err error
	str := func(dst **string) {
		var s string
		var ok bool
		s, ok, err = decodeString(v)
		if ok {
			*dst = &s
		}
	}
	switch name {
	case "description":
		var s string
		s, _, err = decodeString(v)
		t.Description = s
	case "inherits":
		t.Inherits, err = decodeStringList(v)
	case "annotations":
		t.Annotations, err = decodeStringList(v)
	case "attest":
		if !v.IsNull() {
			t.Attest, err = decodeAttests(v)
		}
	case "context":
		str(&t.Context)
		if t.Context != nil {
			t.contextDir = dir
		}
	case "contexts":
		var m map[string]*string
		m, err = decodeStringMap(v, false)
		if m != nil {
			t.Contexts = make(map[string]string, len(m))
			t.contextsDir = make(map[string]string, len(m))
			for k, s := range m {
				t.Contexts[k] = *s
				t.contextsDir[k] = dir
			}
		}
	case "dockerfile":
		str(&t.Dockerfile)
	case "dockerfile-inline":
		str(&t.DockerfileInline)
	case "args":
		t.Args, err = decodeStringMap(v, true)
	case "labels":
		t.Labels, err = decodeStringMap(v, true)
	case "tags":
		t.Tags, err = decodeStringList(v)
	case "cache-from":
		if !v.IsNull() {
			t.CacheFrom, err = decodeCaches(v, dir)
		}
	case "cache-to":
		if !v.IsNull() {
			t.CacheTo, err = decodeCaches(v, dir)
		}
	case "target":
		str(&t.Target)
	case "secret":
		if !v.IsNull() {
			t.Secrets, err = decodeSecrets(v, dir)
		}
	case "ssh":
		if !v.IsNull() {
			t.SSH, err = decodeSSH(v, dir)
		}
	case "platforms":
		t.Platforms, err = decodeStringList(v)
	case "output":
		if !v.IsNull() {
			t.Outputs, err = decodeExports(v, dir)
		}
	case "pull":
		t.Pull, err = decodeBool(v)
	case "no-cache":
		t.NoCache, err = decodeBool(v)
	case "network":
		str(&t.NetworkMode)
	case "no-cache-filter":
		t.NoCacheFilter, err = decodeStringList(v)
	case "shm-size":
		str(&t.ShmSize)
	case "ulimits":
		t.Ulimits, err = decodeStringList(v)
	case "call":
		str(&t.Call)
	case "entitlements":
		t.Entitlements, err = decodeStringList(v)
	case "extra-hosts":
		t.ExtraHosts, err = decodeStringMap(v, true)
	case "depends_on":
		t.DependsOn, err = decodeStringList(v)
	}
	return err
}

// refValue returns the value `target.NAME.ATTR` yields for attribute name
// of t: the block's own value after decoding, typed as bake types it. Unset
// list-of-entry attributes are empty lists, other unset attributes null.
func refValue(t *bakeTarget, name string) cty.Value {
	strVal := func(p *string) cty.Value {
		if p == nil {
			return cty.NullVal(cty.String)
		}
		return cty.StringVal(*p)
	}
	boolVal := func(p *bool) cty.Value {
		if p == nil {
			return cty.NullVal(cty.Bool)
		}
		return cty.BoolVal(*p)
	}
	switch name {
	case "name":
		return cty.StringVal(t.Name)
	case "description":
		return cty.StringVal(t.Description)
	case "inherits":
		return listVal(t.Inherits)
	case "annotations":
		return listVal(t.Annotations)
	case "attest":
		vals := make([]cty.Value, 0, len(t.Attest))
		for _, e := range t.Attest {
			m := stringMapVals(e.Attrs)
			m["type"] = cty.StringVal(e.Type)
			if e.Disabled {
				m["disabled"] = cty.StringVal("true")
			}
			vals = append(vals, cty.MapVal(m))
		}
		return listOf(vals, cty.Map(cty.String))
	case "context":
		return strVal(t.Context)
	case "contexts":
		if t.Contexts == nil {
			return cty.NullVal(cty.Map(cty.String))
		}
		m := make(map[string]*string, len(t.Contexts))
		for k, v := range t.Contexts {
			m[k] = &v
		}
		return nullableMapVal(m)
	case "dockerfile":
		return strVal(t.Dockerfile)
	case "dockerfile-inline":
		return strVal(t.DockerfileInline)
	case "args":
		return nullableMapVal(t.Args)
	case "labels":
		return nullableMapVal(t.Labels)
	case "tags":
		return listVal(t.Tags)
	case "cache-from", "cache-to":
		src := t.CacheFrom
		if name == "cache-to" {
			src = t.CacheTo
		}
		vals := make([]cty.Value, 0, len(src))
		for _, e := range src {
			m := stringMapVals(e.Attrs)
			m["type"] = cty.StringVal(e.Type)
			vals = append(vals, cty.MapVal(m))
		}
		return listOf(vals, cty.Map(cty.String))
	case "target":
		return strVal(t.Target)
	case "secret":
		vals := make([]cty.Value, 0, len(t.Secrets))
		for _, e := range t.Secrets {
			vals = append(vals, cty.ObjectVal(map[string]cty.Value{
				"id": cty.StringVal(e.ID), "src": cty.StringVal(e.Src), "env": cty.StringVal(e.Env),
			}))
		}
		return listOf(vals, cty.Object(map[string]cty.Type{"id": cty.String, "src": cty.String, "env": cty.String}))
	case "ssh":
		vals := make([]cty.Value, 0, len(t.SSH))
		for _, e := range t.SSH {
			paths := cty.ListValEmpty(cty.String)
			if len(e.Paths) > 0 {
				paths = listVal(e.Paths)
			}
			vals = append(vals, cty.ObjectVal(map[string]cty.Value{"id": cty.StringVal(e.ID), "paths": paths}))
		}
		return listOf(vals, cty.Object(map[string]cty.Type{"id": cty.String, "paths": cty.List(cty.String)}))
	case "platforms":
		return listVal(t.Platforms)
	case "output":
		vals := make([]cty.Value, 0, len(t.Outputs))
		for _, e := range t.Outputs {
			m := stringMapVals(e.Attrs)
			m["type"] = cty.StringVal(e.Type)
			m["dest"] = cty.StringVal(e.Dest)
			vals = append(vals, cty.MapVal(m))
		}
		return listOf(vals, cty.Map(cty.String))
	case "pull":
		return boolVal(t.Pull)
	case "no-cache":
		return boolVal(t.NoCache)
	case "network":
		return strVal(t.NetworkMode)
	case "no-cache-filter":
		return listVal(t.NoCacheFilter)
	case "shm-size":
		return strVal(t.ShmSize)
	case "ulimits":
		return listVal(t.Ulimits)
	case "call":
		return strVal(t.Call)
	case "entitlements":
		return listVal(t.Entitlements)
	case "extra-hosts":
		return nullableMapVal(t.ExtraHosts)
	case "depends_on":
		return listVal(t.DependsOn)
	}
	return cty.DynamicVal
}

func listVal(s []string) cty.Value {
	if s == nil {
		return cty.NullVal(cty.List(cty.String))
	}
	if len(s) == 0 {
		return cty.ListValEmpty(cty.String)
	}
	vals := make([]cty.Value, len(s))
	for i, v := range s {
		vals[i] = cty.StringVal(v)
	}
	return cty.ListVal(vals)
}

func listOf(vals []cty.Value, ety cty.Type) cty.Value {
	if len(vals) == 0 {
		return cty.ListValEmpty(ety)
	}
	return cty.ListVal(vals)
}

func stringMapVals(m map[string]string) map[string]cty.Value {
	out := make(map[string]cty.Value, len(m)+2)
	for k, v := range m {
		out[k] = cty.StringVal(v)
	}
	return out
}

func nullableMapVal(m map[string]*string) cty.Value {
	if m == nil {
		return cty.NullVal(cty.Map(cty.String))
	}
	if len(m) == 0 {
		return cty.MapValEmpty(cty.String)
	}
	out := make(map[string]cty.Value, len(m))
	for k, v := range m {
		if v == nil {
			out[k] = cty.NullVal(cty.String)
		} else {
			out[k] = cty.StringVal(*v)
		}
	}
	return cty.MapVal(out)
}
