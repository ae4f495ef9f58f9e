package graph

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/orch-build/orch/internal/schematest"
)

// schemaFile is the JSON Schema of Document, kept in sync by the tests below.
const schemaFile = "../schema/plan.schema.json"

func loadSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	s, err := schematest.Compile(schemaFile)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSchemaMatchesDocument walks Document and the compiled schema side
// by side: every struct is a closed object whose properties are exactly
// the JSON field names and whose required list is exactly the fields
// without omitempty, and every Go kind has the matching schema type.
// Adding a field to Document without describing it fails here.
func TestSchemaMatchesDocument(t *testing.T) {
	sc := &schemaChecker{}
	sc.check(reflect.TypeFor[Document](), loadSchema(t), "#")
	for _, p := range sc.problems {
		t.Error(p)
	}
}

type schemaChecker struct {
	problems []string
}

func (sc *schemaChecker) fail(path, format string, args ...any) {
	sc.problems = append(sc.problems, path+": "+fmt.Sprintf(format, args...))
}

// types returns the types s allows, sorted; none for a schema without
// "type".
func types(s *jsonschema.Schema) []string {
	if s.Types == nil {
		return nil
	}
	return s.Types.ToStrings()
}

func (sc *schemaChecker) check(t reflect.Type, s *jsonschema.Schema, path string) {
	s = schematest.Deref(s)
	if s == nil {
		sc.fail(path, "no schema for Go type %s", t)
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		if !slices.Equal(types(s), []string{"object"}) || s.AdditionalProperties != false {
			sc.fail(path, "%s needs a closed object schema (type object, additionalProperties false)", t)
		}
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
			sc.check(f.Type, s.Properties[name], path+"/"+name)
		}
		var schemaProps []string
		for name := range s.Properties {
			schemaProps = append(schemaProps, name)
		}
		schemaRequired := slices.Clone(s.Required)
		for _, l := range [][]string{fields, required, schemaProps, schemaRequired} {
			sort.Strings(l)
		}
		if diff := cmp.Diff(fields, schemaProps); diff != "" {
			sc.fail(path, "properties differ from %s's fields (-go +schema):\n%s", t, diff)
		}
		if diff := cmp.Diff(required, schemaRequired, cmpopts.EquateEmpty()); diff != "" {
			sc.fail(path, "required differs from %s's fields without omitempty (-go +schema):\n%s", t, diff)
		}
	case reflect.Pointer:
		// An optional object: omitempty leaves it out when nil.
		sc.check(t.Elem(), s, path)
	case reflect.Slice:
		if !slices.Equal(types(s), []string{"array"}) {
			sc.fail(path, "%s needs type array", t)
		}
		sc.check(t.Elem(), s.Items2020, path+"/items")
	case reflect.Map:
		if !slices.Equal(types(s), []string{"object"}) || t.Key().Kind() != reflect.String {
			sc.fail(path, "%s needs type object", t)
		}
		ap, _ := s.AdditionalProperties.(*jsonschema.Schema)
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
func (sc *schemaChecker) scalar(s *jsonschema.Schema, path string, t reflect.Type, typ string) {
	if slices.Equal(types(s), []string{typ}) {
		return
	}
	var values []any
	switch {
	case s.Const != nil:
		values = []any{*s.Const}
	case s.Enum != nil:
		values = s.Enum.Values
	default:
		sc.fail(path, "%s needs type %s, a const or an enum", t, typ)
		return
	}
	for _, v := range values {
		if jsonType(v) != typ {
			sc.fail(path, "%s: value %v is not of type %s", t, v, typ)
		}
	}
}

// jsonType names the JSON Schema type of a value of a compiled schema,
// whose numbers are json.Numbers.
func jsonType(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case json.Number:
		if _, err := v.Int64(); err == nil {
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
func validate(root *jsonschema.Schema, doc any) []schematest.Problem {
	return schematest.Check(root, doc)
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
		for _, p := range validate(root, v) {
			t.Error(p)
		}
	}
	t.Run("fixture", func(t *testing.T) { check(t, mustPlan(t, fixture(), "default")) })
	t.Run("random", func(t *testing.T) {
		check(t, mustPlan(t, randomConfig(rand.New(rand.NewPCG(7, 7)), 50, 3), "all"))
	})
}

// TestValidatorRejects makes sure the validation above can fail, so that
// TestDocumentValidates means something: a document breaking the schema in
// six places gives those six violations.
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
	want := []string{ // sorted by path; "" is the whole document
		" required",
		"/targets/0 additionalProperties",
		"/targets/0/dependencies/0/kind enum",
		"/targets/0/exported type",
		"/targets/0/level minimum",
		"/version const",
	}
	var got []string
	for _, p := range validate(root, bad) {
		got = append(got, p.Path+" "+p.Keyword)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("violations (-want +got):\n%s", diff)
	}
}
