package config

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestComposeTargets checks what orch builds from a compose file: paths
// resolved against the first compose file's directory (the compose
// project's), the service's line for messages, detection by content for
// other names and standard input, and HCL blocks merged on top.
func TestComposeTargets(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"deploy/compose.yaml": `
services:
  web:
    build:
      context: ../web
      additional_contexts:
        assets: ./assets
  db:
    image: postgres
`,
		"stack.conf": "services:\n  api:\n    build: api\n",
		"docker-bake.hcl": `target "web" {
  tags = ["web:1"]
}
`,
	})
	t.Chdir(dir)
	cfg := mustLoad(t, Options{Files: []string{"docker-bake.hcl", "deploy/compose.yaml", "stack.conf"}, WorkDir: dir})
	web, api := cfg.Targets["web"], cfg.Targets["api"]
	if web == nil || api == nil || cfg.Targets["db"] != nil {
		t.Fatalf("targets = %v, want web and api (db has no build)", sortedKeys(cfg.Targets))
	}
	deploy := filepath.Join(dir, "deploy")
	for _, c := range []struct{ name, got, want string }{
		{"context against the project directory", *web.Context, filepath.Join(dir, "web")},
		{"named context", web.Contexts["assets"], filepath.Join(deploy, "assets")},
		{"dir", web.Dir, deploy},
		{"HCL merged on top", strings.Join(web.Tags, ","), "web:1"},
		{"declared at the service", web.DefRange.Filename, "deploy/compose.yaml"},
		{"detected by content", *api.Context, filepath.Join(deploy, "api")},
	} {
		if c.got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, c.got, c.want)
		}
	}
	if web.DefRange.Start.Line != 3 {
		t.Errorf("web declared at line %d, want 3 (services.web)", web.DefRange.Start.Line)
	}
	if r := web.AttrRanges["contexts"]; r.Start.Line != 3 {
		t.Errorf("contexts at %v, want the service's line", r)
	}
	if g := cfg.Groups["default"]; g == nil || strings.Join(g.Targets, ",") != "api,web" {
		t.Errorf("default group = %+v, want api and web", g)
	}
	if got := strings.Join(cfg.TargetNames, ","); got != "api,web" {
		t.Errorf("TargetNames = %s: compose services come first", got)
	}

	// Standard input is read as compose when it is one.
	stdin := mustLoad(t, Options{Files: []string{"-"}, WorkDir: dir, Stdin: strings.NewReader("services:\n  x:\n    build: .\n")})
	if stdin.Targets["x"] == nil {
		t.Errorf("stdin compose file gave no target x: %v", sortedKeys(stdin.Targets))
	}
}

// TestComposeErrors shows the text of compose problems.
func TestComposeErrors(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"schema", map[string]string{"compose.yaml": "services:\n  web:\n    build:\n      context: .\n      foo: bar\n"},
			`Reading compose.yaml as a compose file (as bake does, by its name): services.web.build additional properties 'foo' not allowed.`},
		{"not a mapping", map[string]string{"compose.yaml": "- a\n- b\n"}, `Reading compose.yaml as a compose file (as bake does, by its name): top-level object must be a mapping.`},
		{"undefined secret", map[string]string{"compose.yaml": "services:\n  web:\n    build:\n      context: .\n      secrets: [tok]\n"},
			`Reading compose.yaml as a compose file (as bake does): service "web" refers to undefined build secret tok: invalid compose project.`},
		{"external secret", map[string]string{"compose.yaml": "services:\n  web:\n    build:\n      context: .\n      secrets: [tok]\nsecrets:\n  tok:\n    external: true\n"},
			`service "web": secret tok is external, which a build cannot read; give it a file or an environment variable.`},
		{"bad .env", map[string]string{"compose.yaml": "services:\n  web:\n    build: .\n", ".env": "A='unterminated\n"},
			"/.env: line 2: unterminated quoted value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeFiles(t, tt.files)
			t.Chdir(dir)
			_, diags := Load(Options{WorkDir: dir})
			if !diags.HasErrors() {
				t.Fatal("no error")
			}
			if !strings.Contains(diags.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", diags.Error(), tt.want)
			}
		})
	}
}
