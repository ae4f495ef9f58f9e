package bakediff

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/orch-build/orch/internal/testbed"
)

// knownPath is the ratchet of upstream cases where orch still differs from
// bake. The test fails when a case differs and is not listed, and when a
// listed case matches, so the list can only shrink.
const knownPath = "testdata/upstream-known.txt"

// toolsDir is the module that pins the reference buildx (tools/bakediff).
const toolsDir = "../../tools/bakediff"

// buildxModule is the module whose bake/*_test.go supply the cases.
const buildxModule = "github.com/docker/buildx"

// missKinds are the causes a known miss may name, each with what it is
// about. A new kind is added here with its line of explanation; the three
// below are the ones suggestKind proposes from a case's inputs.
var missKinds = map[string]string{
	"compose":        "compose files, read by both with compose-go: a service mapped onto a target differently",
	"relative-paths": "BUILDX_BAKE_FILE_RELATIVE_PATHS=1: a context rebased onto the declaring file differently",
	"resources":      "bake's resources attribute (cgroup limits for RUN steps) resolved or printed differently",
}

// knownMiss is one line of the ratchet.
type knownMiss struct {
	kind, reason string
	line         int
}

// readKnown parses the ratchet: one line per case, `NAME: KIND — REASON`,
// with # comments and blank lines.
func readKnown(path string) (map[string]knownMiss, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	known := map[string]knownMiss{}
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		name, rest, ok := strings.Cut(text, ": ")
		kind, reason, ok2 := strings.Cut(rest, " — ")
		if !ok || !ok2 || strings.TrimSpace(reason) == "" {
			return nil, fmt.Errorf("%s:%d: want `NAME: KIND — REASON`, got %q", path, line, text)
		}
		if _, ok := missKinds[kind]; !ok {
			return nil, fmt.Errorf("%s:%d: unknown kind %q; the kinds are %s (add a new one to missKinds)", path, line, kind, strings.Join(sortedKeys(missKinds), ", "))
		}
		if prev, dup := known[name]; dup {
			return nil, fmt.Errorf("%s:%d: %s is already listed on line %d", path, line, name, prev.line)
		}
		known[name] = knownMiss{kind: kind, reason: reason, line: line}
	}
	return known, sc.Err()
}

// goModule is what `go list -m -json` and `go mod download -json` print.
type goModule struct {
	Path, Version, Dir, Error string
}

// bakeSources returns the directory of buildx's bake package at the version
// tools/bakediff pins, downloading the module into the module cache when it
// is not there yet. Without it the test skips, or fails under CI.
func bakeSources(t *testing.T) (dir, version string) {
	t.Helper()
	var m goModule
	if err := goJSON(&m, "list", "-m", "-json", buildxModule); err != nil {
		testbed.Unavailable(t, "cannot resolve %s in %s: %v", buildxModule, toolsDir, err)
	}
	if _, err := os.Stat(filepath.Join(m.Dir, "bake")); m.Dir == "" || err != nil {
		var dl goModule
		if err := goJSON(&dl, "mod", "download", "-json", buildxModule+"@"+m.Version); err != nil || dl.Dir == "" {
			testbed.Unavailable(t, "%s@%s is not in the module cache and cannot be downloaded: %v %s", buildxModule, m.Version, err, dl.Error)
		}
		m.Dir = dl.Dir
	}
	return filepath.Join(m.Dir, "bake"), m.Version
}

