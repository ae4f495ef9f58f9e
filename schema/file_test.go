package schema

import (
	"encoding/json"
	"flag"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/orch-build/orch/config"
)

var update = flag.Bool("update", false, "rewrite orch.schema.json")

// TestFileFormatCurrent fails when orch.schema.json no longer matches what
// FileFormat generates from config's attribute tables; run with -update
// after changing them.
func TestFileFormatCurrent(t *testing.T) {
	got, err := FileFormat()
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile("orch.schema.json", got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile("orch.schema.json")
	if err != nil {
		t.Fatalf("read committed schema: %v (run go test ./schema -update)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("orch.schema.json is stale; run go test ./schema -update (-committed +generated):\n%s", diff)
	}
}

// TestFileFormatCoversTargetAttributes checks that every target attribute
// appears in the schema, so a new attribute cannot be forgotten.
func TestFileFormatCoversTargetAttributes(t *testing.T) {
	raw, err := FileFormat()
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Defs map[string]struct {
			Properties map[string]any `json:"properties"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatal(err)
	}
	for _, a := range config.TargetAttributes {
		if _, ok := s.Defs["target"].Properties[a.Name]; !ok {
			t.Errorf("target attribute %q missing from the schema", a.Name)
		}
	}
	if len(s.Defs["target"].Properties) != len(config.TargetAttributes) {
		t.Errorf("schema has %d target properties, config %d", len(s.Defs["target"].Properties), len(config.TargetAttributes))
	}
}
