package config

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rogpeppe/go-internal/txtar"
)

// attrSample is one value of an attribute in each form a user writes it.
type attrSample struct {
	hcl, json string
	// set is a --set KEY=VALUE giving the same value, "" for attributes
	// bake does not let --set change.
	set string
}

// attrSamples holds a sample of every target attribute. A new entry of
// TargetAttributes without a sample fails TestEveryAttribute.
var attrSamples = map[string]attrSample{
	"description":       {`"d"`, `"d"`, ""},
	"inherits":          {`["_p"]`, `["_p"]`, ""},
	"annotations":       {`["index:a=b"]`, `["index:a=b"]`, "annotations=index:a=b"},
	"attest":            {`["type=sbom"]`, `[{"type": "sbom"}]`, "attest=type=sbom"},
	"context":           {`"ctx"`, `"ctx"`, "context=ctx"},
	"contexts":          {`{ c = "dir" }`, `{"c": "dir"}`, "contexts.c=dir"},
	"dockerfile":        {`"D"`, `"D"`, "dockerfile=D"},
	"dockerfile-inline": {`"FROM scratch"`, `"FROM scratch"`, ""},
	"args":              {`{ A = "1" }`, `{"A": "1"}`, "args.A=1"},
	"labels":            {`{ L = "1" }`, `{"L": "1"}`, "labels.L=1"},
	"tags":              {`["t:1"]`, `["t:1"]`, "tags=t:1"},
	"cache-from":        {`["type=local,src=c"]`, `[{"type": "local", "src": "c"}]`, "cache-from=type=local,src=c"},
	"cache-to":          {`["type=inline"]`, `[{"type": "inline"}]`, "cache-to=type=inline"},
	"target":            {`"stage"`, `"stage"`, "target=stage"},
	"secret":            {`["id=s,env=E"]`, `[{"id": "s", "env": "E"}]`, "secret=id=s,env=E"},
	"ssh":               {`["default"]`, `[{"id": "default"}]`, "ssh=default"},
	"platforms":         {`["linux/arm64"]`, `["linux/arm64"]`, "platform=linux/arm64"},
	"output":            {`["type=local,dest=out"]`, `[{"type": "local", "dest": "out"}]`, "output=type=local,dest=out"},
	"pull":              {`true`, `true`, "pull=true"},
	"no-cache":          {`true`, `true`, "no-cache=true"},
	"network":           {`"none"`, `"none"`, "network=none"},
	"no-cache-filter":   {`["s"]`, `["s"]`, "no-cache-filter=s"},
	"shm-size":          {`"64m"`, `"64m"`, "shm-size=64m"},
	"ulimits":           {`["nofile=1024"]`, `["nofile=1024"]`, "ulimits=nofile=1024"},
	"resources":         {`{ memory = "512m" }`, `{"memory": "512m"}`, "resources.memory=512m"},
	"call":              {`"check"`, `"check"`, "call=check"},
	"entitlements":      {`["network.host"]`, `["network.host"]`, "entitlements=network.host"},
	"extra-hosts":       {`{ h = "1.2.3.4" }`, `{"h": "1.2.3.4"}`, "extra-hosts.h=1.2.3.4"},
	"policy":            {`["filename=p.rego"]`, `[{"filename": "p.rego"}]`, "policy=filename=p.rego"},
	"depends_on":        {`["_p"]`, `["_p"]`, ""},
	"incremental":       {`false`, `false`, "incremental=false"},
}

