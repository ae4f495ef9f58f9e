package jsonschema

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const testSchema = `{
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
        "labels": {"type": "object", "additionalProperties": {"type": "string"}}
      }
    }}
  }
}`

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want []string // substrings, one per expected violation; none means valid
	}{
		{"valid", `{"version": 1, "started": "2026-01-02T03:04:05Z", "targets": [{"name": "a", "status": "built", "attempts": 2, "labels": {"k": "v"}}]}`, nil},
		{"missing required", `{"version": 1}`, []string{`$: missing required property "targets"`}},
		{"extra property", `{"version": 1, "targets": [], "x": 1}`, []string{`$: property "x" is not allowed`}},
		{"wrong const", `{"version": 2, "targets": []}`, []string{"$.version: got 2, want the constant 1"}},
		{"wrong type", `{"version": 1, "targets": {}}`, []string{"$.targets: got object, want array"}},
		{"enum via ref", `{"version": 1, "targets": [{"name": "a", "status": "odd"}]}`, []string{"$.targets[0].status: odd is not one of"}},
		{"integer and minimum", `{"version": 1, "targets": [{"name": "a", "attempts": 0.5}, {"name": "b", "attempts": 0}]}`, []string{"$.targets[0].attempts: got number, want integer", "$.targets[1].attempts: 0 is below the minimum 1"}},
		{"date-time", `{"version": 1, "started": "yesterday", "targets": []}`, []string{`$.started: "yesterday" is not a date-time`}},
		{"additional properties schema", `{"version": 1, "targets": [{"name": "a", "labels": {"k": 1}}]}`, []string{"$.targets[0].labels.k: got number, want string"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Validate([]byte(testSchema), []byte(tt.doc))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("violations %q, want %d matching %q", got, len(tt.want), tt.want)
			}
			for i, w := range tt.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("violation %d = %q, want it to contain %q", i, got[i], w)
				}
			}
		})
	}
}

func TestUnsupportedKeywordAndBadRef(t *testing.T) {
	got, err := Validate([]byte(`{"oneOf": [], "properties": {"a": {"$ref": "#/$defs/nope"}}}`), []byte(`{"a": 1}`))
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(got, "\n")
	for _, w := range []string{`unsupported keyword "oneOf"`, `unresolvable $ref "#/$defs/nope"`} {
		if !strings.Contains(joined, w) {
			t.Errorf("violations %q, want one containing %q", got, w)
		}
	}
	if _, err := Validate([]byte(`{`), []byte(`{}`)); err == nil {
		t.Error("a schema that is not JSON gave no error")
	}
}

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(good, []byte(`{"type": "object"}`), 0o644)
	os.WriteFile(bad, []byte(`{`), 0o644)
	s, err := ReadFile(good)
	if err != nil || s["type"] != "object" {
		t.Errorf("ReadFile(good) = %v, %v", s, err)
	}
	if _, err := ReadFile(bad); err == nil || !strings.Contains(err.Error(), "bad.json") {
		t.Errorf("ReadFile(bad) error %v, want one naming the file", err)
	}
	if _, err := ReadFile(filepath.Join(dir, "missing.json")); err == nil {
		t.Error("ReadFile(missing) gave no error")
	}
}
