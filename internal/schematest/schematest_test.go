package schematest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const testSchema = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$defs": {"status": {"type": "string", "enum": ["built", "failed"]}},
  "type": "object",
  "required": ["version", "targets"],
  "additionalProperties": false,
  "properties": {
    "version": {"const": 1},
    "started": {"type": "string", "format": "date-time"},
    "targets": {"type": "array", "items": {
      "type": "object",
      "required": ["name"],
      "properties": {
        "name": {"type": "string"},
        "status": {"$ref": "#/$defs/status"},
        "attempts": {"type": "integer", "minimum": 1},
        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        "a/b": {"type": "string"}
      }
    }}
  }
}`

// writeSchema writes text to a schema file and returns its path.
func writeSchema(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "test.schema.json")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestCheck: each document gives exactly its violations, by path and
// keyword, in order.
func TestCheck(t *testing.T) {
	s, err := Compile(writeSchema(t, testSchema))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		doc  string
		want []string // "PATH KEYWORD"
	}{
		{"valid", `{"version": 1, "started": "2026-01-02T03:04:05Z", "targets": [{"name": "a", "status": "built", "attempts": 2, "labels": {"k": "v"}}]}`, nil},
		{"missing required", `{"version": 1}`, []string{"/ required"}},
		{"extra property", `{"version": 1, "targets": [], "x": 1}`, []string{"/ additionalProperties"}},
		{"wrong const", `{"version": 2, "targets": []}`, []string{"/version const"}},
		{"wrong type", `{"version": 1, "targets": {}}`, []string{"/targets type"}},
		{"enum through a $ref", `{"version": 1, "targets": [{"name": "a", "status": "odd"}]}`, []string{"/targets/0/status enum"}},
		{"integer and minimum", `{"version": 1, "targets": [{"name": "a", "attempts": 0.5}, {"name": "b", "attempts": 0}]}`, []string{"/targets/0/attempts type", "/targets/1/attempts minimum"}},
		{"date-time is asserted", `{"version": 1, "started": "yesterday", "targets": []}`, []string{"/started format"}},
		{"additional properties schema", `{"version": 1, "targets": [{"name": "a", "labels": {"k": 1}}]}`, []string{"/targets/0/labels/k type"}},
		{"pointer escapes", `{"version": 1, "targets": [{"name": "a", "a/b": 1}]}`, []string{"/targets/0/a~1b type"}},
		{"every violation", `{"version": 3, "targets": [{"status": "odd"}], "x": 1}`, []string{"/ additionalProperties", "/targets/0 required", "/targets/0/status enum", "/version const"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			problems, err := CheckJSON(s, []byte(tt.doc))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range problems {
				path := p.Path
				if path == "" {
					path = "/"
				}
				got = append(got, path+" "+p.Keyword)
				if p.Message == "" {
					t.Errorf("%s: no message", p)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("violations (-want +got):\n%s\nproblems: %q", diff, problems)
			}
		})
	}
}

// TestProblemString: a problem reads as path, keyword and the library's
// message, and the message names what is wrong.
func TestProblemString(t *testing.T) {
	s, err := Compile(writeSchema(t, testSchema))
	if err != nil {
		t.Fatal(err)
	}
	problems, err := CheckJSON(s, []byte(`{"version": 1, "targets": [{"name": "a"}], "colour": "red"}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(problems) != 1 {
		t.Fatalf("problems %q, want one", problems)
	}
	if got := problems[0].String(); !strings.HasPrefix(got, "/: additionalProperties: ") || !strings.Contains(got, "colour") {
		t.Errorf("problem %q, want it to start with %q and name the property", got, "/: additionalProperties: ")
	}
}

// TestCompileRejects: a schema that is not JSON, or is not valid under the
// draft it declares, does not compile, and the error names the file.
func TestCompileRejects(t *testing.T) {
	for name, text := range map[string]string{
		"not JSON":          `{`,
		"unknown type":      `{"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "strin"}`,
		"required a string": `{"$schema": "https://json-schema.org/draft/2020-12/schema", "required": "name"}`,
		"unresolvable $ref": `{"$schema": "https://json-schema.org/draft/2020-12/schema", "properties": {"a": {"$ref": "#/$defs/nope"}}}`,
	} {
		t.Run(name, func(t *testing.T) {
			path := writeSchema(t, text)
			_, err := Compile(path)
			if err == nil {
				t.Fatal("compiled")
			}
			if !strings.Contains(err.Error(), "test.schema.json") {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
	if _, err := Compile(filepath.Join(t.TempDir(), "missing.json")); err == nil {
		t.Error("a missing file compiled")
	}
}

// TestCheckJSONRejectsText: text that is not JSON is an error, not a
// violation.
func TestCheckJSONRejectsText(t *testing.T) {
	s, err := Compile(writeSchema(t, testSchema))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := CheckJSON(s, []byte(`{"version": 1`)); err == nil {
		t.Error("CheckJSON accepted text that is not JSON")
	}
}

// TestDeref follows a $ref to the schema that has the keywords.
func TestDeref(t *testing.T) {
	s, err := Compile(writeSchema(t, testSchema))
	if err != nil {
		t.Fatal(err)
	}
	status := s.Properties["targets"].Items2020.Properties["status"]
	if status.Enum != nil {
		t.Fatal("the $ref schema has the enum itself: the test does not exercise Deref")
	}
	got := Deref(status)
	if got.Enum == nil || !cmp.Equal(got.Enum.Values, []any{"built", "failed"}) {
		t.Errorf("Deref(status) = %+v, want the enum of $defs/status", got)
	}
	if Deref(s) != s {
		t.Error("Deref changed a schema without $ref")
	}
}
