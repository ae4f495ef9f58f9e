// Command mutate runs mutation testing (go-gremlins, built into bin/ by
// setup) over orch's packages one at a time and holds each to a minimum
// test efficacy: the share of covered mutants that some test kills.
//
//	go run ./tools/mutate [-threshold 90] [-equivalent FILE] [-gremlins BIN] PKG... [-- GREMLINS_FLAGS]
//
// PKG is a package directory relative to the module root ("graph",
// "runner/dest"); a directory that does not exist yet is reported and
// skipped. Mutants listed in the equivalent file, one per line as
//
//	graph/plan.go:12:5 CONDITIONALS_BOUNDARY why no test can tell the difference
//
// are left out of the count when they live, and printed with their reason.
//
// Each package runs in a copy of the tree that holds the files git knows
// (tracked and untracked, not ignored) with the tests of every other package
// left out, because gremlins runs the tests of `./PKG/...` once for coverage
// and copies the whole tree once per worker: without the copy, `runner` would
// run the daemon tests of runner/buildkit and every worker would copy bin/.
// The tests run with CI=true, so a missing daemon fails the run instead of
// letting its mutants live, and with ORCH_TESTBED_BIN pointing at bin/.
//
// mutate does not decide what a mutant is or how tests are run; gremlins
// does. It does not import orch.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// options are mutate's flags.
type options struct {
	threshold  float64
	equivalent string
	gremlins   string
	// extra are flags passed to `gremlins unleash` as they are.
	extra []string
	pkgs  []string
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	flags := flag.NewFlagSet("mutate", flag.ContinueOnError)
	flags.SetOutput(stderr)
	flags.Float64Var(&o.threshold, "threshold", 90, "minimum test efficacy of each package, in percent")
	flags.StringVar(&o.equivalent, "equivalent", "tools/gremlins/equivalent.txt", "file of known-equivalent mutants")
	flags.StringVar(&o.gremlins, "gremlins", "bin/gremlins", "the gremlins binary")
	if err := flags.Parse(args); err != nil {
		return o, err
	}
	// Packages come first; what follows "--" goes to gremlins.
	o.pkgs = flags.Args()
	if i := slices.Index(o.pkgs, "--"); i >= 0 {
		o.pkgs, o.extra = o.pkgs[:i], o.pkgs[i+1:]
	}
	if len(o.pkgs) == 0 {
		return o, errors.New("name at least one package directory, such as graph")
	}
	if o.threshold < 0 || o.threshold > 100 {
		return o, fmt.Errorf("-threshold %v: want a percentage between 0 and 100", o.threshold)
	}
	return o, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "mutate: %v\n", err)
		return 2
	}
	root, err := os.Getwd()
	if err != nil {
		fmt.Fprintf(stderr, "mutate: %v\n", err)
		return 1
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		fmt.Fprintf(stderr, "mutate: run it from the module root: %v\n", err)
		return 2
	}
	equiv, err := readEquivalents(filepath.Join(root, o.equivalent))
	if err != nil {
		fmt.Fprintf(stderr, "mutate: %v\n", err)
		return 2
	}
	gremlins := o.gremlins
	if !filepath.IsAbs(gremlins) {
		gremlins = filepath.Join(root, gremlins)
	}
	if _, err := os.Stat(gremlins); err != nil {
		fmt.Fprintf(stderr, "mutate: %v (run `go tool task setup` to build it)\n", err)
		return 2
	}

	var scores []score
	failed := false
	for _, pkg := range o.pkgs {
		pkg = filepath.ToSlash(filepath.Clean(pkg))
		if !hasGoFiles(filepath.Join(root, pkg)) {
			fmt.Fprintf(stdout, "mutate: %s: no Go package there yet, skipped\n", pkg)
			continue
		}
		fmt.Fprintf(stdout, "mutate: %s: running gremlins\n", pkg)
		start := time.Now()
		res, err := mutatePackage(ctx, root, gremlins, pkg, o.extra, stdout, stderr)
		elapsed := time.Since(start)
		if err != nil {
			fmt.Fprintf(stderr, "mutate: %s: %v\n", pkg, err)
			failed = true
			if ctx.Err() != nil {
				break
			}
			continue
		}
		s := scorePackage(pkg, res, equiv, elapsed)
		printScore(stdout, s, o.threshold)
		if !s.passes(o.threshold) {
			failed = true
		}
		scores = append(scores, s)
	}
	printSummary(stdout, scores, o.threshold)
	if failed {
		return 1
	}
	return 0
}

// hasGoFiles reports whether dir holds a Go file that is not a test.
func hasGoFiles(dir string) bool {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".go") && !strings.HasSuffix(e.Name(), "_test.go") {
			return true
		}
	}
	return false
}

