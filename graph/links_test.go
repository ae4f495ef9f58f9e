package graph

import (
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/orch-build/orch/config"
)

// nodeView is what the edge tests compare of a node: deps rendered as
// "kind:name[:key]" so a diff reads well.
type nodeView struct {
	Deps    []string
	Export  bool
	Reasons []string
}

func view(p *Plan) map[string]nodeView {
	out := map[string]nodeView{}
	for _, n := range p.Nodes {
		v := nodeView{Export: n.Export, Reasons: n.Reasons}
		for _, e := range n.Deps {
			s := e.Kind.String() + ":" + p.Nodes[e.To].Name
			if e.Key != "" {
				s += ":" + e.Key
			}
			v.Deps = append(v.Deps, s)
		}
		out[n.Name] = v
	}
	return out
}

func TestEdges(t *testing.T) {
	tests := []struct {
		name      string
		targets   []*config.Target
		selection []string
		want      map[string]nodeView
	}{
		{
			name: "a target reached only through a context is built but not exported",
			targets: targets(
				target("base", 1),
				target("app", 10, contexts("base", "target:base")),
			),
			selection: []string{"app"},
			want: map[string]nodeView{
				"base": {Reasons: []string{"needed by app as context base"}},
				"app":  {Deps: []string{"data:base:base"}, Export: true, Reasons: []string{"selected"}},
			},
		},
		{
			name: "a linked target that is selected too is exported",
			targets: targets(
				target("base", 1),
				target("app", 10, contexts("src", "target:base")),
			),
			selection: []string{"app", "base"},
			want: map[string]nodeView{
				"base": {Export: true, Reasons: []string{"selected", "needed by app as context src"}},
				"app":  {Deps: []string{"data:base:src"}, Export: true, Reasons: []string{"selected"}},
			},
		},
		{
			name: "depends_on pulls a target in and exports it",
			targets: targets(
				target("migrate", 1),
				target("api", 10, dependsOn("migrate", "migrate")),
			),
			selection: []string{"api"},
			want: map[string]nodeView{
				"migrate": {Export: true, Reasons: []string{"ordered before api"}},
				"api":     {Deps: []string{"order:migrate"}, Export: true, Reasons: []string{"selected"}},
			},
		},
		{
			name: "links are followed transitively and other context kinds ignored",
			targets: targets(
				target("tools", 1),
				target("base", 10, contexts("tools", "target:tools", "alpine", "docker-image://alpine:3", "src", "./src")),
				target("app", 20, contexts("base", "target:base"), dependsOn("base")),
				target("unrelated", 30),
			),
			selection: []string{"app"},
			want: map[string]nodeView{
				"tools": {Reasons: []string{"needed by base as context tools"}},
				"base": {
					Deps: []string{"data:tools:tools"}, Export: true,
					Reasons: []string{"needed by app as context base", "ordered before app"},
				},
				"app": {Deps: []string{"order:base", "data:base:base"}, Export: true, Reasons: []string{"selected"}},
			},
		},
		{
			name: "one parent under two context names",
			targets: targets(
				target("base", 1),
				target("app", 10, contexts("b", "target:base", "a", "target:base")),
			),
			selection: []string{"app"},
			want: map[string]nodeView{
				"base": {Reasons: []string{"needed by app as context a", "needed by app as context b"}},
				"app":  {Deps: []string{"data:base:a", "data:base:b"}, Export: true, Reasons: []string{"selected"}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustPlan(t, conf(tt.targets), tt.selection...)
			if diff := cmp.Diff(tt.want, view(p)); diff != "" {
				t.Errorf("nodes (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLinkErrors(t *testing.T) {
	tests := []struct {
		name      string
		targets   []*config.Target
		selection []string
		want      string
	}{
		{
			name: "unknown context target",
			targets: targets(
				target("base", 1),
				target("app", 10, contexts("base", "target:bse")),
			),
			want: `orch.hcl:11: target "app" context "base" names unknown target "bse"; did you mean "base"?`,
		},
		{
			name: "unknown depends_on target",
			targets: targets(
				target("migrate", 1),
				target("app", 10, dependsOn("migrat", "nothing-like-it")),
			),
			want: lines(
				`orch.hcl:12: target "app" depends_on names unknown target "migrat"; did you mean "migrate"?`,
				`orch.hcl:12: target "app" depends_on names unknown target "nothing-like-it"`,
			),
		},
		{
			name:    "self-link through a context",
			targets: targets(target("app", 10, contexts("self", "target:app"))),
			want:    `orch.hcl:11: target "app" links to itself as context "self"`,
		},
		{
			name: "a context value's own line is used when known",
			targets: targets(
				target("base", 1),
				target("app", 10, contexts("a", "target:base", "b", "target:bse"), contextAt("a", 12), contextAt("b", 13)),
			),
			want: `orch.hcl:13: target "app" context "b" names unknown target "bse"; did you mean "base"?`,
		},
		{
			name:    "self-link through depends_on",
			targets: targets(target("app", 10, dependsOn("app"))),
			want:    `orch.hcl:12: target "app" links to itself through depends_on`,
		},
		{
			name: "two-target cycle",
			targets: targets(
				target("a", 1, contexts("b", "target:b")),
				target("b", 10, dependsOn("a")),
			),
			selection: []string{"b"},
			want: lines(
				`dependency cycle: a → b → a`,
				`  orch.hcl:2: target "a" uses "b" as context "b"`,
				`  orch.hcl:12: target "b" depends on "a"`,
			),
		},
		{
			name: "three-target cycle behind a tail starts at its first name",
			targets: targets(
				target("app", 1, contexts("base", "target:x")),
				target("x", 10, dependsOn("y")),
				target("y", 20, contexts("z", "target:z")),
				target("z", 30, dependsOn("x")),
			),
			selection: []string{"app"},
			want: lines(
				`dependency cycle: x → y → z → x`,
				`  orch.hcl:12: target "x" depends on "y"`,
				`  orch.hcl:21: target "y" uses "z" as context "z"`,
				`  orch.hcl:32: target "z" depends on "x"`,
			),
		},
		{
			name: "the shortest cycle through the first target is shown",
			targets: targets(
				target("a", 1, dependsOn("b", "c")),
				target("b", 10, dependsOn("c")),
				target("c", 20, dependsOn("a")),
			),
			selection: []string{"a"},
			want: lines(
				`dependency cycle: a → c → a`,
				`  orch.hcl:3: target "a" depends on "c"`,
				`  orch.hcl:22: target "c" depends on "a"`,
			),
		},
		{
			name: "separate cycles are each reported",
			targets: targets(
				target("a", 1, dependsOn("b")),
				target("b", 10, dependsOn("a")),
				target("c", 20, dependsOn("d")),
				target("d", 30, dependsOn("c")),
			),
			selection: []string{"all"},
			want: lines(
				`dependency cycle: a → b → a`,
				`  orch.hcl:3: target "a" depends on "b"`,
				`  orch.hcl:12: target "b" depends on "a"`,
				`dependency cycle: c → d → c`,
				`  orch.hcl:22: target "c" depends on "d"`,
				`  orch.hcl:32: target "d" depends on "c"`,
			),
		},
		{
			name: "child platforms not a subset of the parent's",
			targets: targets(
				target("base", 1, platforms("linux/amd64", "linux/arm64")),
				target("app", 10, contexts("base", "target:base"), platforms("linux/amd64", "linux/riscv64", "linux/s390x")),
			),
			want: `orch.hcl:11: target "app" uses "base" as context "base", but "base" does not build linux/riscv64, linux/s390x ` +
				`(declared at orch.hcl:4: linux/amd64, linux/arm64); when both build several platforms, ` +
				`those of "app" must be a subset of those of "base"`,
		},
		{
			name: "problems of several kinds are all reported",
			targets: targets(
				target("a", 1, dependsOn("b", "zz")),
				target("b", 10, dependsOn("a")),
				target("c", 20, contexts("a", "target:a"), platforms("linux/amd64", "linux/arm64")),
				target("a2", 30, platforms("linux/amd64", "linux/386")),
				target("d", 40, contexts("a2", "target:a2"), platforms("linux/amd64", "linux/arm64")),
			),
			selection: []string{"c", "d"},
			want: lines(
				`orch.hcl:3: target "a" depends_on names unknown target "zz"`,
				`dependency cycle: a → b → a`,
				`  orch.hcl:3: target "a" depends on "b"`,
				`  orch.hcl:12: target "b" depends on "a"`,
				`orch.hcl:41: target "d" uses "a2" as context "a2", but "a2" does not build linux/arm64 `+
					`(declared at orch.hcl:33: linux/amd64, linux/386); when both build several platforms, `+
					`those of "d" must be a subset of those of "a2"`,
			),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sel := tt.selection
			if sel == nil {
				sel = []string{"app"}
			}
			p, err := New(conf(tt.targets), sel)
			if p != nil {
				t.Errorf("New returned a plan with the error %v", err)
			}
			if diff := cmp.Diff(tt.want, errText(err)); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPlatformRuleAllows(t *testing.T) {
	tests := []struct {
		name          string
		child, parent []string
	}{
		{"subset", []string{"linux/arm64", "linux/amd64"}, []string{"linux/amd64", "linux/arm64", "linux/386"}},
		{"child has one platform", []string{"linux/riscv64"}, []string{"linux/amd64", "linux/arm64"}},
		{"parent has one platform", []string{"linux/amd64", "linux/arm64"}, []string{"linux/riscv64"}},
		{"neither has platforms", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mustPlan(t, conf(targets(
				target("base", 1, platforms(tt.parent...)),
				target("app", 10, contexts("base", "target:base"), platforms(tt.child...)),
			)), "app")
		})
	}
	t.Run("order edges carry no platforms", func(t *testing.T) {
		mustPlan(t, conf(targets(
			target("base", 1, platforms("linux/amd64", "linux/arm64")),
			target("app", 10, dependsOn("base"), platforms("linux/s390x", "linux/riscv64")),
		)), "app")
	})
}

func TestLinkErrorTypes(t *testing.T) {
	_, err := New(conf(targets(
		target("a", 1, dependsOn("a")),
		target("b", 10, contexts("c", "target:c")),
		target("c", 20, contexts("b", "target:b")),
	)), []string{"all"})
	var self *SelfLinkError
	if !errors.As(err, &self) || self.Link.From != "a" || self.Link.Kind != OrderEdge {
		t.Errorf("want a SelfLinkError on a, got %#v", self)
	}
	var cycle *CycleError
	if !errors.As(err, &cycle) {
		t.Fatalf("want a CycleError, got %v", err)
	}
	if got, want := cycle.Path(), "b → c → b"; got != want {
		t.Errorf("cycle path = %q, want %q", got, want)
	}
	for i, l := range cycle.Links {
		if next := cycle.Links[(i+1)%len(cycle.Links)]; l.To != next.From {
			t.Errorf("link %d ends at %s but link %d starts at %s", i, l.To, i+1, next.From)
		}
	}
	if n := len(unjoin(err)); n != 2 {
		t.Errorf("got %d errors, want 2: %v", n, err)
	}
}

// TestLongCycle checks a cycle through many targets is found and printed
// whole, and that deep chains do not trouble the recursive search.
func TestLongCycle(t *testing.T) {
	const n = 5000
	var ts []*config.Target
	for i := range n {
		ts = append(ts, target(fmt.Sprintf("t%04d", i), i*10, dependsOn(fmt.Sprintf("t%04d", (i+1)%n))))
	}
	_, err := New(conf(ts), []string{"t0000"})
	var cycle *CycleError
	if !errors.As(err, &cycle) {
		t.Fatalf("want a CycleError, got %v", err)
	}
	if len(cycle.Links) != n {
		t.Errorf("cycle has %d links, want %d", len(cycle.Links), n)
	}
}
