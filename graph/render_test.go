package graph

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/orch-build/orch/config"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// fixture is a small project with every feature the renderers show: a
// target built only as a context, a context under another name, an order
// edge, several platforms and one output of each kind, under /w.
func fixture() *config.Config {
	return conf(targets(
		target("base", 1, platforms("linux/amd64", "linux/arm64"), outputs(out("oci", "/w/out/base", "tar", "false"))),
		target("tools", 10, contexts("src", "/w/tools")),
		target("migrate", 20, contexts("tools", "target:tools"), outputs(out("local", "/w/out/migrate"))),
		target("api", 30,
			contexts("base", "target:base", "toolchain", "target:tools"),
			dependsOn("migrate"),
			platforms("linux/amd64", "linux/arm64"),
			tags("localhost:5000/api:1"),
			outputs(out("oci", "/w/out/api", "tar", "false"), out("image", "", "push", "true"))),
		target("web", 40, contexts("base", "target:base"), outputs(out("tar", "/w/out/web.tar"), out("docker", "-"))),
		target("docs", 50),
		target("_template", 60),
	), group("default", 70, "api", "web", "docs"))
}

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", path, diff)
	}
}

func TestRenderGolden(t *testing.T) {
	p := mustPlan(t, fixture())
	renderers := []struct {
		file   string
		render func(*bytes.Buffer) error
	}{
		{"plan.txt", func(b *bytes.Buffer) error { return p.WriteTable(b, RenderOptions{Dir: "/w"}) }},
		{"plan-abs.txt", func(b *bytes.Buffer) error { return p.WriteTable(b, RenderOptions{Dir: "/elsewhere"}) }},
		{"plan.json", func(b *bytes.Buffer) error { return p.WriteJSON(b) }},
		{"plan.dot", func(b *bytes.Buffer) error { return p.WriteDOT(b) }},
		{"plan.mmd", func(b *bytes.Buffer) error { return p.WriteMermaid(b) }},
	}
	for _, r := range renderers {
		t.Run(r.file, func(t *testing.T) {
			var buf bytes.Buffer
			if err := r.render(&buf); err != nil {
				t.Fatal(err)
			}
			golden(t, r.file, buf.Bytes())
		})
	}
}

func TestQuoting(t *testing.T) {
	tests := []struct {
		in, dot, mermaid string
	}{
		{"app", `"app"`, `"app"`},
		{`a"b`, `"a\"b"`, `"a#quot;b"`},
		{`a\b`, `"a\\b"`, `"a\b"`},
		{"a\nb", `"a\nb"`, "\"a\nb\""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := dotQuote(tt.in); got != tt.dot {
				t.Errorf("dotQuote = %s, want %s", got, tt.dot)
			}
			if got := mermaidQuote(tt.in); got != tt.mermaid {
				t.Errorf("mermaidQuote = %s, want %s", got, tt.mermaid)
			}
		})
	}
}

func TestDescribeOutput(t *testing.T) {
	tests := []struct {
		name  string
		entry config.Output
		tags  []string
		want  string
	}{
		{"oci archive", out("oci", "/w/out/a.tar"), nil, "oci:out/a.tar"},
		{"oci layout", out("oci", "/w/out/a", "tar", "false"), nil, "oci-layout:out/a"},
		{"docker layout", out("docker", "/w/out/a", "tar", "false"), nil, "docker-layout:out/a"},
		{"outside the directory", out("local", "/elsewhere/a"), nil, "local:/elsewhere/a"},
		{"the directory itself", out("local", "/w"), nil, "local:."},
		{"a sibling with a common prefix", out("local", "/w2/a"), nil, "local:/w2/a"},
		{"stdout", out("tar", "-"), nil, "tar:stdout"},
		{"docker without dest", out("docker", ""), nil, "docker"},
		{"push by name", out("image", "", "name", "r/a:1", "push", "true"), nil, "registry:r/a:1"},
		{"push by tags", out("image", "", "push", "true"), []string{"r/a:1", "r/a:latest"}, "registry:r/a:1, registry:r/a:latest"},
		{"push by several names", out("image", "", "name", "r/a:1,r/b:1", "push", "true"), nil, "registry:r/a:1, registry:r/b:1"},
		{"image without a name or tags", out("image", ""), nil, "image"},
		{"image kept in the builder", out("image", "", "name", "a"), nil, "image:a"},
		{"registry", out("registry", "", "name", "r/a"), nil, "registry:r/a"},
		{"cacheonly", out("cacheonly", ""), nil, "cacheonly"},
		{"unknown type with dest", out("custom", "/w/x"), nil, "custom:x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := describeOutput(tt.entry, tt.tags, RenderOptions{Dir: "/w"}); got != tt.want {
				t.Errorf("describeOutput = %q, want %q", got, tt.want)
			}
		})
	}
}
