package buildkit

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/subrequests/lint"
	"github.com/moby/buildkit/frontend/subrequests/outline"
	"github.com/moby/buildkit/solver/pb"

	"github.com/orch-build/orch/config"
)

// lintAnswer is the metadata the Dockerfile frontend answers a lint with:
// one warning per line given, and err when it could not read the file.
func lintAnswer(t *testing.T, dockerfile string, warnLines []int, err *lint.BuildError) map[string][]byte {
	t.Helper()
	var lr lint.LintResults
	// As the frontend names its source: after the filename attribute.
	lr.Sources = append(lr.Sources, &pb.SourceInfo{Filename: "Dockerfile", Language: "Dockerfile", Data: []byte(dockerfile)})
	src := 0
	for _, l := range warnLines {
		lr.AddWarning("RuleAt"+string(rune('0'+l)), "a rule", "https://docs.example/rule", "something at this line", src,
			[]parser.Range{{Start: parser.Position{Line: l}, End: parser.Position{Line: l}}})
	}
	lr.Error = err
	res, rerr := lr.ToResult(nil)
	if rerr != nil {
		t.Fatal(rerr)
	}
	return res.Metadata
}

// TestCallResultLint: a lint answer prints as buildx prints it: the
// count, each warning with its rule, URL and lines under the Dockerfile's
// name as the definition gives it, or that there were none; the status
// says whether anything was found; an unreadable Dockerfile is the
// result's Error, at its line.
func TestCallResultLint(t *testing.T) {
	df := "FROM scratch as base\nENV key value\nCOPY a /a\n"
	got, err := callResult("lint", lintAnswer(t, df, []int{2}, nil), "app/Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	want := "Check complete, 1 warning has been found!\n\n" +
		"WARNING: RuleAt2 - https://docs.example/rule\nsomething at this line\n" +
		"app/Dockerfile:2\n--------------------\n   1 |     FROM scratch as base\n   2 | >>> ENV key value\n   3 |     COPY a /a\n   4 |     \n--------------------\n"
	if diff := cmp.Diff(want, got.Text); diff != "" {
		t.Errorf("text (-want +got):\n%s", diff)
	}
	if got.Method != "check" || got.Status != 1 || got.Error != "" || !strings.Contains(string(got.JSON), `"ruleName": "RuleAt2"`) {
		t.Errorf("method %q, status %d, error %q, json %s", got.Method, got.Status, got.Error, got.JSON)
	}

	two, err := callResult("lint", lintAnswer(t, df, []int{3, 1}, nil), "Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(two.Text, "Check complete, 2 warnings have been found!\n") || strings.Index(two.Text, "RuleAt1") > strings.Index(two.Text, "RuleAt3") {
		t.Errorf("two warnings, in line order:\n%s", two.Text)
	}

	clean, err := callResult("lint", lintAnswer(t, df, nil, nil), "Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	if clean.Text != "Check complete, no warnings found.\n" || clean.Status != 0 {
		t.Errorf("no warnings: %q, status %d", clean.Text, clean.Status)
	}

	broken, err := callResult("lint", lintAnswer(t, df, nil, &lint.BuildError{Message: "invalid syntax",
		Location: pb.Location{Ranges: []*pb.Range{{Start: &pb.Position{Line: 3}, End: &pb.Position{Line: 3}}}}}), "inline")
	if err != nil {
		t.Fatal(err)
	}
	wantErr := "invalid syntax\ninline:3\n--------------------\n   1 |     FROM scratch as base\n   2 |     ENV key value\n   3 | >>> COPY a /a\n   4 |     \n--------------------\n"
	if broken.Text != "" || broken.Error != wantErr || broken.Status != 1 {
		t.Errorf("unreadable: text %q, status %d, error\n%s\nwant\n%s", broken.Text, broken.Status, broken.Error, wantErr)
	}
}

// TestCallResultOutline: outline prints with BuildKit's printer; an
// answer of a newer version than this client knows prints as the
// frontend rendered it.
func TestCallResultOutline(t *testing.T) {
	o := outline.Outline{Name: "final", Args: []outline.Arg{{Name: "VERSION", Value: "1"}}}
	res, err := o.ToResult()
	if err != nil {
		t.Fatal(err)
	}
	got, err := callResult("outline", res.Metadata, "Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	if want := "TARGET: final\n\nBUILD ARG   VALUE   DESCRIPTION\nVERSION     1       \n\n"; got.Text != want || got.Method != "outline" || got.Status != 0 {
		t.Errorf("outline %q (method %q, status %d), want %q", got.Text, got.Method, got.Status, want)
	}
	res.Metadata["version"] = []byte("9.0.0")
	res.Metadata["result.txt"] = []byte("as the frontend prints it\n")
	newer, err := callResult("outline", res.Metadata, "Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	if newer.Text != "as the frontend prints it\n" {
		t.Errorf("newer answer printed as %q", newer.Text)
	}
}

// TestCallAttribute: `call` takes bake's methods; anything else is an
// error at its line, before a build.
func TestCallAttribute(t *testing.T) {
	for _, tt := range []struct{ call, method, err string }{
		{call: "check", method: "lint"},
		{call: "lint", method: "lint"},
		{call: "outline", method: "outline"},
		{call: "targets,format=json", method: "targets"},
		{call: "build"},
		{call: "lint-all", err: `Target "app": call "lint-all": want build, check, outline or targets.`},
	} {
		t.Run(tt.call, func(t *testing.T) {
			p := newProject(t, map[string]string{
				"orch.hcl":   "target \"app\" {\n  call = \"" + tt.call + "\"\n}\n",
				"Dockerfile": "FROM scratch\n",
			})
			tg := loadTarget(t, p, "app")
			diags := CheckTargets([]*config.Target{tg}, nil)
			if tt.err != "" {
				if len(diags) != 1 || diags[0].Detail != tt.err || diags[0].Subject == nil || diags[0].Subject.Start.Line != 2 {
					t.Fatalf("diagnostics %v, want %q at line 2", diags, tt.err)
				}
				return
			}
			if len(diags) > 0 {
				t.Fatal(diags)
			}
			r, err := newRequest(tg, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer r.cleanup()
			if r.call != tt.method {
				t.Errorf("method %q, want %q", r.call, tt.method)
			}
		})
	}
}