// mutatePackage runs gremlins on pkg in a copy of the tree and reads its
// JSON report.
func mutatePackage(ctx context.Context, root, gremlins, pkg string, extra []string, stdout, stderr io.Writer) (result, error) {
	// A short name: the tests run with TMPDIR here, and the test bed's
	// podman refuses a run root longer than 50 bytes, a unix socket path
	// longer than 108.
	tmp, err := os.MkdirTemp("", "om-")
	if err != nil {
		return result{}, err
	}
	defer os.RemoveAll(tmp)
	tree := filepath.Join(tmp, "tree")
	if err := copyTree(ctx, root, tree, pkg); err != nil {
		return result{}, fmt.Errorf("copy the tree: %w", err)
	}
	report := filepath.Join(tmp, "report.json")
	// -E /: the files of sub-packages and testdata, whose paths gremlins
	// gives relative to pkg, are not pkg's.
	args := append([]string{"unleash", "--output", report, "--exclude-files", "/"}, extra...)
	args = append(args, pkg)
	cmd := exec.CommandContext(ctx, gremlins, args...)
	cmd.Dir = tree
	cmd.Env = append(os.Environ(), "CI=true", "ORCH_TESTBED_BIN="+filepath.Join(root, "bin"), "TMPDIR="+tmp)
	cmd.Stdout = stdout
	cmd.Stderr = stderr
	if err := cmd.Run(); err != nil {
		return result{}, fmt.Errorf("gremlins: %w", err)
	}
	raw, err := os.ReadFile(report)
	if err != nil {
		return result{}, fmt.Errorf("gremlins wrote no report: %w", err)
	}
	var res result
	if err := json.Unmarshal(raw, &res); err != nil {
		return result{}, fmt.Errorf("gremlins report %s: %w", report, err)
	}
	return res, nil
}

// keepInCopy reports whether the file rel (relative to the module root)
// belongs in the copy mutating pkg: everything but the tests of other
// packages.
func keepInCopy(rel, pkg string) bool {
	if !strings.HasSuffix(rel, "_test.go") {
		return true
	}
	return path.Dir(filepath.ToSlash(rel)) == pkg
}

// copyTree copies the files git knows in root (tracked, and untracked but
// not ignored, as they are in the work tree) into dst, less what keepInCopy
// leaves out.
func copyTree(ctx context.Context, root, dst, pkg string) error {
	out, err := exec.CommandContext(ctx, "git", "-C", root, "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		return fmt.Errorf("git ls-files: %w", err)
	}
	for _, rel := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		if rel == "" || !keepInCopy(rel, pkg) {
			continue
		}
		if err := copyFile(filepath.Join(root, rel), filepath.Join(dst, rel)); err != nil {
			return err
		}
	}
	return nil
}

// copyFile copies a regular file or a symlink; a tracked file deleted from
// the work tree is left out, as it is from a build.
func copyFile(src, dst string) error {
	st, err := os.Lstat(src)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	if st.Mode()&fs.ModeSymlink != 0 {
		target, err := os.Readlink(src)
		if err != nil {
			return err
		}
		return os.Symlink(target, dst)
	}
	if !st.Mode().IsRegular() {
		return nil
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	outFile, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, st.Mode().Perm())
	if err != nil {
		return err
	}
	if _, err := io.Copy(outFile, in); err != nil {
		outFile.Close()
		return err
	}
	return outFile.Close()
}

// result is the part of gremlins' JSON report that mutate reads.
type result struct {
	Files []struct {
		Name      string     `json:"file_name"`
		Mutations []mutation `json:"mutations"`
	} `json:"files"`
}

type mutation struct {
	Type   string `json:"type"`
	Status string `json:"status"`
	Line   int    `json:"line"`
	Column int    `json:"column"`
}

// mutant names one mutation: the file relative to the module root, its
// position and its mutator.
type mutant struct {
	File         string
	Line, Column int
	Mutator      string
}

func (m mutant) String() string {
	return fmt.Sprintf("%s:%d:%d %s", m.File, m.Line, m.Column, m.Mutator)
}

// readEquivalents reads the file of known-equivalent mutants: one per line,
// "FILE:LINE:COL MUTATOR REASON"; blank lines and lines starting with "#"
// are comments. A missing file lists none.
func readEquivalents(path string) (map[mutant]string, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[mutant]string{}, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parseEquivalents(path, f)
}

func parseEquivalents(name string, r io.Reader) (map[mutant]string, error) {
	out := map[mutant]string{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		m, reason, err := parseEquivalent(line)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %v", name, n, err)
		}
		if _, dup := out[m]; dup {
			return nil, fmt.Errorf("%s:%d: %s is listed twice", name, n, m)
		}
		out[m] = reason
	}
	return out, sc.Err()
}

// parseEquivalent parses "FILE:LINE:COL MUTATOR REASON".
func parseEquivalent(line string) (mutant, string, error) {
	const want = `want "FILE:LINE:COL MUTATOR REASON", as in "graph/plan.go:12:5 CONDITIONALS_BOUNDARY no test can tell"`
	fields := strings.Fields(line)
	if len(fields) < 3 {
		return mutant{}, "", fmt.Errorf("%q: %s", line, want)
	}
	pos := strings.Split(fields[0], ":")
	if len(pos) != 3 || pos[0] == "" {
		return mutant{}, "", fmt.Errorf("%q: %s", fields[0], want)
	}
	ln, errL := strconv.Atoi(pos[1])
	col, errC := strconv.Atoi(pos[2])
	if errL != nil || errC != nil || ln < 1 || col < 1 {
		return mutant{}, "", fmt.Errorf("%q: line and column must be positive numbers; %s", fields[0], want)
	}
	if strings.ToUpper(fields[1]) != fields[1] {
		return mutant{}, "", fmt.Errorf("%q: the mutator is written as gremlins prints it, such as CONDITIONALS_BOUNDARY", fields[1])
	}
	m := mutant{File: pos[0], Line: ln, Column: col, Mutator: fields[1]}
	reason := strings.Join(fields[2:], " ")
	return m, reason, nil
}

