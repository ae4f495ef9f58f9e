package runner

import (
	"encoding/json"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/orch-build/orch/internal/schematest"
)

// The run report's schema lives with the file format's schema; this
// package's tests keep it in sync with the Go types that write reports.
var schemaPath = filepath.Join("..", "schema", "report.schema.json")

func loadSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	s, err := schematest.Compile(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// validate checks a decoded document against the schema and returns its
// violations as "PATH KEYWORD: message" ("" is the whole document).
func validate(t *testing.T, root *jsonschema.Schema, doc any) []string {
	t.Helper()
	var out []string
	for _, p := range schematest.Check(root, doc) {
		out = append(out, p.Path+" "+p.Keyword+": "+p.Message)
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// TestValidatorRejects proves the validation can fail: each broken
// document must give exactly the expected problem, by path and keyword.
func TestValidatorRejects(t *testing.T) {
	schema := loadSchema(t)
	for _, tc := range []struct {
		name   string
		mutate func(doc map[string]any)
		want   string // "PATH KEYWORD"
		names  string // a word the message must contain
	}{
		{"missing field", func(d map[string]any) { delete(d, "jobs") }, " required", "jobs"},
		{"extra field", func(d map[string]any) { d["colour"] = "red" }, " additionalProperties", "colour"},
		{"wrong version", func(d map[string]any) { d["version"] = 2.0 }, "/version const", "1"},
		{"bad status", func(d map[string]any) { target(d, 0)["status"] = "exploded" }, "/targets/0/status enum", "cancelled"},
		{"wrong type", func(d map[string]any) { d["jobs"] = "many" }, "/jobs type", "integer"},
		{"fraction", func(d map[string]any) { d["jobs"] = 1.5 }, "/jobs type", "integer"},
		{"negative", func(d map[string]any) { d["retries"] = -1.0 }, "/retries minimum", "0"},
		{"bad time", func(d map[string]any) { d["started"] = "yesterday" }, "/started format", "date-time"},
		{"nested extra", func(d map[string]any) { target(d, 2)["error"].(map[string]any)["hint"] = "x" }, "/targets/2/error additionalProperties", "hint"},
		{"attempt item", func(d map[string]any) {
			delete(target(d, 1)["attempts"].([]any)[1].(map[string]any), "number")
		}, "/targets/1/attempts/1 required", "number"},
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
			problems := schematest.Check(schema, doc)
			var got []string
			for _, p := range problems {
				got = append(got, p.Path+" "+p.Keyword)
			}
			if diff := cmp.Diff([]string{tc.want}, got); diff != "" {
				t.Fatalf("problems (-want +got):\n%s\n%q", diff, problems)
			}
			if !strings.Contains(problems[0].Message, tc.names) {
				t.Errorf("message %q does not name %q", problems[0].Message, tc.names)
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
	checkSync(t, root, reflect.TypeFor[reportJSON](), "$")

	// Values the types cannot express.
	var version any
	if c := root.Properties["version"].Const; c != nil {
		version = *c
	}
	if version != json.Number(strconv.Itoa(ReportVersion)) {
		t.Errorf("schema version const = %v, ReportVersion = %d", version, ReportVersion)
	}
	var runStatuses []any
	for _, r := range []*Report{
		{Outcomes: []Outcome{{Status: StatusBuilt}}},
		{Outcomes: []Outcome{{Status: StatusFailed}}},
		{Interrupted: true},
	} {
		runStatuses = append(runStatuses, r.Status())
	}
	if diff := cmp.Diff(runStatuses, enum(root.Properties["status"])); diff != "" {
		t.Errorf("run status enum (-Go +schema):\n%s", diff)
	}
}

var (
	timeType   = reflect.TypeFor[time.Time]()
	statusType = reflect.TypeFor[Status]()
	phaseType  = reflect.TypeFor[Phase]()
)

// enum returns the values of s's enum, nil when it has none.
func enum(s *jsonschema.Schema) []any {
	if s == nil || s.Enum == nil {
		return nil
	}
	return s.Enum.Values
}

func checkSync(t *testing.T, s *jsonschema.Schema, typ reflect.Type, path string) {
	t.Helper()
	s = schematest.Deref(s)
	if s == nil {
		t.Errorf("%s: no schema for Go type %s", path, typ)
		return
	}
	wantType := func(want string) {
		var got []string
		if s.Types != nil {
			got = s.Types.ToStrings()
		}
		if !slices.Equal(got, []string{want}) {
			t.Errorf("%s: schema type %q, Go type %s wants %q", path, got, typ, want)
		}
	}
	switch {
	case typ == timeType:
		wantType("string")
		if s.Format == nil || s.Format.Name != "date-time" {
			t.Errorf("%s: time field without format date-time", path)
		}
	case typ == statusType:
		checkEnum(t, path, "status", Statuses, enum(s))
	case typ == phaseType:
		checkEnum(t, path, "phase", Phases, enum(s))
	case typ.Kind() == reflect.Pointer:
		checkSync(t, s, typ.Elem(), path)
	case typ.Kind() == reflect.Slice:
		wantType("array")
		checkSync(t, s.Items2020, typ.Elem(), path+"[]")
	case typ.Kind() == reflect.Struct:
		wantType("object")
		if s.AdditionalProperties != false {
			t.Errorf("%s: object schema must set additionalProperties to false", path)
		}
		var goFields, goRequired []string
		for f := range typ.Fields() {
			name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
			goFields = append(goFields, name)
			if opts != "omitempty" {
				goRequired = append(goRequired, name)
			}
			sub, ok := s.Properties[name]
			if !ok {
				continue // reported by the comparison below
			}
			checkSync(t, sub, f.Type, path+"."+name)
		}
		schemaRequired := slices.Clone(s.Required)
		sort.Strings(goFields)
		sort.Strings(goRequired)
		sort.Strings(schemaRequired)
		if diff := cmp.Diff(goFields, sortedKeys(s.Properties)); diff != "" {
			t.Errorf("%s: properties (-Go +schema):\n%s", path, diff)
		}
		if diff := cmp.Diff(goRequired, schemaRequired, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%s: required (-Go +schema):\n%s", path, diff)
		}
	case typ.Kind() == reflect.String:
		if s.Const == nil && s.Enum == nil {
			wantType("string")
		}
	case typ.Kind() == reflect.Int:
		if s.Const == nil {
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