// goJSON runs the go command in tools/bakediff and decodes its JSON output.
func goJSON(v any, args ...string) error {
	cmd := exec.Command("go", args...)
	cmd.Dir = toolsDir
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	// go mod download prints a JSON error object and exits non-zero.
	if jerr := json.Unmarshal(out, v); jerr != nil && err == nil {
		err = jerr
	}
	if err != nil {
		return fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return nil
}

// checkBuildxVersion fails when bin/buildx was not built from the version
// whose tests are read, since its answers would then not be bake's for
// those inputs.
func checkBuildxVersion(t *testing.T, buildx, version string) {
	t.Helper()
	out, err := exec.Command(buildx, "version").Output()
	if err != nil {
		t.Fatalf("%s version: %v", buildx, err)
	}
	if fields := strings.Fields(string(out)); len(fields) < 2 || fields[1] != version {
		t.Fatalf("bin/buildx reports %q, but tools/bakediff pins %s; rebuild it with tools/bakediff/build.sh", strings.TrimSpace(string(out)), version)
	}
}

// upstreamOutcome is what one compared case gave.
type upstreamOutcome struct {
	ran      bool
	rejected bool // bake rejects the input; identical then means orch rejects it too
	diffs    []string
}

// TestUpstreamBakeCases runs every input of bake's own tests (read from the
// module cache, see extract_test.go) through `buildx bake --print` and
// `orch print` and compares them as TestOrchPrintMatchesBake does. Cases
// that still differ are listed in testdata/upstream-known.txt.
func TestUpstreamBakeCases(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two binaries for each of several hundred cases; not in -short mode")
	}
	buildx := findBuildx(t)
	dir, version := bakeSources(t)
	checkBuildxVersion(t, buildx, version)
	if orchBuildErr != nil {
		t.Fatal(orchBuildErr)
	}
	cases, err := extractUpstream(dir)
	if err != nil {
		t.Fatalf("read bake's tests in %s: %v", dir, err)
	}
	known, err := readKnown(knownPath)
	if err != nil {
		t.Fatal(err)
	}

	start := time.Now()
	outcomes := make([]upstreamOutcome, len(cases))
	t.Run("case", func(t *testing.T) {
		for i, c := range cases {
			if c.skip != "" {
				continue
			}
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				bake, orch, again := runUpstream(t, c, buildx)
				diffs := differences(bake, orch, c.unordered(bake.stdout))
				if len(diffs) > 0 {
					diffs = bakeVaries(t, bake, orch, c, again, diffs)
				}
				outcomes[i] = upstreamOutcome{ran: true, rejected: bake.code != 0, diffs: diffs}
				if bake.code != 0 && len(diffs) == 0 {
					// Agreement by rejection says nothing about why each
					// tool rejects; the first lines let a reader check.
					t.Logf("both reject the input:\n  bake: %s\n  orch: %s", firstLine(bake.stderr), firstLine(orch.stderr))
				}
				miss, listed := known[c.name]
				switch {
				case len(diffs) > 0 && !listed:
					t.Errorf("%s (%s) differs from bake:\n%s\n%s\nIf this is a known gap, add to %s:\n%s: %s — <one-line reason>",
						c.name, c.pos, strings.Join(diffs, "\n"), c.describe(), knownPath, c.name, suggestKind(c))
				case len(diffs) == 0 && listed:
					t.Errorf("%s now matches bake: remove line %d (%s) from %s", c.name, miss.line, miss.kind, knownPath)
				}
			})
		}
	})
	elapsed := time.Since(start)

	byName := map[string]upstreamCase{}
	for _, c := range cases {
		byName[c.name] = c
	}
	for _, name := range sortedKeys(known) {
		c, ok := byName[name]
		switch {
		case !ok:
			t.Errorf("%s:%d lists %s, which bake %s's tests no longer have; remove the line", knownPath, known[name].line, name, version)
		case c.skip != "":
			t.Errorf("%s:%d lists %s, which is skipped (%s); remove the line", knownPath, known[name].line, name, c.skip)
		}
	}
	summary := summarize(cases, outcomes, known, version, elapsed)
	t.Log(summary)
	upstreamSummary, _, _ = strings.Cut(summary, "\n")
}

// upstreamSummary is the count line of TestUpstreamBakeCases, which
// TestMain prints with -v after every test has reported, so that it is the
// last line before "ok" in a CI log.
var upstreamSummary string

// summarize counts the cases: extracted, skipped (with reasons), compared,
// identical, and the misses by kind.
func summarize(cases []upstreamCase, outcomes []upstreamOutcome, known map[string]knownMiss, version string, elapsed time.Duration) string {
	var skipped, ran, identical, rejected int
	misses := map[string]int{}
	// A rejection by both tools on an input with a known gap (a kind
	// still listed in the ratchet) is agreement orch may reach for the
	// gap's sake and not bake's reason; those are counted apart.
	gapRejects := map[string]int{}
	listed := map[string]bool{}
	for _, k := range known {
		listed[k.kind] = true
	}
	skips := map[string]int{}
	for i, c := range cases {
		if c.skip != "" {
			skipped++
			skips[skipClass(c.skip)]++
			continue
		}
		o := outcomes[i]
		if !o.ran {
			continue
		}
		ran++
		if len(o.diffs) == 0 {
			identical++
			if o.rejected {
				rejected++
				if kind := suggestKind(c); kind != unclassified && listed[kind] {
					gapRejects[kind]++
				}
			}
			continue
		}
		kind := "unlisted"
		if k, ok := known[c.name]; ok {
			kind = k.kind
		}
		misses[kind]++
	}
	var b strings.Builder
	fmt.Fprintf(&b, "bakediff upstream: %d/%d identical (bake %s tests: %d cases extracted, %d skipped, %d compared in %.1fs)\n",
		identical, ran, version, len(cases), skipped, ran, elapsed.Seconds())
	fmt.Fprintf(&b, "  identical: %d printed the same JSON, %d rejected by both", identical-rejected, rejected)
	if len(gapRejects) > 0 {
		var parts []string
		total := 0
		for _, k := range sortedKeys(gapRejects) {
			parts = append(parts, fmt.Sprintf("%s %d", k, gapRejects[k]))
			total += gapRejects[k]
		}
		fmt.Fprintf(&b, " (%d of them on inputs with a known gap, where orch may reject for that reason: %s)", total, strings.Join(parts, ", "))
	}
	b.WriteString("\n")
	for _, k := range sortedKeys(misses) {
		fmt.Fprintf(&b, "  miss %-18s %3d  %s\n", k, misses[k], missKinds[k])
	}
	for _, k := range sortedKeys(skips) {
		fmt.Fprintf(&b, "  skip %3d  %s\n", skips[k], k)
	}
	return strings.TrimRight(b.String(), "\n")
}

