package dest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/orch-build/orch/internal/testbed"
)

// TestLocalKeepsWhatIsThere: `output = ["."]` in a project with files
// keeps every file the build does not write, replaces the one it does,
// and keeps the directory's mode.
func TestLocalKeepsWhatIsThere(t *testing.T) {
	root := t.TempDir()
	project := filepath.Join(root, "project")
	writeFiles(t, project, map[string]string{
		"orch.hcl":      "target \"bin\" {}",
		"README":        "mine",
		"src/main.go":   "package main",
		"bin/old-tool":  "old tool",
		"bin/app":       "old app",
		"docs/keep.txt": "keep",
	})
	if err := os.Chmod(project, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(project, "bin"), 0o711); err != nil {
		t.Fatal(err)
	}
	before := testbed.Tree(t, project)

	tg := target(project, "bin", nil, "type=local,dest=.")
	dests, err := stageAndCommit(t, tg, nil, map[string]string{"bin/app": "new app", "LICENSE": "built", "gen/out.txt": "generated"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"local:" + project}; !cmp.Equal(dests, want) {
		t.Errorf("destinations %v, want %v", dests, want)
	}
	want := before
	want["bin/app"] = "-rw-r--r-- new app"
	want["LICENSE"] = "-rw-r--r-- built"
	want["gen"] = "dir drwxr-xr-x"
	want["gen/out.txt"] = "-rw-r--r-- generated"
	if diff := cmp.Diff(want, testbed.Tree(t, project)); diff != "" {
		t.Errorf("project after the build (-want +got):\n%s", diff)
	}
	assertNoStaging(t, root)
}

// TestLocalSymlinkedDest: a dest that is a symbolic link to a directory
// stays a link; the files go into the directory it names, and the staging
// beside that directory, on its file system.
func TestLocalSymlinkedDest(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, filepath.Join(root, "real", "out"), map[string]string{"mine": "mine"})
	if err := os.Symlink(filepath.Join(root, "real", "out"), filepath.Join(root, "out")); err != nil {
		t.Fatal(err)
	}
	tg := target(root, "app", nil, "type=local,dest=out")
	if _, err := stageAndCommit(t, tg, nil, map[string]string{"built": "built"}); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Lstat(filepath.Join(root, "out"))
	if err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("out is no longer a symbolic link: %v, %v", fi.Mode(), err)
	}
	want := map[string]string{".": "dir drwxr-xr-x", "mine": "-rw-r--r-- mine", "built": "-rw-r--r-- built"}
	if diff := cmp.Diff(want, testbed.Tree(t, filepath.Join(root, "real", "out"))); diff != "" {
		t.Errorf("real/out (-want +got):\n%s", diff)
	}
	assertNoStaging(t, root)
	assertNoStaging(t, filepath.Join(root, "real"))
}

// TestLocalConflictWritesNothing: where the build writes a directory and
// the destination has a file, the commit fails before it moves anything,
// and removes its staging.
func TestLocalConflictWritesNothing(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, filepath.Join(root, "out"), map[string]string{"sub": "a file", "top": "old"})
	before := testbed.Tree(t, filepath.Join(root, "out"))
	tg := target(root, "app", nil, "type=local,dest=out")
	_, err := stageAndCommit(t, tg, nil, map[string]string{"top": "new", "sub/x": "x"})
	want := "output type=local,dest=" + filepath.Join(root, "out") + ": " + filepath.Join(root, "out", "sub") +
		" is a file or link where the build writes a directory; nothing was written; remove it or choose another dest"
	if err == nil || err.Error() != want {
		t.Fatalf("error\n%v\nwant\n%s", err, want)
	}
	if diff := cmp.Diff(before, testbed.Tree(t, filepath.Join(root, "out"))); diff != "" {
		t.Errorf("out changed (-before +after):\n%s", diff)
	}
	assertNoStaging(t, root)
}

