package config

import (
	"fmt"
	"math"
	"math/big"
	"strconv"

	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/tonistiigi/go-csvvalue"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// convertValue converts v to ty; a dynamic ty accepts anything.
func convertValue(v cty.Value, ty cty.Type) (cty.Value, error) {
	if ty.Equals(cty.DynamicPseudoType) {
		return v, nil
	}
	return convert.Convert(v, ty)
}

// jsonValue renders a value as JSON for Variable.Value.
func jsonValue(v cty.Value) string {
	v, _ = v.UnmarkDeep()
	if v.IsNull() {
		return "null"
	}
	if !v.IsWhollyKnown() {
		return "null"
	}
	b, err := ctyjson.Marshal(v, v.Type())
	if err != nil {
		return "null"
	}
	return string(b)
}

// parseOverride turns the text of a --var or environment override into a
// value the way bake does: JSON for NAME_JSON of a typed variable, CSV for
// list, set, tuple and map types ("k:v" pairs for maps), plain parsing for
// primitive types; untyped variables take the type of their default when it
// is a primitive, and are strings otherwise.
func parseOverride(name, raw string, isJSON, typed bool, ty cty.Type, noDefault bool, def cty.Value) (cty.Value, error) {
	switch {
	case typed && isJSON:
		v, err := ctyjson.Unmarshal([]byte(raw), ty)
		if err != nil {
			return cty.NilVal, fmt.Errorf("parse %s as JSON of type %s: %w", name+"_JSON", typeexpr.TypeString(ty), err)
		}
		return v, nil
	case ty.IsListType() || ty.IsSetType() || ty.IsTupleType() || ty.IsMapType():
		return valueFromCSV(name, raw, ty)
	case typed && ty.IsPrimitiveType():
		return convertPrimitive(name, raw, ty)
	case typed:
		return cty.NilVal, fmt.Errorf("type %s cannot be given as text; set %s_JSON to a JSON value instead", typeexpr.TypeString(ty), name)
	case noDefault, def.Type().Equals(cty.DynamicPseudoType):
		return cty.StringVal(raw), nil
	case def.Type().IsPrimitiveType():
		return convertPrimitive(name, raw, def.Type())
	default:
		return cty.NilVal, fmt.Errorf("the default is %s, which cannot be given as text; declare a type and set %s_JSON to a JSON value", describe(def), name)
	}
}

// convertPrimitive parses one primitive value.
func convertPrimitive(name, raw string, ty cty.Type) (cty.Value, error) {
	switch {
	case ty.Equals(cty.String):
		return cty.StringVal(raw), nil
	case ty.Equals(cty.Bool):
		b, err := strconv.ParseBool(raw)
		if err != nil {
			return cty.NilVal, fmt.Errorf("parse %q as bool", raw)
		}
		return cty.BoolVal(b), nil
	case ty.Equals(cty.Number):
		n, err := strconv.ParseFloat(raw, 64)
		if err != nil || math.IsNaN(n) || math.IsInf(n, 0) {
			return cty.NilVal, fmt.Errorf("parse %q as number", raw)
		}
		return cty.NumberVal(big.NewFloat(n)), nil
	}
	return cty.NilVal, fmt.Errorf("%s of type %s is not a primitive", name, typeexpr.TypeString(ty))
}

// valueFromCSV parses a CSV override into a list, set, tuple or map.
func valueFromCSV(name, raw string, ty cty.Type) (cty.Value, error) {
	fields, err := csvvalue.Fields(raw, nil)
	if err != nil {
		return cty.NilVal, fmt.Errorf("parse %q as CSV: %w", raw, err)
	}
	elems := func(ety cty.Type) ([]cty.Value, error) {
		if !ety.IsPrimitiveType() {
			return nil, fmt.Errorf("type %s cannot be given as CSV; set %s_JSON to a JSON value instead", typeexpr.TypeString(ty), name)
		}
		var out []cty.Value
		for _, f := range fields {
			v, err := convertPrimitive(name, f, ety)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	}
	switch {
	case ty.IsListType():
		vals, err := elems(ty.ElementType())
		if err != nil {
			return cty.NilVal, err
		}
		if len(vals) == 0 {
			return cty.ListValEmpty(ty.ElementType()), nil
		}
		return cty.ListVal(vals), nil
	case ty.IsSetType():
		vals, err := elems(ty.ElementType())
		if err != nil {
			return cty.NilVal, err
		}
		if len(vals) == 0 {
			return cty.SetValEmpty(ty.ElementType()), nil
		}
		return cty.SetVal(vals), nil
	case ty.IsTupleType():
		types := ty.TupleElementTypes()
		if len(types) != len(fields) {
			return cty.NilVal, fmt.Errorf("%s expects %d elements but %d were given", typeexpr.TypeString(ty), len(types), len(fields))
		}
		vals := make([]cty.Value, len(fields))
		for i, f := range fields {
			if !types[i].IsPrimitiveType() {
				return cty.NilVal, fmt.Errorf("type %s cannot be given as CSV; set %s_JSON to a JSON value instead", typeexpr.TypeString(ty), name)
			}
			v, err := convertPrimitive(name, f, types[i])
			if err != nil {
				return cty.NilVal, err
			}
			vals[i] = v
		}
		return cty.TupleVal(vals), nil
	case ty.IsMapType():
		ety := ty.ElementType()
		if !ety.IsPrimitiveType() {
			return cty.NilVal, fmt.Errorf("type %s cannot be given as CSV; set %s_JSON to a JSON value instead", typeexpr.TypeString(ty), name)
		}
		p := csvvalue.Parser{Comma: ':'}
		m := map[string]cty.Value{}
		for _, f := range fields {
			kv, err := p.Fields(f, nil)
			if err != nil {
				return cty.NilVal, fmt.Errorf("parse %q as key:value: %w", f, err)
			}
			if len(kv) != 2 {
				return cty.NilVal, fmt.Errorf("expected one key:value pair but got %d pieces from %q", len(kv), f)
			}
			v, err := convertPrimitive(name, kv[1], ety)
			if err != nil {
				return cty.NilVal, err
			}
			m[kv[0]] = v
		}
		if len(m) == 0 {
			return cty.MapValEmpty(ety), nil
		}
		return cty.MapVal(m), nil
	}
	return cty.NilVal, fmt.Errorf("type %s cannot be given as CSV", typeexpr.TypeString(ty))
}
