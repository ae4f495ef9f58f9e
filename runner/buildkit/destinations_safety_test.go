package buildkit

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/opencontainers/go-digest"

	"github.com/orch-build/orch/config"
	"github.com/orch-build/orch/internal/testbed"
	"github.com/orch-build/orch/runner"
	"github.com/orch-build/orch/runner/dest"
)

// TestLocalOutputKeepsTheProject: the bake idiom `output = ["."]` writes
// the build's files into the project and keeps every other file, the
// project directory's mode and a symbolic link that names a destination.
func TestLocalOutputKeepsTheProject(t *testing.T) {
	p := newProject(t, map[string]string{
		"orch.hcl": `
target "bin" {
  dockerfile-inline = "FROM scratch\nCOPY built.src /bin/app\nCOPY built.src /LICENSE.built\n"
  output            = ["."]
}
target "linked" {
  dockerfile-inline = "FROM scratch\nCOPY built.src /linked\n"
  output            = ["type=local,dest=link-to-out"]
}`,
		"built.src":       "new binary\n",
		"README.md":       "my project\n",
		"src/main.go":     "package main\n",
		"bin/app":         "old binary\n",
		"bin/helper":      "my helper\n",
		"real/out/mine":   "mine\n",
		".git/HEAD":       "ref: refs/heads/main\n",
		"docs/guide.md":   "guide\n",
		"docs/sub/x.txt":  "x\n",
		".hidden/keep.me": "keep\n",
	})
	if err := os.Symlink("real/out", p.path("link-to-out")); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p.dir, 0o750); err != nil {
		t.Fatal(err)
	}
	before := testbed.Tree(t, p.dir)

	p.mustBuild(buildOpts{})

	want := before
	want["bin/app"] = "-rw-r--r-- new binary\n"
	want["LICENSE.built"] = "-rw-r--r-- new binary\n"
	want["real/out/linked"] = "-rw-r--r-- new binary\n"
	if diff := cmp.Diff(want, testbed.Tree(t, p.dir)); diff != "" {
		t.Errorf("the project after the build (-want +got):\n%s", diff)
	}
	assertNoStaging(t, p.dir)
	assertNoStaging(t, filepath.Dir(p.dir))
	assertNoStaging(t, p.path("real"))
}

