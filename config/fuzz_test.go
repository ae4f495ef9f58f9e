package config

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad feeds arbitrary file contents to the loader, as HCL and as
// JSON, and prints every target: no input may panic. Run it with
// go test -fuzz=FuzzLoad ./config/; inputs it finds are kept in
// testdata/fuzz/FuzzLoad.
func FuzzLoad(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/valid/*")
	more, _ := filepath.Glob("testdata/invalid/*")
	for _, p := range append(seeds, more...) {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b, filepath.Ext(p) == ".json")
		}
	}
	f.Add([]byte(`target "a" { matrix = { x = [1, 2] } name = "a-${x}" tags = target.b.tags }
target "b" { inherits = ["a-1"] contexts = { c = "target:a-2" } }`), false)
	f.Add([]byte(`{"target": {"a": {"args": {"x": "${1+1}"}}}}`), true)
	f.Add([]byte(`target "e" {
  matrix = { v = [] }
  name = "e-${v}"
}
target "w" {}
group "g" { targets = ["e", "w", "g"] }`), false)
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte, isJSON bool) {
		name := "fuzz.hcl"
		if isJSON {
			name = "fuzz.json"
		}
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		cfg, diags := Load(Options{Files: []string{path}, WorkDir: dir, LocalPlatform: "linux/amd64",
			Sets: []string{"*.args.F=1"}, Env: []string{"X=1", "X_JSON=[1]"}})
		if cfg == nil {
			t.Fatal("Load returned a nil Config")
		}
		if diags.HasErrors() {
			return
		}
		_, _ = cfg.PrintJSON(printAll(cfg))
	})
}
