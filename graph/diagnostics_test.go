package graph

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"

	"github.com/orch-build/orch/config"
)

func TestDiagnostics(t *testing.T) {
	// diag is what the test compares of a diagnostic.
	type diag struct {
		Summary, Detail string
		Line            int // subject line, 0 for none
	}
	tests := []struct {
		name      string
		cfg       *config.Config
		selection []string
		want      []diag
	}{
		{
			name:      "unknown names and patterns",
			cfg:       conf(targets(target("app", 1)), group("g", 5, "ap")),
			selection: []string{"g", "aap", "x*", "["},
			want: []diag{
				{"Unknown target or group", `Group "g" names "ap", which is neither a target nor a group. Did you mean "app"?`, 5},
				{"Unknown target or group", `The selection names "aap", which is neither a target nor a group. Did you mean "app"?`, 0},
				{"No match", `The pattern "x*" matches no target or group.`, 0},
				{"Invalid pattern", `The pattern "[" is malformed: syntax error in pattern.`, 0},
			},
		},
		{
			name: "nothing to build",
			cfg:  conf(targets(target("app", 1))),
			want: []diag{{"Nothing to build", `No target or group was named and the files declare no "default" group or target. Name targets or groups, use "all", or declare a group "default".`, 0}},
		},
		{
			name: "links",
			cfg: conf(targets(
				target("a", 1, contexts("x", "target:a")),
				target("b", 10, dependsOn("c", "nope")),
				target("c", 20, dependsOn("b")),
				target("p", 30, platforms("linux/amd64", "linux/arm64")),
				target("q", 40, contexts("p", "target:p"), platforms("linux/amd64", "linux/386")),
			)),
			selection: []string{"all"},
			want: []diag{
				{"Target links to itself", `Target "a" links to itself as context "x". Remove the link: a target cannot wait for its own result.`, 2},
				{"Unknown target", `Target "b" depends_on names "nope", which is not a target.`, 12},
				{"Dependency cycle", lines(
					`The targets b → c → b wait for each other, so none can start:`,
					`  orch.hcl:12: target "b" depends on "c"`,
					`  orch.hcl:22: target "c" depends on "b"`,
					`Remove one of these links.`), 12},
				{"Platforms not built by the linked target", `Target "q" uses "p" as context "p", but "p" does not build linux/386 ` +
					`(declared at orch.hcl:33: linux/amd64, linux/arm64); when both build several platforms, those of "q" must be a subset of those of "p".`, 41},
			},
		},
		{
			name: "destination conflict",
			cfg: conf(targets(
				target("a", 1, outputs(out("local", "/w/o"))),
				target("b", 10, outputs(out("local", "/w/o"))),
			)),
			selection: []string{"all"},
			want: []diag{{"Destination conflict", lines(
				`/w/o is written by 2 outputs:`,
				`  orch.hcl:5: target "a" output 1 (local:/w/o)`,
				`  orch.hcl:14: target "b" output 1 (local:/w/o)`,
				`One of them would overwrite or corrupt what another wrote; give each output a path of its own.`), 5}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg, tt.selection)
			var got []diag
			for _, d := range Diagnostics(err) {
				if d.Severity != hcl.DiagError {
					t.Errorf("%s: severity %v, want error", d.Summary, d.Severity)
				}
				line := 0
				if d.Subject != nil {
					line = d.Subject.Start.Line
				}
				got = append(got, diag{d.Summary, d.Detail, line})
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("diagnostics (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("other errors", func(t *testing.T) {
		got := Diagnostics(errors.New("something else"))
		if len(got) != 1 || got[0].Summary != "Cannot plan" || got[0].Detail != "Something else" {
			t.Errorf("got %v", got)
		}
		if Diagnostics(nil) != nil {
			t.Errorf("Diagnostics(nil) is not nil")
		}
	})
}
