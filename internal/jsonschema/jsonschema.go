// Package jsonschema validates JSON documents against the subset of JSON
// Schema that orch's own schemas (schema/*.schema.json) use, so tests can
// check every document orch writes against the schema it publishes. It is
// deliberately small: a schema that uses a keyword outside the subset is
// reported as a problem rather than silently half-checked.
package jsonschema

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"reflect"
	"slices"
	"sort"
	"strings"
	"time"
)

// keywords is the supported subset.
var keywords = map[string]bool{
	"$schema": true, "$id": true, "title": true, "description": true, "$defs": true, "$ref": true,
	"type": true, "properties": true, "required": true, "additionalProperties": true,
	"items": true, "enum": true, "const": true, "minimum": true, "format": true,
}

// Validate checks doc against schema and returns every violation, each
// prefixed with its JSON path ("$.targets[0].status: ..."). The error is
// for input that is not JSON at all.
func Validate(schema, doc []byte) ([]string, error) {
	var root map[string]any
	if err := json.Unmarshal(schema, &root); err != nil {
		return nil, fmt.Errorf("schema: %w", err)
	}
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		return nil, fmt.Errorf("document: %w", err)
	}
	return validate(root, root, v, "$"), nil
}

// ReadFile reads and decodes a schema file, for checks that walk the
// schema itself.
func ReadFile(path string) (map[string]any, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var s map[string]any
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// ValidateValue is Validate for a schema and a document already decoded,
// or built, as Go values; they go through encoding/json first.
func ValidateValue(schema map[string]any, doc any) ([]string, error) {
	s, err := json.Marshal(schema)
	if err != nil {
		return nil, fmt.Errorf("schema: %w", err)
	}
	d, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("document: %w", err)
	}
	return Validate(s, d)
}

// Resolve follows a local "$ref" ("#/$defs/name") of schema s within root;
// a schema without "$ref" is returned as it is.
func Resolve(root, s map[string]any) (map[string]any, error) {
	ref, ok := s["$ref"].(string)
	if !ok {
		return s, nil
	}
	name, ok := strings.CutPrefix(ref, "#/$defs/")
	defs, _ := root["$defs"].(map[string]any)
	target, found := defs[name].(map[string]any)
	if !ok || !found {
		return nil, fmt.Errorf("unresolvable $ref %q", ref)
	}
	return target, nil
}

func validate(root, s map[string]any, doc any, path string) []string {
	s, err := Resolve(root, s)
	if err != nil {
		return []string{path + ": " + err.Error()}
	}
	var errs []string
	fail := func(format string, args ...any) { errs = append(errs, path+": "+fmt.Sprintf(format, args...)) }
	for _, k := range sortedKeys(s) {
		if !keywords[k] {
			fail("schema uses unsupported keyword %q", k)
		}
	}
	if typ, ok := s["type"].(string); ok && !hasType(doc, typ) {
		fail("got %s, want %s", typeOf(doc), typ)
		return errs
	}
	if c, ok := s["const"]; ok && !reflect.DeepEqual(c, doc) {
		fail("got %v, want the constant %v", doc, c)
	}
	if enum, ok := s["enum"].([]any); ok && !slices.ContainsFunc(enum, func(e any) bool { return reflect.DeepEqual(e, doc) }) {
		fail("%v is not one of %v", doc, enum)
	}
	if minimum, ok := s["minimum"].(float64); ok {
		if n, isNum := doc.(float64); isNum && n < minimum {
			fail("%v is below the minimum %v", n, minimum)
		}
	}
	if s["format"] == "date-time" {
		if str, ok := doc.(string); ok {
			if _, err := time.Parse(time.RFC3339Nano, str); err != nil {
				fail("%q is not a date-time", str)
			}
		}
	}
	switch doc := doc.(type) {
	case map[string]any:
		props, _ := s["properties"].(map[string]any)
		if req, ok := s["required"].([]any); ok {
			for _, r := range req {
				if _, present := doc[r.(string)]; !present {
					fail("missing required property %q", r)
				}
			}
		}
		for _, k := range sortedKeys(doc) {
			if sub, ok := props[k].(map[string]any); ok {
				errs = append(errs, validate(root, sub, doc[k], path+"."+k)...)
				continue
			}
			switch ap := s["additionalProperties"].(type) {
			case bool:
				if !ap {
					fail("property %q is not allowed", k)
				}
			case map[string]any:
				errs = append(errs, validate(root, ap, doc[k], path+"."+k)...)
			}
		}
	case []any:
		if items, ok := s["items"].(map[string]any); ok {
			for i, v := range doc {
				errs = append(errs, validate(root, items, v, fmt.Sprintf("%s[%d]", path, i))...)
			}
		}
	}
	return errs
}

func hasType(v any, typ string) bool {
	switch typ {
	case "integer":
		n, ok := v.(float64)
		return ok && n == math.Trunc(n)
	case "number":
		_, ok := v.(float64)
		return ok
	default:
		return typeOf(v) == typ
	}
}

// typeOf names the JSON type of a value decoded by encoding/json.
func typeOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case float64:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	default:
		return fmt.Sprintf("%T", v)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
