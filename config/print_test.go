package config_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rogpeppe/go-internal/txtar"

	"github.com/orch-build/orch/config"
	"github.com/orch-build/orch/graph"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestPrintGolden checks print against testdata/print/*.txtar: the
// selection and links as the planner reads them (graph.PrintSet), rendered
// by PrintJSON. Each archive holds the definition files (given with -f in
// order: the .hcl, .json, .yml and .yaml ones), other files they use, a
// want.json section and, in its comment, "args:", "set:", "var:", "env:"
// and "sshkey:" lines (sshkey names files to fill with a new private key).
// SSH_AUTH_SOCK names a listening socket, as bake's print checks it. The
// want.json sections were produced by `docker buildx bake --print`
// v0.38.2 for the same inputs; -update rewrites them from orch's output.
func TestPrintGolden(t *testing.T) {
	archives, _ := filepath.Glob("testdata/print/*.txtar")
	if len(archives) == 0 {
		t.Fatal("no golden archives")
	}
	for _, path := range archives {
		path, err := filepath.Abs(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txtar"), func(t *testing.T) {
			ar, err := txtar.ParseFile(path)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			// compose-go reads the files a compose file includes
			// relative to the process's working directory.
			t.Chdir(dir)
			opts := config.Options{WorkDir: dir, LocalPlatform: "linux/amd64", Env: []string{config.ListenAgent(t, dir)}}
			var args []string
			for _, line := range strings.Split(string(ar.Comment), "\n") {
				key, value, _ := strings.Cut(line, ":")
				switch key {
				case "args":
					args = strings.Fields(value)
				case "set":
					opts.Sets = strings.Fields(value)
				case "env":
					opts.Env = append(opts.Env, strings.Fields(value)...)
				case "var":
					opts.Vars = map[string]string{}
					for _, kv := range strings.Fields(value) {
						k, v, _ := strings.Cut(kv, "=")
						opts.Vars[k] = v
					}
				case "sshkey":
					for _, name := range strings.Fields(value) {
						config.WriteSSHKey(t, filepath.Join(dir, name))
					}
				}
			}
			wantIdx := -1
			for i, f := range ar.Files {
				if f.Name == "want.json" {
					wantIdx = i
					continue
				}
				p := filepath.Join(dir, f.Name)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, f.Data, 0o644); err != nil {
					t.Fatal(err)
				}
				switch filepath.Ext(f.Name) {
				case ".hcl", ".json", ".yml", ".yaml":
					opts.Files = append(opts.Files, f.Name)
				}
			}
			cfg, diags := config.Load(opts)
			if diags.HasErrors() {
				t.Fatalf("load: %s", diags.Error())
			}
			set, err := graph.PrintSet(cfg, args)
			if err != nil {
				t.Fatalf("select: %v", err)
			}
			got, diags := cfg.PrintJSON(set)
			if diags.HasErrors() {
				t.Fatalf("print: %s", diags.Error())
			}
			if *update {
				if wantIdx < 0 {
					ar.Files = append(ar.Files, txtar.File{Name: "want.json"})
					wantIdx = len(ar.Files) - 1
				}
				ar.Files[wantIdx].Data = got
				if err := os.WriteFile(path, txtar.Format(ar), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if wantIdx < 0 {
				t.Fatal("archive has no want.json; run with -update")
			}
			if diff := cmp.Diff(string(ar.Files[wantIdx].Data), string(got)); diff != "" {
				t.Errorf("print (-want +got):\n%s", diff)
			}
			if !bytes.HasSuffix(got, []byte("\n")) {
				t.Error("output does not end with a newline")
			}
		})
	}
}