// skipClass shortens a skip reason to its kind for the summary, dropping
// the positions and values that make each reason unique.
var skipPositions = regexp.MustCompile(`[A-Za-z_]+\.go:[0-9-]+|"[^"]*"|\([^)]*\)|\[[^\]]*\]`)

func skipClass(why string) string {
	return strings.Join(strings.Fields(skipPositions.ReplaceAllString(why, "…")), " ")
}

// suggestKind guesses the cause of a miss from the case's inputs, for the
// line a failing test proposes; a human confirms it.
func suggestKind(c upstreamCase) string {
	compose := strings.HasPrefix(c.fn, "ParseCompose")
	for _, f := range append(slices.Clone(c.files), c.disk...) {
		if ext := strings.ToLower(filepath.Ext(f.name)); ext == ".yml" || ext == ".yaml" {
			compose = true
		}
	}
	resources := regexp.MustCompile(`\bresources?\b`)
	switch {
	case compose:
		return "compose"
	case slices.Contains(c.env, "BUILDX_BAKE_FILE_RELATIVE_PATHS=1"):
		return "relative-paths"
	case slices.ContainsFunc(c.files, func(f inputFile) bool { return resources.MatchString(f.data) }),
		slices.ContainsFunc(c.args, func(a string) bool { return resources.MatchString(a) }):
		return "resources"
	}
	return unclassified
}

// unclassified is what suggestKind proposes when no input feature explains
// a miss; the reader replaces it with the cause.
const unclassified = "KIND"

// unordered lists the arrays compared as sets: the targets of every group
// when a file has a matrix, because bake fills a renamed target's group
// in map order.
func (c upstreamCase) unordered(bakeOut []byte) []string {
	if !slices.ContainsFunc(c.files, func(f inputFile) bool { return strings.Contains(f.data, "matrix") }) {
		return nil
	}
	var doc struct {
		Group map[string]json.RawMessage `json:"group"`
	}
	if json.Unmarshal(bakeOut, &doc) != nil {
		return nil
	}
	var paths []string
	for _, g := range sortedKeys(doc.Group) {
		paths = append(paths, "group."+g+".targets")
	}
	return paths
}

// describe is the case's command line and environment, for a reader who
// wants to run it by hand.
func (c upstreamCase) describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "  %s in %s", c.fn, c.dir)
	if len(c.env) > 0 {
		fmt.Fprintf(&b, " with %s", strings.Join(c.env, " "))
	}
	fmt.Fprintf(&b, ":\n  bake --print %s", strings.Join(c.commandLine(caseRoot), " "))
	for _, f := range c.files {
		fmt.Fprintf(&b, "\n  --- %s\n%s", f.name, indent(f.data))
	}
	for _, f := range c.disk {
		fmt.Fprintf(&b, "\n  --- %s (written by the test)\n%s", f.name, indent(f.data))
	}
	return strings.ReplaceAll(b.String(), caseRoot, "$ROOT")
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return line
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n    ")
}

// commandLine is the case's arguments after `bake --print` or `orch print`,
// with caseRoot rewritten to root.
func (c upstreamCase) commandLine(root string) []string {
	var args []string
	for _, f := range c.files {
		args = append(args, "-f", strings.ReplaceAll(f.name, caseRoot, root))
	}
	for _, a := range c.args {
		args = append(args, strings.ReplaceAll(a, caseRoot, root))
	}
	return append(args, c.targets...)
}

