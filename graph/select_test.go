package graph

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/orch-build/orch/config"
)

func TestSelection(t *testing.T) {
	// One set of targets for most cases: two app-* targets, an api, a db,
	// a template and groups nested two deep.
	base := func(groups ...*config.Group) *config.Config {
		return conf(targets(
			target("app-1", 1), target("app-2", 10), target("api", 20),
			target("db", 30), target("_base", 40),
		), groups...)
	}
	tests := []struct {
		name      string
		cfg       *config.Config
		selection []string
		// want maps each planned target to its reasons.
		want map[string][]string
	}{
		{
			name:      "target names",
			cfg:       base(),
			selection: []string{"db", "api"},
			want:      map[string][]string{"api": {"selected"}, "db": {"selected"}},
		},
		{
			name:      "a name given twice is planned once",
			cfg:       base(),
			selection: []string{"db", "db"},
			want:      map[string][]string{"db": {"selected"}},
		},
		{
			name:      "nested groups",
			cfg:       base(group("ci", 50, "backend", "app-1"), group("backend", 55, "api", "db")),
			selection: []string{"ci"},
			want: map[string][]string{
				"app-1": {"selected by group ci"}, "api": {"selected by group ci"}, "db": {"selected by group ci"},
			},
		},
		{
			name:      "a target selected directly and through a group has both reasons",
			cfg:       base(group("backend", 55, "api", "db")),
			selection: []string{"backend", "api"},
			want:      map[string][]string{"api": {"selected", "selected by group backend"}, "db": {"selected by group backend"}},
		},
		{
			name:      "a group that contains itself ends",
			cfg:       base(group("a", 50, "b", "api"), group("b", 55, "a", "db")),
			selection: []string{"a"},
			want:      map[string][]string{"api": {"selected by group a"}, "db": {"selected by group a"}},
		},
		{
			name:      "a group listing its own name means the target of that name, as in bake",
			cfg:       base(group("db", 50, "db", "api")),
			selection: []string{"db"},
			want:      map[string][]string{"api": {"selected by group db"}, "db": {"selected by group db"}},
		},
		{
			name:      "a group wins over a target of the same name, as in bake",
			cfg:       base(group("api", 50, "db")),
			selection: []string{"api"},
			want:      map[string][]string{"db": {"selected by group api"}},
		},
		{
			name:      "glob",
			cfg:       base(),
			selection: []string{"app-*"},
			want:      map[string][]string{"app-1": {"selected by pattern app-*"}, "app-2": {"selected by pattern app-*"}},
		},
		{
			name:      "glob matching a group expands it",
			cfg:       base(group("backend", 55, "api", "db")),
			selection: []string{"back?nd"},
			want:      map[string][]string{"api": {"selected by pattern back?nd"}, "db": {"selected by pattern back?nd"}},
		},
		{
			name:      "star skips templates",
			cfg:       base(),
			selection: []string{"*"},
			want: map[string][]string{
				"api": {"selected by pattern *"}, "app-1": {"selected by pattern *"},
				"app-2": {"selected by pattern *"}, "db": {"selected by pattern *"},
			},
		},
		{
			name:      "a pattern starting with _ matches templates",
			cfg:       base(),
			selection: []string{"_*"},
			want:      map[string][]string{"_base": {"selected by pattern _*"}},
		},
		{
			name:      "a template named explicitly is planned",
			cfg:       base(),
			selection: []string{"_base"},
			want:      map[string][]string{"_base": {"selected"}},
		},
		{
			name:      "all skips templates",
			cfg:       base(),
			selection: []string{"all"},
			want: map[string][]string{
				"api": {"selected by all"}, "app-1": {"selected by all"},
				"app-2": {"selected by all"}, "db": {"selected by all"},
			},
		},
		{
			name:      "all inside a group",
			cfg:       base(group("everything", 50, "all")),
			selection: []string{"everything"},
			want: map[string][]string{
				"api": {"selected by group everything"}, "app-1": {"selected by group everything"},
				"app-2": {"selected by group everything"}, "db": {"selected by group everything"},
			},
		},
		{
			name:      "a declared group all wins over the built-in",
			cfg:       base(group("all", 50, "db")),
			selection: []string{"all"},
			want:      map[string][]string{"db": {"selected by group all"}},
		},
		{
			name:      "a declared target all wins over the built-in",
			cfg:       conf(targets(target("all", 1), target("db", 5))),
			selection: []string{"all"},
			want:      map[string][]string{"all": {"selected"}},
		},
		{
			name: "nothing named means the default group",
			cfg:  base(group("default", 50, "api")),
			want: map[string][]string{"api": {"selected by group default"}},
		},
		{
			name: "nothing named means the default target",
			cfg:  conf(targets(target("default", 1), target("db", 5))),
			want: map[string][]string{"default": {"selected"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustPlan(t, tt.cfg, tt.selection...)
			got := map[string][]string{}
			for _, n := range p.Nodes {
				got[n.Name] = n.Reasons
				if !n.Export {
					t.Errorf("selected target %s is not exported", n.Name)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("reasons (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSelectionErrors(t *testing.T) {
	cfg := conf(targets(target("app", 1), target("api", 10), target("frontend", 20), target("migrate", 30)),
		group("ci", 40, "frontnd", "app"), group("web", 45, "ci"))
	tests := []struct {
		name      string
		cfg       *config.Config
		selection []string
		want      string
	}{
		{
			name:      "unknown name with a suggestion",
			selection: []string{"migrat"},
			want:      `unknown target or group "migrat"; did you mean "migrate"?`,
		},
		{
			name:      "suggestions are deterministic among equally close names",
			selection: []string{"apx"},
			want:      `unknown target or group "apx"; did you mean "api"?`,
		},
		{
			name:      "all is suggested too",
			selection: []string{"al"},
			want:      `unknown target or group "al"; did you mean "all"?`,
		},
		{
			name:      "unknown name far from every name",
			selection: []string{"database"},
			want:      `unknown target or group "database"`,
		},
		{
			name:      "unknown name in a nested group points at the group",
			selection: []string{"web"},
			want:      `orch.hcl:40: group "ci" names unknown target or group "frontnd"; did you mean "frontend"?`,
		},
		{
			name:      "every unknown name is reported",
			selection: []string{"ap", "api", "dbs"},
			want: lines(
				`unknown target or group "ap"; did you mean "api"?`,
				`unknown target or group "dbs"`,
			),
		},
		{
			name: "nothing named and no default",
			want: `no target named and no "default" group or target declared: name targets or groups, or use "all"`,
		},
		{
			name:      "default named but missing",
			selection: []string{"default"},
			want:      `unknown target or group "default"`,
		},
		{
			name:      "pattern matching nothing",
			selection: []string{"db-*"},
			want:      `no target or group matches "db-*"`,
		},
		{
			name:      "star does not match templates only",
			cfg:       conf(targets(target("_base", 1))),
			selection: []string{"*"},
			want:      `no target or group matches "*"`,
		},
		{
			name:      "malformed pattern",
			selection: []string{"app-["},
			want:      `bad pattern "app-[": syntax error in pattern`,
		},
		{
			name:      "nil config",
			cfg:       &config.Config{},
			selection: []string{"app"},
			want:      `unknown target or group "app"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.cfg
			if c == nil {
				c = cfg
			}
			p, err := New(c, tt.selection)
			if p != nil {
				t.Errorf("New returned a plan with the error %v", err)
			}
			if diff := cmp.Diff(tt.want, errText(err)); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSelectionErrorTypes(t *testing.T) {
	cfg := conf(targets(target("app", 1)), group("g", 5, "ap"))
	_, err := New(cfg, []string{"g", "x-*", "["})
	var unknown *UnknownNameError
	if !errors.As(err, &unknown) || unknown.Name != "ap" || unknown.Suggestion != "app" || unknown.Range == nil || unknown.Range.Start.Line != 5 {
		t.Errorf("want an UnknownNameError for ap at line 5 suggesting app, got %#v", unknown)
	}
	var pattern *PatternError
	if !errors.As(err, &pattern) || pattern.Pattern != "x-*" {
		t.Errorf("want a PatternError for x-*, got %#v", pattern)
	}
	_, err = New(&config.Config{}, nil)
	var noDefault *NoDefaultError
	if !errors.As(err, &noDefault) {
		t.Errorf("want a NoDefaultError, got %v", err)
	}
}

func TestSuggest(t *testing.T) {
	candidates := []string{"api", "app", "frontend", "migrate", "worker-arm64"}
	tests := []struct{ name, want string }{
		{"ap", "api"},
		{"App", "app"},
		{"frontnd", "frontend"},
		{"fronted", "frontend"},
		{"migrations", ""},
		{"worker-amd64", "worker-arm64"},
		{"x", ""},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := suggest(tt.name, candidates); got != tt.want {
				t.Errorf("suggest(%q) = %q, want %q", tt.name, got, tt.want)
			}
		})
	}
}
