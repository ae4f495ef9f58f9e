package graph

import (
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/orch-build/orch/config"
)

// The helpers below build config values the way the loader would, with
// every range in "orch.hcl": a target declared at line L sets contexts on
// L+1, depends_on on L+2, platforms on L+3 and output on L+4, so error
// texts show which attribute they point at. contextAt gives one context
// value a line of its own, as the loader does.

// mod sets one attribute of a target declared at line.
type mod func(t *config.Target, line int)

func at(line int) hcl.Range {
	return hcl.Range{Filename: "orch.hcl", Start: hcl.Pos{Line: line, Column: 1}, End: hcl.Pos{Line: line, Column: 2}}
}

func target(name string, line int, mods ...mod) *config.Target {
	t := &config.Target{Name: name, DefRange: at(line), AttrRanges: map[string]hcl.Range{}}
	for _, m := range mods {
		m(t, line)
	}
	return t
}

// contexts takes key, value pairs.
func contexts(kv ...string) mod {
	return func(t *config.Target, line int) {
		t.Contexts = map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			t.Contexts[kv[i]] = kv[i+1]
		}
		t.AttrRanges["contexts"] = at(line + 1)
	}
}

// contextAt records that context key is set on line.
func contextAt(key string, line int) mod {
	return func(t *config.Target, _ int) {
		if t.ContextRanges == nil {
			t.ContextRanges = map[string]hcl.Range{}
		}
		t.ContextRanges[key] = at(line)
	}
}

func dependsOn(names ...string) mod {
	return func(t *config.Target, line int) {
		t.DependsOn = names
		t.AttrRanges["depends_on"] = at(line + 2)
	}
}

func platforms(ps ...string) mod {
	return func(t *config.Target, line int) {
		t.Platforms = ps
		t.AttrRanges["platforms"] = at(line + 3)
	}
}

func outputs(es ...config.Output) mod {
	return func(t *config.Target, line int) {
		t.Outputs = es
		t.AttrRanges["output"] = at(line + 4)
	}
}

func tags(ts ...string) mod {
	return func(t *config.Target, _ int) { t.Tags = ts }
}

// out builds an output; kv are extra attribute pairs.
func out(typ, dest string, kv ...string) config.Output {
	attrs := map[string]string{}
	for i := 0; i < len(kv); i += 2 {
		attrs[kv[i]] = kv[i+1]
	}
	return config.NewOutput(typ, dest, attrs)
}

func group(name string, line int, members ...string) *config.Group {
	return &config.Group{Name: name, Targets: members, DefRange: at(line)}
}

func conf(targets []*config.Target, groups ...*config.Group) *config.Config {
	c := &config.Config{Targets: map[string]*config.Target{}, Groups: map[string]*config.Group{}}
	for _, t := range targets {
		c.Targets[t.Name] = t
	}
	for _, g := range groups {
		c.Groups[g.Name] = g
	}
	return c
}

func targets(ts ...*config.Target) []*config.Target { return ts }

// names lists the nodes' names in plan order.
func names(nodes []*Node) []string {
	out := make([]string, len(nodes))
	for i, n := range nodes {
		out[i] = n.Name
	}
	return out
}

// errText renders err for comparison, "" for nil.
func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// mustPlan plans selection and fails the test on error.
func mustPlan(t *testing.T, cfg *config.Config, selection ...string) *Plan {
	t.Helper()
	p, err := New(cfg, selection)
	if err != nil {
		t.Fatalf("New(%q): %v", selection, err)
	}
	return p
}

// lines joins its arguments with newlines, for multi-line error texts.
func lines(ls ...string) string { return strings.Join(ls, "\n") }

// unjoin splits an errors.Join result into its parts.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	if err == nil {
		return nil
	}
	return []error{err}
}