// materialize writes the case's files under root: the ones the test wrote
// to disk, then the ones it handed to bake in memory.
func (c upstreamCase) materialize(root string) error {
	real := func(s string) string { return strings.ReplaceAll(s, caseRoot, root) }
	write := func(rel, data string) error {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		return os.WriteFile(p, []byte(real(data)), 0o644)
	}
	for _, d := range append(slices.Clone(c.dirs), c.dir) {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			return err
		}
	}
	for _, f := range c.disk {
		if err := write(f.name, f.data); err != nil {
			return err
		}
	}
	for _, f := range c.files {
		rel, ok := c.inputPath(f)
		if !ok {
			return fmt.Errorf("file %s is outside the case directory", f.name)
		}
		if err := write(rel, f.data); err != nil {
			return err
		}
	}
	return nil
}

// runUpstream lays out one case and runs both tools on it, in the same
// directory so that absolute paths in their output agree.
func runUpstream(t *testing.T, c upstreamCase, buildx string) (bake, orch result, again func() result) {
	t.Helper()
	root := t.TempDir()
	if err := c.materialize(root); err != nil {
		t.Fatalf("lay out %s: %v", c.name, err)
	}
	dir := filepath.Join(root, c.dir)
	sock := listenAgent(t, t.TempDir())
	var env []string
	for _, kv := range c.env {
		env = append(env, strings.ReplaceAll(kv, caseRoot, root))
	}
	args := c.commandLine(root)
	again = func() result {
		return execTool(t, buildx, dir, toolEnv(t.TempDir(), sock, env), append([]string{"bake", "--progress=quiet", "--print"}, args...))
	}
	bake = again()
	orch = execTool(t, orchBin, dir, toolEnv(t.TempDir(), sock, env), append([]string{"print"}, args...))
	return bake, orch, again
}

// bakeRuns is how many more times bakeVaries runs bake on a case orch
// differs on. Some of bake's results depend on Go's map order (two --set
// keys of one target, e.g. load and push, apply in random order), so one
// run of bake is one sample of what it prints.
const bakeRuns = 8

// bakeVaries runs bake again on a case whose first run differs from orch.
// When bake itself prints something else on a later run and that matches
// orch, orch's answer is one bake gives, and the case agrees; otherwise
// the first differences stand.
func bakeVaries(t *testing.T, first, orch result, c upstreamCase, again func() result, diffs []string) []string {
	t.Helper()
	for range bakeRuns {
		bake := again()
		if bake.code == first.code && bytes.Equal(bake.stdout, first.stdout) {
			continue
		}
		if len(differences(bake, orch, c.unordered(bake.stdout))) == 0 {
			t.Logf("bake's output varies from run to run on this input; orch prints one of bake's answers:\n%s", strings.Join(diffs, "\n"))
			return nil
		}
	}
	return diffs
}

// TestReadKnown checks the ratchet's format and each of its errors.
func TestReadKnown(t *testing.T) {
	tests := []struct {
		name, content string
		want          map[string]knownMiss
		wantErr       string
	}{
		{
			name:    "valid",
			content: "# comment\n\nTestA/b#2: compose — orch reads no compose file\n",
			want:    map[string]knownMiss{"TestA/b#2": {kind: "compose", reason: "orch reads no compose file", line: 3}},
		},
		{name: "no reason", content: "TestA: compose\n", wantErr: "x.txt:1: want `NAME: KIND — REASON`"},
		{name: "unknown kind", content: "TestA: typo — why\n", wantErr: `x.txt:1: unknown kind "typo"`},
		{name: "duplicate", content: "TestA: compose — a\nTestA: compose — b\n", wantErr: "x.txt:2: TestA is already listed on line 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "x.txt")
			if err := os.WriteFile(path, []byte(tc.content), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := readKnown(path)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want it to contain %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for k, v := range tc.want {
				if got[k] != v {
					t.Errorf("%s = %+v, want %+v", k, got[k], v)
				}
			}
		})
	}
}

// TestKnownFileIsValid reads the ratchet in the repository, so a broken
// line fails without buildx or the module cache.
func TestKnownFileIsValid(t *testing.T) {
	known, err := readKnown(knownPath)
	if errors.Is(err, os.ErrNotExist) {
		t.Fatalf("%s is missing", knownPath)
	}
	if err != nil {
		t.Fatal(err)
	}
	// Lines are kept in name order, so the file reads like the test's
	// output and a merge puts each line in one place.
	names := sortedKeys(known)
	byLine := slices.Clone(names)
	sort.Slice(byLine, func(i, j int) bool { return known[byLine[i]].line < known[byLine[j]].line })
	for i := range names {
		if names[i] != byLine[i] {
			t.Fatalf("%s:%d: %s is out of order; keep the lines sorted by name", knownPath, known[byLine[i]].line, byLine[i])
		}
	}
}
