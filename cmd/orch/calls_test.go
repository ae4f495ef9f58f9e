package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/orch-build/orch/internal/testbed"
)

// callDockerfile has a lint warning on each of its first three lines
// (FromAsCasing; LegacyKeyValueFormat and SecretsUsedInArgOrEnv for the
// ENV; SecretsUsedInArgOrEnv for the ARG) and two stages with build
// arguments, for outline and targets.
const callDockerfile = `FROM scratch as base
ENV key value
ARG API_TOKEN=x
COPY hello /hello

# final ships the image
FROM base AS final
# VERSION is the version to stamp
ARG VERSION=1
COPY hello /again
`

// callFiles are the project of the --call tests: app with the warnings
// above, second with one warning in a subdirectory's Dockerfile, clean
// with none, and child, which builds FROM a target: link to clean.
var callFiles = map[string]string{
	"Dockerfile":       callDockerfile,
	"hello":            "hello\n",
	"sub/Dockerfile":   "FROM scratch\ncopy hello /x\n",
	"clean.Dockerfile": "FROM scratch\nCOPY hello /x\n",
	"child.Dockerfile": "FROM clean\ncopy hello /y\n",
	"orch.hcl": `target "app" {
  description = "the app"
  output      = ["type=local,dest=out/app"]
}
target "second" {
  dockerfile = "sub/Dockerfile"
}
target "clean" {
  dockerfile = "clean.Dockerfile"
}
target "child" {
  dockerfile = "child.Dockerfile"
  contexts   = { clean = "target:clean" }
}
`,
}

