package graph

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/orch-build/orch/internal/jsonschema"
)

// schemaFile is the JSON Schema of Document, kept in sync by the tests below.
const schemaFile = "../schema/plan.schema.json"

func loadSchema(t *testing.T) map[string]any {
	t.Helper()
	s, err := jsonschema.ReadFile(schemaFile)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSchemaMatchesDocument walks Document and the schema side by side:
// every struct is a closed object whose properties are exactly the JSON
// field names and whose required list is exactly the fields without
// omitempty, and every Go kind has the matching schema type. Adding a
// field to Document without describing it fails here.
func TestSchemaMatchesDocument(t *testing.T) {
	root := loadSchema(t)
	sc := &schemaChecker{root: root}
	sc.check(reflect.TypeFor[Document](), root, "#")
	for _, p := range sc.problems {
		t.Error(p)
	}
}

type schemaChecker struct {
	root     map[string]any
	problems []string
}

func (sc *schemaChecker) fail(path, format string, args ...any) {
	sc.problems = append(sc.problems, path+": "+fmt.Sprintf(format, args...))
}

func (sc *schemaChecker) check(t reflect.Type, s map[string]any, path string) {
	s, err := jsonschema.Resolve(sc.root, s)
	if err != nil {
		sc.fail(path, "%v", err)
		return
	}
	if s == nil {
		sc.fail(path, "no schema for Go type %s", t)
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		if s["type"] != "object" || s["additionalProperties"] != false {
			sc.fail(path, "%s needs a closed object schema (type object, additionalProperties false)", t)
		}
		props, _ := s["properties"].(map[string]any)
		var fields, required []string
		for i := range t.NumField() {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			name, opts, _ := strings.Cut(tag, ",")
			if name == "" || name == "-" {
				sc.fail(path, "field %s.%s has no JSON name", t, f.Name)
				continue
			}
			fields = append(fields, name)
			if !strings.Contains(opts, "omitempty") {
				required = append(required, name)
			}
			ps, _ := props[name].(map[string]any)
			sc.check(f.Type, ps, path+"/"+name)
		}
		var schemaProps []string
		for name := range props {
			schemaProps = append(schemaProps, name)
		}
		var schemaRequired []string
		for _, r := range s["required"].([]any) {
			schemaRequired = append(schemaRequired, r.(string))
		}
		for _, l := range [][]string{fields, required, schemaProps, schemaRequired} {
			sort.Strings(l)
		}
		if diff := cmp.Diff(fields, schemaProps); diff != "" {
			sc.fail(path, "properties differ from %s's fields (-go +schema):\n%s", t, diff)
		}
		if diff := cmp.Diff(required, schemaRequired); diff != "" {
			sc.fail(path, "required differs from %s's fields without omitempty (-go +schema):\n%s", t, diff)
		}
	case reflect.Slice:
		if s["type"] != "array" {
			sc.fail(path, "%s needs type array", t)
		}
		items, _ := s["items"].(map[string]any)
		sc.check(t.Elem(), items, path+"/items")
	case reflect.Map:
		if s["type"] != "object" || t.Key().Kind() != reflect.String {
			sc.fail(path, "%s needs type object", t)
		}
		ap, _ := s["additionalProperties"].(map[string]any)
		sc.check(t.Elem(), ap, path+"/additionalProperties")
	case reflect.String:
		sc.scalar(s, path, t, "string")
	case reflect.Int:
		sc.scalar(s, path, t, "integer")
	case reflect.Bool:
		sc.scalar(s, path, t, "boolean")
	default:
		sc.fail(path, "no rule for Go kind %s", t.Kind())
	}
}

// scalar accepts a schema with the given type, or a const or enum whose
// values all have that type.
func (sc *schemaChecker) scalar(s map[string]any, path string, t reflect.Type, typ string) {
	if s["type"] == typ {
		return
	}
	values, ok := s["enum"].([]any)
	if c, isConst := s["const"]; isConst {
		values, ok = []any{c}, true
	}
	if !ok {
		sc.fail(path, "%s needs type %s, a const or an enum", t, typ)
		return
	}
	for _, v := range values {
		if jsonType(v) != typ {
			sc.fail(path, "%s: value %v is not of type %s", t, v, typ)
		}
	}
}

// jsonType names the JSON Schema type of a decoded value.
func jsonType(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case float64:
		if v == float64(int64(v)) {
			return "integer"
		}
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "unknown"
}

// validate checks a decoded document against the schema.
func validate(t *testing.T, root map[string]any, doc any) []string {
	t.Helper()
	errs, err := jsonschema.ValidateValue(root, doc)
	if err != nil {
		t.Fatal(err)
	}
	return errs
}

// TestDocumentValidates checks real documents against the schema: the
// golden fixture's and those of random plans.
func TestDocumentValidates(t *testing.T) {
	root := loadSchema(t)
	check := func(t *testing.T, p *Plan) {
		var buf strings.Builder
		if err := p.WriteJSON(&buf); err != nil {
			t.Fatal(err)
		}
		var v any
		if err := json.Unmarshal([]byte(buf.String()), &v); err != nil {
			t.Fatal(err)
		}
		for _, e := range validate(t, root, v) {
			t.Error(e)
		}
	}
	t.Run("fixture", func(t *testing.T) { check(t, mustPlan(t, fixture(), "default")) })
	t.Run("random", func(t *testing.T) {
		check(t, mustPlan(t, randomConfig(rand.New(rand.NewPCG(7, 7)), 50, 3), "all"))
	})
}

// TestValidatorRejects makes sure the validator above can fail, so that
// TestDocumentValidates means something.
func TestValidatorRejects(t *testing.T) {
	root := loadSchema(t)
	bad := map[string]any{
		"version": float64(2),
		"targets": []any{map[string]any{
			"name": "a", "level": float64(-1), "exported": "yes", "platforms": []any{},
			"dependencies": []any{map[string]any{"target": "b", "kind": "both"}},
			"outputs":      []any{}, "reasons": []any{}, "extra": true,
		}},
		"levels": []any{},
	}
	want := []string{ // sorted
		"$.targets[0].dependencies[0].kind: both is not one of [data order]",
		"$.targets[0].exported: got string, want boolean",
		"$.targets[0].level: -1 is below the minimum 0",
		"$.targets[0]: property \"extra\" is not allowed",
		"$.version: got 2, want the constant 1",
		"$: missing required property \"critical_path\"",
	}
	got := validate(t, root, bad)
	sort.Strings(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("violations (-want +got):\n%s", diff)
	}
}
