package build

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	controlapi "github.com/moby/buildkit/api/services/control"
	"github.com/moby/buildkit/client"

	"github.com/orch-build/orch/graph"
	"github.com/orch-build/orch/internal/testbed"
	"github.com/orch-build/orch/runner"
)

// solvesSince counts the build records the daemon at addr holds that
// were created after start: every solve leaves one.
func solvesSince(t *testing.T, addr string, start time.Time) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	c, err := client.New(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	stream, err := c.ControlClient().ListenBuildHistory(ctx, &controlapi.BuildHistoryRequest{EarlyExit: true})
	if err != nil {
		t.Fatal(err)
	}
	refs := map[string]bool{}
	for {
		ev, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if r := ev.Record; r != nil && ev.Type != controlapi.BuildHistoryEventType_DELETED && r.CreatedAt.AsTime().After(start) {
			refs[r.Ref] = true
		}
	}
	return len(refs)
}

// incrFiles is a small shape of the monorepo: base, two libraries
// on it, three services on the libraries, COPY only, each writing an OCI
// layout of its own.
var incrFiles = map[string]string{
	"orch.hcl": `
target "base" {
  context = "base"
  output  = ["type=oci,tar=false,dest=out/base"]
}
target "lib" {
  name     = "lib${n}"
  matrix   = { n = ["1", "2"] }
  context  = "lib${n}"
  contexts = { base = "target:base" }
  output   = ["type=oci,tar=false,dest=out/lib${n}"]
}
target "svc" {
  name     = "svc${n}"
  matrix   = { n = ["1", "2", "3"] }
  context  = "svc${n}"
  contexts = { lib = n == "3" ? "target:lib2" : "target:lib1" }
  args     = { V = "1" }
  output   = ["type=oci,tar=false,dest=out/svc${n}"]
}
group "default" {
  targets = ["base", "lib", "svc"]
}
`,
	"base/Dockerfile":    "FROM scratch\nCOPY base.txt /\n",
	"base/base.txt":      "base\n",
	"lib1/Dockerfile":    "FROM base\nCOPY lib.txt /lib/\n",
	"lib1/lib.txt":       "lib1\n",
	"lib2/Dockerfile":    "FROM base\nCOPY lib.txt /lib/\n",
	"lib2/lib.txt":       "lib2\n",
	"svc1/Dockerfile":    "FROM lib\nARG V\nCOPY f.txt /svc/\n",
	"svc1/f.txt":         "svc1\n",
	"svc2/Dockerfile":    "FROM lib\nARG V\nCOPY . /svc/\n",
	"svc2/f.txt":         "svc2\n",
	"svc2/.dockerignore": "ignored.txt\n",
	"svc2/ignored.txt":   "not sent\n",
	"svc3/Dockerfile":    "FROM lib\nARG V\nCOPY f.txt /svc/\n",
	"svc3/f.txt":         "svc3\n",
}

// incrRun builds opts on the test bed and returns each target's status
// and how many solves reached the daemon.
func incrRun(t *testing.T, bk *testbed.BuildKit, opts Options) (map[string]runner.Status, int) {
	t.Helper()
	start := time.Now()
	res, err := Run(t.Context(), opts)
	if err != nil {
		var diags []string
		if res.Checked != nil {
			for _, d := range res.Diagnostics {
				diags = append(diags, d.Error())
			}
		}
		t.Fatalf("build: %v\n%s", err, strings.Join(diags, "\n"))
	}
	got := map[string]runner.Status{}
	for _, o := range res.Report.Outcomes {
		got[o.Name] = o.Status
	}
	return got, solvesSince(t, bk.Addr, start)
}

// built reads a status map as which targets were built (built or cached)
// and which are up to date.
func built(statuses map[string]runner.Status) (rebuilt, upToDate []string) {
	for name, s := range statuses {
		switch s {
		case runner.StatusBuilt, runner.StatusCached:
			rebuilt = append(rebuilt, name)
		case runner.StatusUpToDate:
			upToDate = append(upToDate, name)
		}
	}
	slices.Sort(rebuilt)
	slices.Sort(upToDate)
	return rebuilt, upToDate
}

// changes runs the incremental check as orch plan does and returns what
// it says of each target: "up-to-date" or the changes.
func changes(t *testing.T, opts Options) map[string]string {
	t.Helper()
	ch, err := Plan(t.Context(), opts)
	if err != nil {
		t.Fatalf("plan: %v", err)
	}
	out := map[string]string{}
	for _, n := range ch.Plan.Nodes {
		if n.Freshness.UpToDate {
			out[n.Name] = "up-to-date"
		} else {
			out[n.Name] = strings.Join(n.Freshness.Changes, "; ")
		}
	}
	return out
}