// TestWrongKindOfDestinationBeforeBuilding: a destination that is a file
// where a directory goes, a directory where a file goes, a directory that
// is not an OCI layout, and the file system root are refused by the
// preflight at the output's line, before any solve.
func TestWrongKindOfDestinationBeforeBuilding(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{"a-file": "x", "notes/mine.txt": "mine", "a-dir/keep": "k"} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	hcl := `
target "local-on-file" {
  dockerfile-inline = "FROM scratch"
  output            = ["type=local,dest=a-file"]
}
target "tar-on-dir" {
  dockerfile-inline = "FROM scratch"
  output            = ["type=tar,dest=a-dir"]
}
target "layout-on-notes" {
  dockerfile-inline = "FROM scratch"
  output            = ["type=oci,tar=false,dest=notes"]
}
target "root" {
  dockerfile-inline = "FROM scratch"
  output            = ["type=local,dest=/"]
}
target "fine" {
  dockerfile-inline = "FROM scratch"
  output            = ["type=local,dest=notes/sub"]
}`
	if err := os.WriteFile(filepath.Join(dir, "orch.hcl"), []byte(hcl), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, diags := config.Load(config.Options{Files: []string{filepath.Join(dir, "orch.hcl")}, WorkDir: dir, Env: []string{}})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	// The targets' own checks: planned together these outputs also nest
	// (the layout notes inside local:/, notes/sub inside the layout), which
	// the planner refuses first.
	var targets []*config.Target
	for _, name := range slices.Sorted(maps.Keys(cfg.Targets)) {
		targets = append(targets, cfg.Targets[name])
	}
	var got []string
	for _, d := range CheckTargets(targets, nil) {
		got = append(got, fmt.Sprintf("%d: %s", d.Subject.Start.Line, strings.ReplaceAll(d.Detail, dir, "DIR")))
	}
	slices.Sort(got)
	want := []string{
		`12: Target "layout-on-notes": output type=oci,dest=DIR/notes: DIR/notes exists and is not an OCI image layout (no oci-layout); remove it or choose another dest.`,
		`16: Target "root": output type=local,dest=/: orch does not write into the file system root; choose a directory below it.`,
		`4: Target "local-on-file": output type=local,dest=DIR/a-file: DIR/a-file is a file, and this output writes a directory; remove it or choose another dest.`,
		`8: Target "tar-on-dir": output type=tar,dest=DIR/a-dir: DIR/a-dir is a directory, and this output writes a file; remove it or choose another dest.`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("preflight (-want +got):\n%s", diff)
	}
}

// TestNoStagingAfterFailures: whatever fails — a build step, a commit the
// destination refuses, a destination that became the wrong kind — no
// staging is left beside the destinations, and the user's files stay.
func TestNoStagingAfterFailures(t *testing.T) {
	p := newProject(t, map[string]string{
		"orch.hcl": `
variable "BUSYBOX" {}
variable "FAIL" { default = "no" }
target "_base" {
  contexts = { busybox = BUSYBOX }
  args     = { FAIL = FAIL }
}
target "tar" {
  inherits = ["_base"]
  output   = ["type=tar,dest=out/rootfs.tar"]
}
target "conflict" {
  inherits = ["_base"]
  output   = ["type=local,dest=out/tree"]
}
target "layout" {
  inherits = ["_base"]
  output   = ["type=oci,tar=false,dest=out/layout"]
}`,
		"Dockerfile": busyboxDockerfile + "ARG FAIL\nRUN test \"$FAIL\" != yes && mkdir -p /sub && echo built > /sub/file\n",
		// The build writes sub/ as a directory; here it is a file.
		"out/tree/sub":         "a file of mine\n",
		"out/layout/notes.txt": "not a layout\n",
	})
	before := testbed.Tree(t, p.path("out"))

	// A failing step: nothing is written, nothing is left.
	_, err := p.build(buildOpts{vars: map[string]string{"FAIL": "yes"}, runner: runner.Options{KeepGoing: true}})
	if !errors.Is(err, runner.ErrFailed) {
		t.Fatalf("failing step: error %v, want ErrFailed", err)
	}
	if diff := cmp.Diff(before, testbed.Tree(t, p.path("out"))); diff != "" {
		t.Errorf("a failed step changed out/ (-before +after):\n%s", diff)
	}
	assertNoStaging(t, p.path("out"))

	// The steps succeed: tar is written; the conflicting tree and the
	// directory that is not a layout fail with their paths.
	rep, err := p.build(buildOpts{runner: runner.Options{KeepGoing: true}})
	if !errors.Is(err, runner.ErrFailed) {
		t.Fatalf("error %v, want ErrFailed", err)
	}
	if o := outcome(t, rep, "tar"); !o.Status.Succeeded() {
		t.Errorf("tar: %s: %v", o.Status, o.Err)
	}
	for name, want := range map[string]string{
		"conflict": p.path("out/tree/sub") + " is a file or link where the build writes a directory; nothing was written",
		"layout":   p.path("out/layout") + " exists and is not an OCI image layout (no oci-layout)",
	} {
		if o := outcome(t, rep, name); o.Status != runner.StatusFailed || !strings.Contains(o.Err.Error(), want) {
			t.Errorf("%s: %s: %v; want it to fail saying %q", name, o.Status, o.Err, want)
		}
	}
	after := testbed.Tree(t, p.path("out"))
	delete(after, "rootfs.tar")
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("the failed commits changed out/ (-before +after):\n%s", diff)
	}
	assertNoStaging(t, p.path("out"))
}

