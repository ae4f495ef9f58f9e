package schema

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rogpeppe/go-internal/txtar"

	"github.com/orch-build/orch/internal/schematest"
)

// draft2020 is the dialect every schema of orch declares.
const draft2020 = "https://json-schema.org/draft/2020-12/schema"

// TestSchemasCompile: every published schema declares draft 2020-12 and
// is a valid schema of that draft, as the validator library checks when
// it compiles one against the draft's meta-schema.
func TestSchemasCompile(t *testing.T) {
	files, err := filepath.Glob("*.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 3 {
		t.Fatalf("schemas %v: want orch, plan and report at least", files)
	}
	for _, f := range files {
		t.Run(f, func(t *testing.T) {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var head struct {
				Schema string `json:"$schema"`
			}
			if err := json.Unmarshal(raw, &head); err != nil {
				t.Fatal(err)
			}
			if head.Schema != draft2020 {
				t.Errorf("$schema %q, want %q", head.Schema, draft2020)
			}
			if _, err := schematest.Compile(f); err != nil {
				t.Error(err)
			}
		})
	}
}

// definitionFiles are documents in the file format's JSON syntax that orch
// loads elsewhere in its tests, and what `orch print` writes, which is
// bake's print output and a definition file again: the schema must accept
// every one. One part of a print is left out: bake prints policy as its
// Go struct ({"Files": [...], "Reset": false, ...}), which neither bake
// nor orch reads back (a file's policy entries are "filename=...,reset=..."
// strings or objects of those keys).
func definitionFiles(t *testing.T) map[string][]byte {
	t.Helper()
	docs := map[string][]byte{}
	for _, pattern := range []string{"../config/testdata/valid/*.json", "../internal/bakediff/testdata/json_format.json", "../internal/bakediff/testdata/extra/*.json"} {
		files, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			docs[f] = raw
		}
	}
	goldens, err := filepath.Glob("../config/testdata/print/*.txtar")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range goldens {
		a, err := txtar.ParseFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, file := range a.Files {
			if file.Name == "want.json" {
				docs[f+"/want.json"] = withoutPolicy(t, f, file.Data)
			}
		}
	}
	return docs
}

// withoutPolicy returns the print raw less every target's policy.
func withoutPolicy(t *testing.T, name string, raw []byte) []byte {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	targets, _ := doc["target"].(map[string]any)
	for _, tg := range targets {
		if body, ok := tg.(map[string]any); ok {
			delete(body, "policy")
		}
	}
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestFileFormatAcceptsDefinitionFiles validates real definition files
// against orch.schema.json.
func TestFileFormatAcceptsDefinitionFiles(t *testing.T) {
	s, err := schematest.Compile("orch.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	docs := definitionFiles(t)
	if len(docs) < 10 {
		t.Fatalf("%d definition files: the globs find too few to mean anything", len(docs))
	}
	for name, raw := range docs {
		problems, err := schematest.CheckJSON(s, raw)
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
		for _, p := range problems {
			t.Errorf("%s: %s", name, p)
		}
	}
}

// TestFileFormatRejects: documents that break the file format give their
// violations, by path and keyword, so the acceptance above means
// something.
func TestFileFormatRejects(t *testing.T) {
	s, err := schematest.Compile("orch.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, doc string
		want      []string // "PATH KEYWORD", sorted
	}{
		{"unknown target attribute", `{"target": {"app": {"colour": "red"}}}`, []string{
			"/target/app additionalProperties", // the body alternative
			"/target/app type",                 // the list-of-bodies alternative
		}},
		{"list where a string goes", `{"target": {"app": {"dockerfile": ["a", "b"]}}}`, []string{
			"/target/app type",
			"/target/app/dockerfile type",
		}},
		{"object in a string list", `{"target": {"app": [{"tags": [{"a": 1}]}]}}`, []string{
			"/target/app type",
			"/target/app/0/tags type",
			"/target/app/0/tags/0 type",
		}},
		{"group without targets", `{"group": {"default": {}}}`, []string{
			"/group/default required",
			"/group/default type",
		}},
		{"function without result", `{"function": {"f": {"params": ["x"]}}}`, []string{
			"/function/f required",
			"/function/f type",
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			problems, err := schematest.CheckJSON(s, []byte(tt.doc))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range problems {
				got = append(got, p.Path+" "+p.Keyword)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("violations (-want +got):\n%s\n%s", diff, strings.Join(strs(problems), "\n"))
			}
		})
	}
}

func strs(ps []schematest.Problem) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.String())
	}
	return out
}