// TestIncrementalRules walks the rules of skipping on the test bed, one
// change at a time: a no-op sends no solve; a context file rebuilds its
// target and dependents; an ignored file nothing; --set of an arg its
// target; a deleted layout or one that lost a blob its target; --force
// everything; incremental = false and no-cache = true always build.
func TestIncrementalRules(t *testing.T) {
	bk := testbed.StartBuildKit(t)
	opts := writeProject(t, incrFiles)
	opts.Builder.Addr, opts.Progress = bk.Addr, "quiet"
	dir := opts.Config.WorkDir
	all := []string{"base", "lib1", "lib2", "svc1", "svc2", "svc3"}
	write := func(name, content string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	step := func(name string, o Options, wantBuilt []string, wantSolves int, wantPlan map[string]string) {
		t.Helper()
		t.Run(name, func(t *testing.T) {
			if wantPlan != nil {
				got := changes(t, o)
				for target, want := range wantPlan {
					if got[target] != want {
						t.Errorf("plan says of %s %q, want %q", target, got[target], want)
					}
				}
			}
			statuses, solves := incrRun(t, bk, o)
			rebuilt, fresh := built(statuses)
			var wantFresh []string
			for _, n := range all {
				if !slices.Contains(wantBuilt, n) {
					wantFresh = append(wantFresh, n)
				}
			}
			if diff := cmp.Diff(wantBuilt, rebuilt, cmp.Comparer(func(a, b []string) bool { return slices.Equal(a, b) || len(a)+len(b) == 0 })); diff != "" {
				t.Errorf("targets built (-want +got):\n%s\nstatuses: %v", diff, statuses)
			}
			if !slices.Equal(wantFresh, fresh) && len(wantFresh)+len(fresh) > 0 {
				t.Errorf("targets up to date %v, want %v", fresh, wantFresh)
			}
			if wantSolves >= 0 && solves != wantSolves {
				t.Errorf("%d solves reached the daemon, want %d", solves, wantSolves)
			}
		})
	}

	step("first run builds everything", opts, all, -1, nil)
	step("no-op run sends no solve", opts, nil, 0, map[string]string{"svc1": "up-to-date", "base": "up-to-date"})

	write("svc1/f.txt", "svc1 changed\n")
	// svc1 builds on lib1 and base: they are solved again for it, from
	// the cache, and stay up to date.
	step("a context file rebuilds its target", opts, []string{"svc1"}, 3, map[string]string{"svc1": "context file svc1/f.txt", "svc2": "up-to-date"})

	write("lib1/lib.txt", "lib1 changed\n")
	step("a library's file rebuilds it and its dependents", opts, []string{"lib1", "svc1", "svc2"}, -1,
		map[string]string{"lib1": "context file lib1/lib.txt", "svc1": "parent lib1", "svc3": "up-to-date"})

	write("svc2/ignored.txt", "still not sent\n")
	step("an ignored file rebuilds nothing", opts, nil, 0, map[string]string{"svc2": "up-to-date"})

	set := opts
	set.Config.Sets = []string{"svc3.args.V=2"}
	step("--set of an arg rebuilds its target", set, []string{"svc3"}, -1, map[string]string{"svc3": "arg V"})

	if err := os.RemoveAll(filepath.Join(dir, "out", "svc2")); err != nil {
		t.Fatal(err)
	}
	step("a deleted layout rebuilds its target", opts, []string{"svc2", "svc3"}, -1, map[string]string{"svc2": "destination out/svc2 missing"})

	blobs := filepath.Join(dir, "out", "svc1", "blobs", "sha256")
	layers, err := os.ReadDir(blobs)
	if err != nil || len(layers) == 0 {
		t.Fatalf("blobs of out/svc1: %v", err)
	}
	var lost string
	for _, e := range layers {
		if fi, err := e.Info(); err == nil && fi.Size() > 0 {
			raw, _ := os.ReadFile(filepath.Join(blobs, e.Name()))
			if !strings.HasPrefix(string(raw), "{") {
				lost = e.Name() // a layer, not a manifest or config
				break
			}
		}
	}
	if lost == "" {
		t.Fatalf("no layer blob in out/svc1")
	}
	if err := os.Remove(filepath.Join(blobs, lost)); err != nil {
		t.Fatal(err)
	}
	step("a layout missing a blob rebuilds its target", opts, []string{"svc1"}, -1, map[string]string{"svc1": "destination out/svc1 lacks blob sha256:" + lost})

	force := opts
	force.Force = true
	step("--force rebuilds everything", force, all, -1, map[string]string{"base": "--force"})
	step("and then nothing", opts, nil, 0, nil)

	write("orch.hcl", strings.Replace(incrFiles["orch.hcl"], `args     = { V = "1" }`, "args     = { V = \"1\" }\n  incremental = n != \"1\"", 1))
	step("incremental = false always builds", opts, []string{"svc1"}, -1, map[string]string{"svc1": "incremental = false", "svc2": "up-to-date"})
	write("orch.hcl", strings.Replace(incrFiles["orch.hcl"], `args     = { V = "1" }`, "args     = { V = \"1\" }\n  no-cache = n == \"2\"", 1))
	step("no-cache = true always builds", opts, []string{"svc2"}, -1, map[string]string{"svc2": "no-cache = true", "svc1": "up-to-date"})
}

// TestIncrementalPlanDocument: orch plan's JSON carries the state of every
// target, and the table its column.
func TestIncrementalPlanDocument(t *testing.T) {
	opts := writeProject(t, incrFiles)
	ch, err := Plan(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	doc := ch.Plan.Document()
	for _, tg := range doc.Targets {
		if tg.Incremental == nil || tg.Incremental.State != "build" || tg.Incremental.Fingerprint == "" {
			t.Errorf("%s: incremental %+v, want a build with a fingerprint", tg.Name, tg.Incremental)
		}
	}
	var table strings.Builder
	if err := ch.Plan.WriteTable(&table, graph.RenderOptions{Dir: opts.Config.WorkDir}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(table.String(), "STATE") || !strings.Contains(table.String(), "build: destination out/svc1 missing") {
		t.Errorf("plan table:\n%s", &table)
	}
}

// TestIncrementalSecrets: a secret's value, from the environment or from a
// file inside the context, is in no fingerprint, record, stat cache or
// destination; the file's content is in none either, not even hashed.
func TestIncrementalSecrets(t *testing.T) {
	bk := testbed.StartBuildKit(t)
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	const envValue, fileValue = "env-s3cr3t-value-8d1f", "file-s3cr3t-value-27ac"
	t.Setenv("ORCH_TEST_TOKEN", envValue)
	opts := writeProject(t, map[string]string{
		"orch.hcl": `
target "app" {
  secret = ["id=tok,env=ORCH_TEST_TOKEN", "id=npm,src=.npmrc"]
  output = ["type=oci,tar=false,dest=out/app", "type=local,dest=out/files"]
}`,
		"Dockerfile": "FROM scratch\nCOPY Dockerfile /\n",
		".npmrc":     fileValue,
		// The outputs are inside the context: a build must not change it.
		".dockerignore": "out\n",
	})
	opts.Builder.Addr, opts.Progress, opts.Targets = bk.Addr, "quiet", []string{"app"}
	statuses, _ := incrRun(t, bk, opts)
	if statuses["app"] != runner.StatusBuilt && statuses["app"] != runner.StatusCached {
		t.Fatalf("app: %s", statuses["app"])
	}
	if got := changes(t, opts); got["app"] != "up-to-date" {
		t.Fatalf("after the first run, plan says of app %q, want up-to-date", got["app"])
	}
	statuses, _ = incrRun(t, bk, opts)
	if statuses["app"] != runner.StatusUpToDate {
		t.Fatalf("second run: app %s, want up-to-date", statuses["app"])
	}
	// Editing the secret file rebuilds: its metadata is an input.
	if err := os.WriteFile(filepath.Join(opts.Config.WorkDir, ".npmrc"), []byte(fileValue+"-2"), 0o644); err != nil {
		t.Fatal(err)
	}
	got := changes(t, opts)
	if got["app"] != "context file .npmrc" {
		t.Errorf("after editing the secret file, plan says %q, want the file", got["app"])
	}
	if statuses, _ = incrRun(t, bk, opts); statuses["app"] == runner.StatusUpToDate {
		t.Errorf("the edited secret file did not rebuild app")
	}

	sum := func(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }
	needles := []string{envValue, fileValue, fileValue + "-2", sum(fileValue), sum(fileValue + "-2"), sum(envValue)}
	scanned := 0
	for _, root := range []string{cache, filepath.Join(opts.Config.WorkDir, "out", "app")} {
		err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			raw, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			scanned++
			for _, n := range needles {
				if strings.Contains(string(raw), n) {
					t.Errorf("%s holds a secret (%.12s...)", p, n)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if scanned < 5 {
		t.Errorf("scanned %d files; the cache and the layout should hold more", scanned)
	}
	// The record names the secrets by id.
	raw, err := filepathGlobRead(filepath.Join(cache, "orch", "targets", "*.json"))
	if err != nil || !strings.Contains(raw, `"secret ids"`) {
		t.Errorf("the record lacks the secret ids component: %v\n%s", err, raw)
	}
}

// filepathGlobRead reads the files matching pattern, concatenated.
func filepathGlobRead(pattern string) (string, error) {
	files, err := filepath.Glob(pattern)
	if err != nil {
		return "", err
	}
	if len(files) == 0 {
		return "", fmt.Errorf("no file matches %s", pattern)
	}
	var b strings.Builder
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			return "", err
		}
		b.Write(raw)
	}
	return b.String(), nil
}