// TestLayoutLinkedNamesOneLock: a run writing real/layout holds the lock
// that a run writing link-to-layout, a symbolic link to it, needs: the
// second is refused; the layout is whole.
func TestLayoutLinkedNamesOneLock(t *testing.T) {
	p := layoutProject(t)
	if err := os.MkdirAll(p.path("out"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("out/images", p.path("link-to-images")); err != nil {
		t.Fatal(err)
	}
	err := secondRunWhileLocked(t, p, p.path("out/.images.orch-lock"),
		buildOpts{sets: []string{"*.output=type=oci,tar=false,dest=link-to-images"}, vars: map[string]string{"STAMP": "b"}})
	if !errors.Is(err, dest.ErrLayoutBusy) {
		t.Fatalf("second run through the link: error %v, want ErrLayoutBusy", err)
	}
	got, _ := checkLayout(t, p.path("out/images"))
	if diff := cmp.Diff(wantLayout("a"), got); diff != "" {
		t.Errorf("layout entries (-want +got):\n%s", diff)
	}
}

// TestRestartedRegistryRetried: the registry goes away (killed by pid)
// while the target builds, so the push meets refused connections; with
// --retries the target is tried again once the registry is back on its
// port with its storage, and the run succeeds.
func TestRestartedRegistryRetried(t *testing.T) {
	reg := testbed.StartRegistry(t)
	p := newProject(t, map[string]string{
		"orch.hcl": fmt.Sprintf(`
variable "BUSYBOX" {}
target "app" {
  contexts = { busybox = BUSYBOX }
  tags     = ["%s/restart/app:v1"]
  output   = ["type=registry"]
}`, reg.Host),
		"Dockerfile": busyboxDockerfile + "RUN echo pushed > /pushed\n",
	})
	obs := runner.ObserverFunc(func(ev runner.Event) {
		switch {
		case ev.Kind == runner.AttemptStarted && ev.Attempt.Number == 1:
			reg.Kill(t)
		case ev.Kind == runner.AttemptFinished && ev.Attempt.Number == 1 && ev.Attempt.Err != nil:
			reg.Restart(t)
		}
	})
	rep, _ := p.mustRun(buildOpts{runner: runner.Options{Retries: 3, RetryDelay: 10 * time.Millisecond, Observer: obs}}, destOpts{})
	o := outcome(t, rep, "app")
	if len(o.Attempts) != 2 || !o.Attempts[0].Transient || !errors.Is(o.Attempts[0].Err, syscall.ECONNREFUSED) {
		t.Fatalf("attempts %+v; want a first one refused by the dead registry, transient, and a second", o.Attempts)
	}
	if _, raw := reg.Manifest(t, "restart/app", "v1"); digest.FromBytes(raw).String() != o.Result.Digest {
		t.Errorf("v1 is not the built digest %s", o.Result.Digest)
	}
	t.Logf("first attempt: %v", o.Attempts[0].Err)
}

// TestAtomicSecondRegistryDies: an atomic run pushing one image to two
// registries, whose second registry dies (killed by pid) after the build
// and before the tags move, fails and leaves both tags where they were.
func TestAtomicSecondRegistryDies(t *testing.T) {
	reg1, reg2 := testbed.StartRegistry(t), testbed.StartRegistry(t)
	p := newProject(t, map[string]string{
		"orch.hcl": fmt.Sprintf(`
variable "BUSYBOX" {}
variable "STAMP" { default = "a" }
target "app" {
  contexts = { busybox = BUSYBOX }
  args     = { STAMP = STAMP }
  tags     = ["%s/two/app:v1", "%s/two/app:v1"]
  output   = ["type=registry"]
}`, reg1.Host, reg2.Host),
		"Dockerfile": busyboxDockerfile + "ARG STAMP\nRUN echo $STAMP > /stamp\n",
	})
	p.mustRun(buildOpts{}, destOpts{})
	tags := func() [2]string {
		var out [2]string
		for i, r := range []*testbed.Registry{reg1, reg2} {
			_, raw := r.Manifest(t, "two/app", "v1")
			out[i] = digest.FromBytes(raw).String()
		}
		return out
	}
	before := tags()

	rep, _, err := p.run(buildOpts{vars: map[string]string{"STAMP": "b"}}, destOpts{atomic: true, beforePublish: func() { reg2.Kill(t) }})
	if !errors.Is(err, runner.ErrFailed) {
		t.Fatalf("atomic run: error %v, want ErrFailed", err)
	}
	reg2.Restart(t)
	if got := tags(); got != before {
		t.Errorf("tags moved: before %v, after %v", before, got)
	}
	o := outcome(t, rep, "app")
	if o.Result.Digest == before[0] {
		t.Fatal("the atomic run built the old image; the test proves nothing")
	}
	// The new image is in both registries, by digest only.
	reg1.Manifest(t, "two/app", o.Result.Digest)
	reg2.Manifest(t, "two/app", o.Result.Digest)
	if !slices.ContainsFunc(rep.Warnings, func(w string) bool { return strings.Contains(w, "no tag was moved") }) {
		t.Errorf("warnings %q do not say that no tag moved", rep.Warnings)
	}
	t.Logf("warnings: %q", rep.Warnings)
}
