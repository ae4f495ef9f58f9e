package runner

import (
	"encoding/json"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/orch-build/orch/internal/jsonschema"
)

// The run report's schema lives with the file format's schema; this
// package's tests keep it in sync with the Go types that write reports.
var schemaPath = filepath.Join("..", "schema", "report.schema.json")

func loadSchema(t *testing.T) map[string]any {
	t.Helper()
	s, err := jsonschema.ReadFile(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	return s
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

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// TestValidatorRejects proves the validator can fail: each broken document
// must give exactly the expected problem.
func TestValidatorRejects(t *testing.T) {
	schema := loadSchema(t)
	for _, tc := range []struct {
		name   string
		mutate func(doc map[string]any)
		want   string
	}{
		{"missing field", func(d map[string]any) { delete(d, "jobs") }, `$: missing required property "jobs"`},
		{"extra field", func(d map[string]any) { d["colour"] = "red" }, `$: property "colour" is not allowed`},
		{"wrong version", func(d map[string]any) { d["version"] = 2.0 }, "$.version: got 2, want the constant 1"},
		{"bad status", func(d map[string]any) { target(d, 0)["status"] = "exploded" }, "$.targets[0].status: exploded is not one of [built cached failed skipped cancelled]"},
		{"wrong type", func(d map[string]any) { d["jobs"] = "many" }, "$.jobs: got string, want integer"},
		{"fraction", func(d map[string]any) { d["jobs"] = 1.5 }, "$.jobs: got number, want integer"},
		{"negative", func(d map[string]any) { d["retries"] = -1.0 }, "$.retries: -1 is below the minimum 0"},
		{"bad time", func(d map[string]any) { d["started"] = "yesterday" }, `$.started: "yesterday" is not a date-time`},
		{"nested extra", func(d map[string]any) { target(d, 2)["error"].(map[string]any)["hint"] = "x" }, `$.targets[2].error: property "hint" is not allowed`},
		{"attempt item", func(d map[string]any) {
			delete(target(d, 1)["attempts"].([]any)[1].(map[string]any), "number")
		}, `$.targets[1].attempts[1]: missing required property "number"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			if err := sampleReport().WriteJSON(&b); err != nil {
				t.Fatal(err)
			}
			var doc map[string]any
			if err := json.Unmarshal([]byte(b.String()), &doc); err != nil {
				t.Fatal(err)
			}
			tc.mutate(doc)
			got := validate(t, schema, doc)
			if diff := cmp.Diff([]string{tc.want}, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

func target(doc map[string]any, i int) map[string]any {
	return doc["targets"].([]any)[i].(map[string]any)
}

// TestSchemaInSync walks the Go types that WriteJSON encodes and the
// schema side by side: every field must be a property of the right type,
// a field without omitempty must be required and the other way round, and
// objects must refuse unknown properties. Adding, removing or renaming a
// field on either side fails here.
func TestSchemaInSync(t *testing.T) {
	root := loadSchema(t)
	checkSync(t, root, root, reflect.TypeFor[reportJSON](), "$")

	// Values the types cannot express.
	if got := root["properties"].(map[string]any)["version"].(map[string]any)["const"]; got != float64(ReportVersion) {
		t.Errorf("schema version const = %v, ReportVersion = %d", got, ReportVersion)
	}
	var runStatuses []any
	for _, r := range []*Report{
		{Outcomes: []Outcome{{Status: StatusBuilt}}},
		{Outcomes: []Outcome{{Status: StatusFailed}}},
		{Interrupted: true},
	} {
		runStatuses = append(runStatuses, r.Status())
	}
	if diff := cmp.Diff(runStatuses, root["properties"].(map[string]any)["status"].(map[string]any)["enum"]); diff != "" {
		t.Errorf("run status enum (-Go +schema):\n%s", diff)
	}
}

var (
	timeType   = reflect.TypeFor[time.Time]()
	statusType = reflect.TypeFor[Status]()
	phaseType  = reflect.TypeFor[Phase]()
)

func checkSync(t *testing.T, root, s map[string]any, typ reflect.Type, path string) {
	t.Helper()
	s, err := jsonschema.Resolve(root, s)
	if err != nil {
		t.Errorf("%s: %v", path, err)
		return
	}
	wantType := func(want string) {
		if got, _ := s["type"].(string); got != want {
			t.Errorf("%s: schema type %q, Go type %s wants %q", path, got, typ, want)
		}
	}
	switch {
	case typ == timeType:
		wantType("string")
		if s["format"] != "date-time" {
			t.Errorf("%s: time field without format date-time", path)
		}
	case typ == statusType:
		checkEnum(t, path, "status", Statuses, s["enum"])
	case typ == phaseType:
		checkEnum(t, path, "phase", Phases, s["enum"])
	case typ.Kind() == reflect.Pointer:
		checkSync(t, root, s, typ.Elem(), path)
	case typ.Kind() == reflect.Slice:
		wantType("array")
		items, _ := s["items"].(map[string]any)
		checkSync(t, root, items, typ.Elem(), path+"[]")
	case typ.Kind() == reflect.Struct:
		wantType("object")
		if s["additionalProperties"] != false {
			t.Errorf("%s: object schema must set additionalProperties to false", path)
		}
		props, _ := s["properties"].(map[string]any)
		var goFields, goRequired []string
		for f := range typ.Fields() {
			name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
			goFields = append(goFields, name)
			if opts != "omitempty" {
				goRequired = append(goRequired, name)
			}
			sub, ok := props[name].(map[string]any)
			if !ok {
				continue // reported by the comparison below
			}
			checkSync(t, root, sub, f.Type, path+"."+name)
		}
		var schemaRequired []string
		for _, r := range s["required"].([]any) {
			schemaRequired = append(schemaRequired, r.(string))
		}
		sort.Strings(goFields)
		sort.Strings(goRequired)
		sort.Strings(schemaRequired)
		if diff := cmp.Diff(goFields, sortedKeys(props)); diff != "" {
			t.Errorf("%s: properties (-Go +schema):\n%s", path, diff)
		}
		if diff := cmp.Diff(goRequired, schemaRequired); diff != "" {
			t.Errorf("%s: required (-Go +schema):\n%s", path, diff)
		}
	case typ.Kind() == reflect.String:
		if _, isConst := s["const"]; !isConst && s["enum"] == nil {
			wantType("string")
		}
	case typ.Kind() == reflect.Int:
		if _, isConst := s["const"]; !isConst {
			wantType("integer")
		}
	case typ.Kind() == reflect.Float64:
		wantType("number")
	case typ.Kind() == reflect.Bool:
		wantType("boolean")
	default:
		t.Errorf("%s: Go type %s has no schema mapping in this test", path, typ)
	}
}

// checkEnum compares the Go values of a string type with a schema enum.
func checkEnum[S ~string](t *testing.T, path, what string, values []S, enum any) {
	t.Helper()
	var want []any
	for _, v := range values {
		want = append(want, string(v))
	}
	if diff := cmp.Diff(want, enum); diff != "" {
		t.Errorf("%s: %s enum (-Go +schema):\n%s", path, what, diff)
	}
}
