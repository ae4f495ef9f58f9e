package build

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// gitIn runs git with args in dir, failing the test on an error. Commits
// get a fixed author, so no user configuration is read.
func gitIn(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "user.name=orch", "-c", "user.email=orch@example.com", "-c", "commit.gpgsign=false"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// TestAffectedSince: --affected-since REV on a temporary git repository
// selects the targets whose inputs changed since REV (committed,
// uncommitted and untracked files alike), and every target that depends
// on one; build and plan plan them (their parents join as contexts
// only), ls lists them.
func TestAffectedSince(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatalf("git is needed: %v", err)
	}
	opts := writeProject(t, incrFiles)
	dir := opts.Config.WorkDir
	gitIn(t, dir, "init", "-q", "-b", "main")
	gitIn(t, dir, "add", "-A")
	gitIn(t, dir, "commit", "-q", "-m", "one")
	write := func(name, content string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	all := []string{"base", "lib1", "lib2", "svc1", "svc2", "svc3"}
	for _, tc := range []struct {
		name   string
		change func()
		rev    string
		want   []string
	}{
		{"nothing changed", func() {}, "HEAD", nil},
		{"a library's file", func() { write("lib1/lib.txt", "changed\n") }, "HEAD", []string{"lib1", "svc1", "svc2"}},
		{"a service's Dockerfile", func() { write("svc3/Dockerfile", "FROM lib\nCOPY f.txt /x/\n") }, "HEAD", []string{"svc3"}},
		{"an ignored file", func() { write("svc2/ignored.txt", "changed\n") }, "HEAD", nil},
		{"the ignore file itself", func() { write("svc2/.dockerignore", "ignored.txt\nnone\n") }, "HEAD", []string{"svc2"}},
		{"an untracked file in a context", func() { write("svc1/new.txt", "new\n") }, "HEAD", []string{"svc1"}},
		{"a file outside every context", func() { write("README", "docs\n") }, "HEAD", nil},
		{"the definition file", func() { write("orch.hcl", incrFiles["orch.hcl"]+"\n# comment\n") }, "HEAD", all},
		{"a commit since REV", func() {
			write("lib2/lib.txt", "committed\n")
			gitIn(t, dir, "commit", "-q", "-am", "two")
		}, "HEAD~1", []string{"lib2", "svc3"}},
		{"the base's file", func() { write("base/base.txt", "changed\n") }, "main", all},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.change()
			o := opts
			o.AffectedSince = tc.rev
			ch, err := Check(o)
			if err != nil {
				t.Fatalf("check: %v", err)
			}
			if diff := cmp.Diff(tc.want, ch.Affected, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("affected (-want +got):\n%s", diff)
			}
			var exported []string
			for _, n := range ch.Plan.Nodes {
				if n.Export {
					exported = append(exported, n.Name)
				}
			}
			slices.Sort(exported)
			if !slices.Equal(exported, tc.want) {
				t.Errorf("the plan exports %v, want %v", exported, tc.want)
			}
			ld, err := Load(o)
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			if diff := cmp.Diff(tc.want, ld.Affected, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("ls: affected (-want +got):\n%s", diff)
			}
			gitIn(t, dir, "reset", "-q", "--hard")
			gitIn(t, dir, "clean", "-q", "-fd")
		})
	}
}

// TestAffectedSinceErrors: no git, a directory outside a repository and an
// unknown revision are invalid options that say what to fix.
func TestAffectedSinceErrors(t *testing.T) {
	opts := writeProject(t, incrFiles)
	opts.AffectedSince = "HEAD"
	_, err := Check(opts)
	if !errors.Is(err, ErrInvalidOptions) || !strings.Contains(err.Error(), "--affected-since HEAD: "+opts.Config.WorkDir+" is not in a git repository") {
		t.Errorf("outside a repository: %v", err)
	}
	gitIn(t, opts.Config.WorkDir, "init", "-q")
	gitIn(t, opts.Config.WorkDir, "add", "-A")
	gitIn(t, opts.Config.WorkDir, "commit", "-q", "-m", "one")
	opts.AffectedSince = "no-such-rev"
	_, err = Check(opts)
	if !errors.Is(err, ErrInvalidOptions) || !strings.Contains(err.Error(), "--affected-since no-such-rev: no such revision in the repository at ") {
		t.Errorf("unknown revision: %v", err)
	}
	t.Setenv("PATH", t.TempDir())
	opts.AffectedSince = "HEAD"
	_, err = Check(opts)
	if !errors.Is(err, ErrInvalidOptions) || !strings.Contains(err.Error(), "--affected-since HEAD: git is not installed or not on PATH") {
		t.Errorf("without git: %v", err)
	}
}