// TestFailedCommitRemovesStaging: when the destination turned into
// something else while the target built, the commit fails with the path
// and the cause, leaves the destination as it is and removes its own
// staging, for a tar file and for an OCI layout.
func TestFailedCommitRemovesStaging(t *testing.T) {
	for _, tt := range []struct {
		name, output string
		want         string
	}{
		{"tar", "type=tar,dest=out/app.tar", "output type=tar,dest=DIR/out/app.tar: rename DIR/out/.app.tar.orch-stage-"},
		{"layout", "type=oci,tar=false,dest=out/app", "output type=oci,dest=DIR/out/app: DIR/out/app exists and is not an OCI image layout (no oci-layout); remove it or choose another dest"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			tg := target(root, "app", []string{"example.com/app:1"}, tt.output)
			r := openRun(t, tg)
			e := stageBuilt(t, r, tg, newTestImage(t, "a", "linux/amd64"), map[string]string{"f": "f"}, nil)
			// Meanwhile the user made the destination a directory of theirs.
			writeFiles(t, tg.Outputs[0].Dest, map[string]string{"notes.txt": "mine"})
			_, err := r.Commit(context.Background(), e)
			want := strings.ReplaceAll(tt.want, "DIR", root)
			if err == nil || !strings.HasPrefix(err.Error(), want) {
				t.Fatalf("error\n%v\nwant it to start with\n%s", err, want)
			}
			if raw, _ := os.ReadFile(filepath.Join(tg.Outputs[0].Dest, "notes.txt")); string(raw) != "mine" {
				t.Errorf("the user's file changed: %q", raw)
			}
			r.Close()
			assertNoStaging(t, filepath.Join(root, "out"))
		})
	}
}

// TestAbortRemovesStagingAndParents: an export that is aborted (the solve
// failed) leaves nothing, not even the parents it created.
func TestAbortRemovesStagingAndParents(t *testing.T) {
	root := t.TempDir()
	tg := target(root, "app", []string{"a:1"}, "type=local,dest=new/deeper/out", "type=tar,dest=new/x.tar", "type=oci,tar=false,dest=new/layout", "type=oci,dest=-")
	r, err := Open(planOf(tg), Options{})
	if err != nil {
		t.Fatal(err)
	}
	e, err := r.Stage(tg, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	var staged []string
	for _, w := range e.Writes {
		staged = append(staged, w.Dir+w.File)
	}
	for _, p := range staged {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("staging %s does not exist while the export runs: %v", p, err)
		}
	}
	e.Abort()
	r.Close()
	if entries, _ := os.ReadDir(root); len(entries) != 0 {
		t.Errorf("left after abort: %v", entries)
	}
	for _, p := range staged {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("staging %s left after abort (%v)", p, err)
		}
	}
}

// TestDeadRunsStagingRemoved: a run removes the staging of runs that no
// longer run (a dead pid, or a pid now used by a process that started
// later) beside its destinations, and keeps a live run's staging and
// every name without orch's marker.
func TestDeadRunsStagingRemoved(t *testing.T) {
	root := t.TempDir()
	out := filepath.Join(root, "out")
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	me := os.Getpid()
	names := map[string]bool{ // name → kept
		".app.orch-stage-" + strconv.Itoa(dead.Process.Pid) + "-12345-0a0b0c0d0e0f": false,
		".app.tar.orch-stage-" + strconv.Itoa(me) + "-1-0a0b0c0d0e0f":               false, // this pid, another start time
		".other.orch-stage-" + self() + "-0a0b0c0d0e0f":                             true,  // this very process
		".notes.orch-stage-keep":                                                    true,  // not a staging name
		"mine.txt":                                                                  true,
		".app.orch-0a0b0c0d0e0f":                                                    true, // an older orch's, whose owner is unknown
	}
	for n := range names {
		writeFiles(t, filepath.Join(out, n), map[string]string{"f": "x"})
	}
	tg := target(root, "app", nil, "type=local,dest=out/app")
	r, err := Open(planOf(tg), Options{})
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	for n, kept := range names {
		_, err := os.Stat(filepath.Join(out, n))
		if kept && err != nil {
			t.Errorf("%s was removed", n)
		}
		if !kept && err == nil {
			t.Errorf("%s was left", n)
		}
	}
}

// TestRealPath resolves links anywhere in a path, also dangling ones and
// paths that do not exist yet.
func TestRealPath(t *testing.T) {
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	writeFiles(t, filepath.Join(root, "real", "layout"), map[string]string{"f": "x"})
	for link, to := range map[string]string{
		"link-to-layout": filepath.Join(root, "real", "layout"),
		"link-to-real":   "real", // relative
		"dangling":       filepath.Join(root, "not", "yet"),
		"loop":           "loop",
	} {
		if err := os.Symlink(to, filepath.Join(root, link)); err != nil {
			t.Fatal(err)
		}
	}
	for in, want := range map[string]string{
		"link-to-layout":         "real/layout",
		"link-to-layout/sub/x":   "real/layout/sub/x",
		"link-to-real/layout":    "real/layout",
		"link-to-real/../real/a": "real/a",
		"dangling":               "not/yet",
		"dangling/deeper":        "not/yet/deeper",
		"missing/a/b":            "missing/a/b",
		"loop":                   "loop",
	} {
		if got := RealPath(filepath.Join(root, in)); got != filepath.Join(root, want) {
			t.Errorf("RealPath(%s) = %s, want %s", in, got, filepath.Join(root, want))
		}
	}
}