// callRun runs orch build with args in a fresh copy of the project, from
// its directory (bake shows Dockerfiles relative to it), on the test
// bed's buildkitd.
func callRun(t *testing.T, bk *testbed.BuildKit, args ...string) (code int, stdout, stderr string, dir string) {
	t.Helper()
	dir = t.TempDir()
	for name, content := range callFiles {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(dir)
	var out, errOut bytes.Buffer
	code = run(append([]string{"orch", "build", "--builder", bk.Addr, "--progress", "quiet"}, args...), &out, &errOut)
	return code, out.String(), errOut.String(), dir
}

// TestCallCheck: --call check (and --check) runs the Dockerfile
// frontend's checks instead of building and prints each warning at its
// Dockerfile line with the rule's name and URL, as bake prints it, under
// the target's name and description; warnings exit 1 unless
// ignorestatus=true; nothing is exported.
func TestCallCheck(t *testing.T) {
	bk := testbed.StartBuildKit(t)
	code, stdout, stderr, dir := callRun(t, bk, "--call", "check", "app", "second", "clean")
	want := `app
the app

Check complete, 4 warnings have been found!

WARNING: FromAsCasing - https://docs.docker.com/go/dockerfile/rule/from-as-casing/
'as' and 'FROM' keywords' casing do not match
Dockerfile:1
--------------------
   1 | >>> FROM scratch as base
   2 |     ENV key value
   3 |     ARG API_TOKEN=x
--------------------

WARNING: LegacyKeyValueFormat - https://docs.docker.com/go/dockerfile/rule/legacy-key-value-format/
"ENV key=value" should be used instead of legacy "ENV key value" format
Dockerfile:2
--------------------
   1 |     FROM scratch as base
   2 | >>> ENV key value
   3 |     ARG API_TOKEN=x
   4 |     COPY hello /hello
--------------------

WARNING: SecretsUsedInArgOrEnv - https://docs.docker.com/go/dockerfile/rule/secrets-used-in-arg-or-env/
Do not use ARG or ENV instructions for sensitive data (ENV "key")
Dockerfile:2
--------------------
   1 |     FROM scratch as base
   2 | >>> ENV key value
   3 |     ARG API_TOKEN=x
   4 |     COPY hello /hello
--------------------

WARNING: SecretsUsedInArgOrEnv - https://docs.docker.com/go/dockerfile/rule/secrets-used-in-arg-or-env/
Do not use ARG or ENV instructions for sensitive data (ARG "API_TOKEN")
Dockerfile:3
--------------------
   1 |     FROM scratch as base
   2 |     ENV key value
   3 | >>> ARG API_TOKEN=x
   4 |     COPY hello /hello
   5 |     
--------------------

clean

Check complete, no warnings found.

second

Check complete, 1 warning has been found!

WARNING: ConsistentInstructionCasing - https://docs.docker.com/go/dockerfile/rule/consistent-instruction-casing/
Command 'copy' should match the case of the command majority (uppercase)
sub/Dockerfile:2
--------------------
   1 |     FROM scratch
   2 | >>> copy hello /x
   3 |     
--------------------
`
	if diff := cmp.Diff(want, stdout); diff != "" {
		t.Errorf("stdout (-want +got):\n%s", diff)
	}
	if code != exitFailed || strings.TrimSpace(stderr) != "orch: the called method reported problems: check of app, check of second" {
		t.Errorf("exit %d, stderr %q; want %d and the targets with warnings named", code, stderr, exitFailed)
	}
	if _, err := os.Stat(filepath.Join(dir, "out")); !os.IsNotExist(err) {
		t.Errorf("a check exported app's output (%v)", err)
	}

	code, stdout, _, _ = callRun(t, bk, "--check", "clean")
	if code != exitOK || stdout != "clean\n\nCheck complete, no warnings found.\n" {
		t.Errorf("--check clean: exit %d, stdout %q", code, stdout)
	}
	code, stdout, stderr, _ = callRun(t, bk, "--call", "check,ignorestatus=true", "second")
	if code != exitOK || !strings.Contains(stdout, "Check complete, 1 warning has been found!") || stderr != "" {
		t.Errorf("ignorestatus: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

// TestCallCheckLinked: a target checked FROM a target: link is checked
// against its parent's result (bake stops at "unsupported context source
// target"); the parent, called too, prints its own answer.
func TestCallCheckLinked(t *testing.T) {
	bk := testbed.StartBuildKit(t)
	code, stdout, stderr, _ := callRun(t, bk, "--check", "child")
	want := `child

Check complete, 1 warning has been found!

WARNING: ConsistentInstructionCasing - https://docs.docker.com/go/dockerfile/rule/consistent-instruction-casing/
Command 'copy' should match the case of the command majority (uppercase)
child.Dockerfile:2
--------------------
   1 |     FROM clean
   2 | >>> copy hello /y
   3 |     
--------------------

clean

Check complete, no warnings found.
`
	if diff := cmp.Diff(want, stdout); diff != "" {
		t.Errorf("stdout (-want +got):\n%s", diff)
	}
	if code != exitFailed || !strings.Contains(stderr, "check of child") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

// TestCallOutlineTargets: outline lists the default stage's build
// arguments and targets lists the stages, as bake prints them; both exit
// 0. The call attribute in a file does the same as --call.
func TestCallOutlineTargets(t *testing.T) {
	bk := testbed.StartBuildKit(t)
	code, stdout, _, _ := callRun(t, bk, "--call", "outline", "app")
	want := "app\nthe app\n\nTARGET:      final\nDESCRIPTION: ships the image\n\nBUILD ARG   VALUE   DESCRIPTION\nAPI_TOKEN   x       \nVERSION     1       is the version to stamp\n\n"
	if code != exitOK || stdout != want {
		t.Errorf("outline: exit %d, stdout\n%q\nwant\n%q", code, stdout, want)
	}
	code, stdout, _, _ = callRun(t, bk, "--call", "targets", "app")
	want = "app\nthe app\n\nTARGET          DESCRIPTION\nbase            \nfinal (default) ships the image\n"
	if code != exitOK || stdout != want {
		t.Errorf("targets: exit %d, stdout\n%q\nwant\n%q", code, stdout, want)
	}
	code, stdout, _, _ = callRun(t, bk, "--set", "app.call=targets", "app")
	if code != exitOK || stdout != want {
		t.Errorf("call = targets: exit %d, stdout\n%q\nwant\n%q", code, stdout, want)
	}
}

// TestCallJSON: with format=json the answers come as one JSON document,
// as bake's: every target's definition under "build" beside its answer
// under the method's name; --metadata-file records the answers.
func TestCallJSON(t *testing.T) {
	bk := testbed.StartBuildKit(t)
	code, stdout, _, dir := callRun(t, bk, "--call", "check,format=json", "--metadata-file", "md.json", "app", "clean")
	var doc struct {
		Target map[string]struct {
			Build map[string]any `json:"build"`
			Check *struct {
				Warnings []struct {
					RuleName string `json:"ruleName"`
					URL      string `json:"url"`
					Location struct {
						Ranges []struct {
							Start struct{ Line int } `json:"start"`
						} `json:"ranges"`
					} `json:"location"`
				} `json:"warnings"`
			} `json:"check"`
		} `json:"target"`
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatalf("stdout is no JSON document: %v\n%s", err, stdout)
	}
	if code != exitFailed {
		t.Errorf("exit %d, want %d", code, exitFailed)
	}
	app := doc.Target["app"]
	if app.Build["description"] != "the app" || app.Check == nil || len(app.Check.Warnings) != 4 {
		t.Fatalf("app: %+v", app)
	}
	var got []string
	for _, w := range app.Check.Warnings {
		got = append(got, w.RuleName+":"+string(rune('0'+w.Location.Ranges[0].Start.Line)))
	}
	if diff := cmp.Diff([]string{"FromAsCasing:1", "LegacyKeyValueFormat:2", "SecretsUsedInArgOrEnv:2", "SecretsUsedInArgOrEnv:3"}, got, cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	if c := doc.Target["clean"].Check; c == nil || len(c.Warnings) != 0 {
		t.Errorf("clean: %+v", c)
	}
	// The metadata file holds each answer as buildx writes it: result.json
	// as an object, no build record.
	raw, err := os.ReadFile(filepath.Join(dir, "md.json"))
	if err != nil {
		t.Fatal(err)
	}
	var md map[string]struct {
		BuildRef   string `json:"buildx.build.ref"`
		ResultJSON struct {
			Warnings []any `json:"warnings"`
		} `json:"result.json"`
		Status string `json:"result.statuscode"`
	}
	if err := json.Unmarshal(raw, &md); err != nil {
		t.Fatalf("metadata file: %v\n%s", err, raw)
	}
	if a := md["app"]; len(a.ResultJSON.Warnings) != 4 || a.Status != "1" || a.BuildRef != "" {
		t.Errorf("metadata of app: %+v\n%s", a, raw)
	}
}