// score is one package's outcome.
type score struct {
	Pkg                                 string
	Killed, Lived, NotCovered, TimedOut int
	NotViable                           int
	Survivors                           []mutant          // lived, not listed as equivalent
	Equivalent                          map[mutant]string // lived and listed, with the reason
	Stale                               []mutant          // listed for pkg, but no such mutant lived
	Elapsed                             time.Duration
}

// Efficacy is killed / (killed + lived that are not equivalent), in percent,
// as gremlins computes it without the equivalent mutants. Timed-out and
// not-viable mutants count in neither, as in gremlins.
func (s score) Efficacy() float64 {
	if s.Killed+len(s.Survivors) == 0 {
		return 0
	}
	return 100 * float64(s.Killed) / float64(s.Killed+len(s.Survivors))
}

// passes reports whether the package meets the threshold. A package with no
// covered mutant fails: its tests exercised nothing that could be mutated.
func (s score) passes(threshold float64) bool {
	return s.Killed+len(s.Survivors) > 0 && s.Efficacy() >= threshold
}

// scorePackage counts a package's mutants and sets the living ones listed in
// equiv apart.
func scorePackage(pkg string, res result, equiv map[mutant]string, elapsed time.Duration) score {
	s := score{Pkg: pkg, Equivalent: map[mutant]string{}, Elapsed: elapsed}
	for _, f := range res.Files {
		file := pkg + "/" + filepath.ToSlash(f.Name)
		for _, m := range f.Mutations {
			mu := mutant{File: file, Line: m.Line, Column: m.Column, Mutator: m.Type}
			switch m.Status {
			case "KILLED":
				s.Killed++
			case "LIVED":
				s.Lived++
				if reason, ok := equiv[mu]; ok {
					s.Equivalent[mu] = reason
				} else {
					s.Survivors = append(s.Survivors, mu)
				}
			case "NOT COVERED":
				s.NotCovered++
			case "TIMED OUT":
				s.TimedOut++
			case "NOT VIABLE":
				s.NotViable++
			}
		}
	}
	for mu := range equiv {
		if path.Dir(mu.File) == pkg {
			if _, lived := s.Equivalent[mu]; !lived {
				s.Stale = append(s.Stale, mu)
			}
		}
	}
	sortMutants(s.Survivors)
	sortMutants(s.Stale)
	return s
}

func sortMutants(ms []mutant) {
	slices.SortFunc(ms, func(a, b mutant) int {
		if c := strings.Compare(a.File, b.File); c != 0 {
			return c
		}
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		if a.Column != b.Column {
			return a.Column - b.Column
		}
		return strings.Compare(a.Mutator, b.Mutator)
	})
}

func printScore(w io.Writer, s score, threshold float64) {
	verdict := "ok"
	if !s.passes(threshold) {
		verdict = fmt.Sprintf("FAIL: below %.0f%%", threshold)
	}
	fmt.Fprintf(w, "\nmutate: %s: efficacy %.1f%% (%s) — killed %d, lived %d (%d equivalent), not covered %d, timed out %d, not viable %d; %s\n",
		s.Pkg, s.Efficacy(), verdict, s.Killed, s.Lived, len(s.Equivalent), s.NotCovered, s.TimedOut, s.NotViable, s.Elapsed.Round(time.Second))
	for _, m := range s.Survivors {
		fmt.Fprintf(w, "  lived       %s\n", m)
	}
	eq := make([]mutant, 0, len(s.Equivalent))
	for m := range s.Equivalent {
		eq = append(eq, m)
	}
	sortMutants(eq)
	for _, m := range eq {
		fmt.Fprintf(w, "  equivalent  %s: %s\n", m, s.Equivalent[m])
	}
	for _, m := range s.Stale {
		fmt.Fprintf(w, "  stale entry %s: no such mutant lived; remove it from the equivalent file\n", m)
	}
}

func printSummary(w io.Writer, scores []score, threshold float64) {
	if len(scores) == 0 {
		return
	}
	fmt.Fprintf(w, "\nmutate: summary (threshold %.0f%%)\n", threshold)
	for _, s := range scores {
		mark := "ok"
		if !s.passes(threshold) {
			mark = "FAIL"
		}
		fmt.Fprintf(w, "  %-14s %5.1f%%  %4d killed  %3d lived  %3d equivalent  %8s  %s\n",
			s.Pkg, s.Efficacy(), s.Killed, len(s.Survivors), len(s.Equivalent), s.Elapsed.Round(time.Second), mark)
	}
}