// TestEveryAttribute walks every entry of TargetAttributes through each way
// a value reaches a target: HCL, HCL JSON, --set and inherits must all give
// the same printed target, and the value must reach Target.
func TestEveryAttribute(t *testing.T) {
	for _, a := range TargetAttributes {
		if a.ops == nil {
			continue // matrix and name steer expansion; see the matrix tests
		}
		t.Run(a.Name, func(t *testing.T) {
			s, ok := attrSamples[a.Name]
			if !ok {
				t.Fatalf("no sample for attribute %q: add one to attrSamples", a.Name)
			}
			// One directory for every form, so that resolved paths
			// compare equal.
			dir := t.TempDir()
			agent := listenAgent(t, dir)
			load := func(files map[string]string, sets ...string) *Config {
				t.Helper()
				names := make([]string, 0, len(files))
				for n, content := range files {
					if err := os.WriteFile(filepath.Join(dir, n), []byte(content), 0o644); err != nil {
						t.Fatal(err)
					}
					names = append(names, n)
				}
				return mustLoad(t, Options{Files: names, WorkDir: dir, Sets: sets, LocalPlatform: "linux/amd64", Env: []string{agent}})
			}
			printed := func(cfg *Config, name string) string {
				t.Helper()
				out, diags := cfg.PrintJSON(printAll(cfg))
				if diags.HasErrors() {
					t.Fatal(diags.Error())
				}
				var doc struct{ Target map[string]json.RawMessage }
				if err := json.Unmarshal(out, &doc); err != nil {
					t.Fatal(err)
				}
				return string(doc.Target[name])
			}
			const parent = "target \"_p\" {}\n"
			fromHCL := load(map[string]string{"orch.hcl": parent + fmt.Sprintf("target \"t\" {\n  %s = %s\n}\n", a.Name, s.hcl)})
			want := printed(fromHCL, "t")

			// bake has no depends_on or incremental, and prints no inherits.
			visible := a.Name != "inherits" && a.Name != "depends_on" && a.Name != "incremental"
			if got := strings.Contains(want, fmt.Sprintf("%q:", a.Name)); got != visible {
				t.Errorf("print shows %q: %v, want %v:\n%s", a.Name, got, visible, want)
			}

			fromJSON := load(map[string]string{"orch.json": fmt.Sprintf(`{"target": {"_p": {}, "t": {%q: %s}}}`, a.Name, s.json)})
			if diff := cmp.Diff(want, printed(fromJSON, "t")); diff != "" {
				t.Errorf("JSON prints differently from HCL (-hcl +json):\n%s", diff)
			}
			if diff := cmp.Diff(fromHCL.Targets["t"], fromJSON.Targets["t"], ignoreRanges); diff != "" {
				t.Errorf("JSON resolves differently from HCL (-hcl +json):\n%s", diff)
			}

			if a.Name != "inherits" {
				inherited := load(map[string]string{"orch.hcl": fmt.Sprintf("target \"_p\" {\n  %s = %s\n}\ntarget \"t\" {\n  inherits = [\"_p\"]\n}\n", a.Name, s.hcl)})
				got := inherited.Targets["t"]
				got.Inherits = nil
				if diff := cmp.Diff(printed(inherited, "_p"), printed(inherited, "t")); diff != "" {
					t.Errorf("a child prints differently from its parent (-parent +child):\n%s", diff)
				}
				if diff := cmp.Diff(inherited.Targets["_p"], got, ignoreRanges, ignoreName); diff != "" {
					t.Errorf("a child resolves differently from its parent (-parent +child):\n%s", diff)
				}
			}

			if s.set != "" {
				fromSet := load(map[string]string{"orch.hcl": parent + "target \"t\" {}\n"}, "t."+s.set)
				if diff := cmp.Diff(want, printed(fromSet, "t")); diff != "" {
					t.Errorf("--set t.%s prints differently from the file (-file +set):\n%s", s.set, diff)
				}
			}

			// The value reaches Target: some field differs from a target
			// without the attribute.
			bare := load(map[string]string{"orch.hcl": parent + "target \"t\" {}\n"}).Targets["t"]
			if cmp.Equal(bare, fromHCL.Targets["t"], ignoreRanges) {
				t.Errorf("%s = %s changes nothing in Target", a.Name, s.hcl)
			}
		})
	}
}

var (
	ignoreRanges = cmpIgnoreFields("AttrRanges", "ContextRanges", "DefRange", "Dir")
	ignoreName   = cmpIgnoreFields("Name")
)

// cmpIgnoreFields compares Targets without the named fields.
func cmpIgnoreFields(names ...string) cmp.Option {
	return cmp.FilterPath(func(p cmp.Path) bool {
		sf, ok := p.Last().(cmp.StructField)
		if !ok || p.Index(-2).Type() != reflect.TypeOf(Target{}) {
			return false
		}
		for _, n := range names {
			if sf.Name() == n {
				return true
			}
		}
		return false
	}, cmp.Ignore())
}

// TestEveryTargetField sets every attribute at once and expects every
// field of Target to be filled: a field no entry fills is an attribute
// that reaches neither the planner nor the adapter.
func TestEveryTargetField(t *testing.T) {
	var b strings.Builder
	b.WriteString("target \"_p\" {}\ntarget \"t\" {\n")
	for _, a := range TargetAttributes {
		if s, ok := attrSamples[a.Name]; ok {
			fmt.Fprintf(&b, "  %s = %s\n", a.Name, s.hcl)
		}
	}
	b.WriteString("}\n")
	cfg := mustLoad(t, Options{WorkDir: writeFiles(t, map[string]string{"orch.hcl": b.String()})})
	v := reflect.ValueOf(*cfg.Targets["t"])
	for i := range v.NumField() {
		if f := v.Type().Field(i); v.Field(i).IsZero() {
			t.Errorf("Target.%s is not set by any attribute", f.Name)
		}
	}
}

// TestEveryAttributeGolden keeps testdata/print/every_attribute.txtar
// complete: bake's own output for a target that sets every attribute bake
// prints, so print dropping or mangling one fails TestPrintGolden.
func TestEveryAttributeGolden(t *testing.T) {
	ar, err := txtar.ParseFile("testdata/print/every_attribute.txtar")
	if err != nil {
		t.Fatal(err)
	}
	var want []byte
	for _, f := range ar.Files {
		if f.Name == "want.json" {
			want = f.Data
		}
	}
	var doc struct{ Target map[string]map[string]any }
	if err := json.Unmarshal(want, &doc); err != nil {
		t.Fatal(err)
	}
	for _, a := range TargetAttributes {
		if a.ops == nil || a.Name == "inherits" || a.Name == "depends_on" || a.Name == "incremental" {
			continue
		}
		if _, ok := doc.Target["app"][a.Name]; !ok {
			t.Errorf("the golden's target app does not print %q", a.Name)
		}
	}
}
