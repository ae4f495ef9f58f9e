package build

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/moby/patternmatcher"

	"github.com/orch-build/orch/config"
	"github.com/orch-build/orch/graph"
	"github.com/orch-build/orch/internal/dockerignore"
	"github.com/orch-build/orch/runner/buildkit"
)

// --affected-since REV selects, among the targets a selection plans, those
// whose inputs changed between the git revision REV and the working tree,
// and every target that depends on one of them (through a `target:` link
// or depends_on). A target's inputs here are the files git knows: the
// files of its build context and local named contexts that .dockerignore
// keeps, their ignore files, its Dockerfile, and the definition files
// themselves (a change of one affects every target, since variables,
// functions and inherits reach across targets and files). Files git
// ignores are not seen, and untracked files count as changed. The git CLI
// answers; no git, a directory outside a repository or an unknown
// revision is an error the user has to fix.

// changedFiles returns the absolute paths of the files that differ
// between rev and the working tree of the repository holding dir:
// modified, added, deleted and renamed (both names) tracked files, and
// untracked files that are not ignored.
func changedFiles(dir, rev string) (map[string]bool, error) {
	if _, err := exec.LookPath("git"); err != nil {
		return nil, invalid("--affected-since %s: git is not installed or not on PATH: %v", rev, err)
	}
	top, err := git(dir, "rev-parse", "--show-toplevel")
	if err != nil {
		return nil, invalid("--affected-since %s: %s is not in a git repository: %v", rev, dir, err)
	}
	root := strings.TrimSpace(string(top))
	if _, err := git(root, "rev-parse", "--verify", "--quiet", "--end-of-options", rev+"^{commit}"); err != nil {
		return nil, invalid("--affected-since %s: no such revision in the repository at %s", rev, root)
	}
	diff, err := git(root, "diff", "--name-only", "--no-renames", "-z", rev, "--")
	if err != nil {
		return nil, invalid("--affected-since %s: git diff: %v", rev, err)
	}
	untracked, err := git(root, "ls-files", "--others", "--exclude-standard", "-z")
	if err != nil {
		return nil, invalid("--affected-since %s: git ls-files: %v", rev, err)
	}
	out := map[string]bool{}
	for _, list := range [][]byte{diff, untracked} {
		for _, p := range bytes.Split(list, []byte{0}) {
			if len(p) > 0 {
				out[filepath.Join(root, filepath.FromSlash(string(p)))] = true
			}
		}
	}
	return out, nil
}

// git runs git with args in dir and returns its standard output; the
// error carries what it wrote to standard error.
func git(dir string, args ...string) ([]byte, error) {
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			return nil, errors.New(msg)
		}
		return nil, err
	}
	return out, nil
}

// affected returns the names of the nodes of plan whose inputs are among
// changed, with every node that depends on one of them; files are the
// definition files, by absolute path. A target whose inputs cannot be
// read counts as affected: the check of its build says why.
func affected(plan *graph.Plan, files []string, changed map[string]bool) []string {
	all := false
	for _, f := range files {
		all = all || changed[f]
	}
	hit := make([]bool, len(plan.Nodes))
	for i, n := range plan.Nodes {
		if all {
			hit[i] = true
			continue
		}
		for _, e := range n.Deps {
			hit[i] = hit[i] || hit[e.To]
		}
		if !hit[i] {
			h, err := touches(n.Target, changed)
			hit[i] = h || err != nil
		}
	}
	var names []string
	for i, n := range plan.Nodes {
		if hit[i] {
			names = append(names, n.Name)
		}
	}
	return names
}

// touches reports whether a changed file is an input of t.
func touches(t *config.Target, changed map[string]bool) (bool, error) {
	src, err := buildkit.Sources(t)
	if err != nil {
		return false, fmt.Errorf("target %q: %w", t.Name, err)
	}
	if changed[src.Dockerfile] {
		return true, nil
	}
	dirs := map[string]string{}
	if src.Context != "" {
		dirs[src.Context] = src.IgnoreFile
	}
	for _, d := range src.Named {
		if _, ok := dirs[d]; !ok {
			dirs[d] = ""
		}
	}
	for dir, ignoreFile := range dirs {
		hit, err := touchesDir(dir, ignoreFile, changed)
		if err != nil || hit {
			return hit, err
		}
	}
	return false, nil
}

// touchesDir reports whether a changed file lies in the context dir and is
// sent, or is the context's ignore file.
func touchesDir(dir, ignoreFile string, changed map[string]bool) (bool, error) {
	file, err := dockerignore.File(dir, ignoreFile)
	if err != nil {
		return false, err
	}
	if file != "" && changed[file] {
		return true, nil
	}
	patterns, err := dockerignore.Patterns(dir, ignoreFile)
	if err != nil {
		return false, err
	}
	var pm *patternmatcher.PatternMatcher
	if len(patterns) > 0 {
		if pm, err = patternmatcher.New(patterns); err != nil {
			return false, fmt.Errorf("%s: %w", file, err)
		}
	}
	real := dir
	if r, err := filepath.EvalSymlinks(dir); err == nil {
		real = r
	}
	for p := range changed {
		for _, d := range []string{dir, real} {
			rel, err := filepath.Rel(d, p)
			if err != nil || rel == "." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || rel == ".." {
				continue
			}
			ex, err := excluded(pm, filepath.ToSlash(rel))
			if err != nil {
				return false, err
			}
			if !ex {
				return true, nil
			}
		}
	}
	return false, nil
}

// excluded reports whether the patterns leave the file rel out of the
// context: matched component by component, as fsutil's walk matches each
// directory on the way down.
func excluded(pm *patternmatcher.PatternMatcher, rel string) (bool, error) {
	if pm == nil {
		return false, nil
	}
	parts := strings.Split(rel, "/")
	var info patternmatcher.MatchInfo
	for i := range parts {
		m, next, err := pm.MatchesUsingParentResults(strings.Join(parts[:i+1], "/"), info)
		if err != nil {
			return false, err
		}
		if i == len(parts)-1 {
			return m, nil
		}
		info = next
	}
	return false, nil
}

// definitionFiles returns the definition files of cfg as absolute paths,
// resolved against workDir; standard input is left out.
func definitionFiles(cfg *config.Config, workDir string) []string {
	if workDir == "" {
		workDir, _ = os.Getwd()
	}
	var out []string
	for _, f := range cfg.Files {
		if f == "<stdin>" || f == "-" {
			continue
		}
		if !filepath.IsAbs(f) {
			f = filepath.Join(workDir, f)
		}
		out = append(out, filepath.Clean(f))
	}
	return out
}
