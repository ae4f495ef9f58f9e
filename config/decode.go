package config

import (
	"fmt"

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
// apart from null: it replaces an inherited list. Lists, sets and tuples
// are read element by element: cty's own conversion of a tuple to a list
// unifies the types of all its elements, which for a group naming
// thousands of targets cost more than the rest of loading together.
func decodeStringList(v cty.Value) ([]string, error) {
	if v.IsNull() {
		return nil, nil
	}
	t := v.Type()
	if !v.IsKnown() || !(t.IsTupleType() || t.IsListType() || t.IsSetType()) {
		return nil, decodeErrorf("A list of strings is required, but this is %s.", describe(v))
	}
	out := make([]string, 0, v.LengthInt())
	for it := v.ElementIterator(); it.Next(); {
		_, e := it.Element()
		if e.IsNull() {
			return nil, decodeErrorf("A list of strings is required, but element %d is null.", len(out))
		}
		if e.Type() != cty.String {
			c, err := convert.Convert(e, cty.String)
			if err != nil || !c.IsKnown() {
				return nil, decodeErrorf("A list of strings is required, but this is %s.", describe(v))
			}
			e = c
		}
		if !e.IsKnown() {
			return nil, decodeErrorf("A list of strings is required, but this is %s.", describe(v))
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
