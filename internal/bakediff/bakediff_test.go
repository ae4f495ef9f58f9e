package bakediff

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/orch-build/orch/internal/testbed"
)

var update = flag.Bool("update", false, "rewrite testdata/*.bake.json and *.bake.err from bin/buildx")

// buildxPath is where tools/bakediff/build.sh puts the reference binary.
const buildxPath = "../../bin/buildx"

// fakeHome is the HOME both tools see. It does not exist, so nothing can be
// read from or written to a real home, and homedir() has a fixed answer.
const fakeHome = "/nonexistent/bakediff-home"

// orchBin is the orch binary built once by TestMain; orchBuildErr says why
// there is none.
var (
	orchBin      string
	orchBuildErr error
)

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "bakediff-orch-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	orchBin = filepath.Join(dir, "orch")
	out, err := exec.Command("go", "build", "-o", orchBin, "github.com/orch-build/orch/cmd/orch").CombinedOutput()
	if err != nil {
		orchBuildErr = fmt.Errorf("go build ./cmd/orch: %w\n%s", err, out)
	}
	code := m.Run()
	if upstreamSummary != "" && testing.Verbose() {
		fmt.Println(upstreamSummary)
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// bakeCase is one bake file with the arguments and environment it is
// resolved with.
type bakeCase struct {
	name      string   // the file name without its extension; names the goldens
	file      string   // the file under testdata given with -f
	args      []string // further arguments, after -f file
	env       []string // further KEY=VALUE environment entries
	unordered []string // dotted paths of arrays compared as sets
}

// loadCases reads every testdata/*.hcl and *.json with its sidecar.
func loadCases(t *testing.T) []bakeCase {
	t.Helper()
	var files []string
	for _, pattern := range []string{"testdata/*.hcl", "testdata/*.json"} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	var cases []bakeCase
	for _, f := range files {
		base := filepath.Base(f)
		if strings.HasSuffix(base, ".bake.json") {
			continue
		}
		c := bakeCase{name: strings.TrimSuffix(base, filepath.Ext(base)), file: base}
		if err := readSidecar(filepath.Join("testdata", c.name+".args"), &c); err != nil {
			t.Fatal(err)
		}
		cases = append(cases, c)
	}
	sort.Slice(cases, func(i, j int) bool { return cases[i].name < cases[j].name })
	if len(cases) == 0 {
		t.Fatal("no cases under testdata")
	}
	return cases
}

func readSidecar(path string, c *bakeCase) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		switch {
		case strings.TrimSpace(text) == "", strings.HasPrefix(text, "#"):
		case strings.HasPrefix(text, "env "):
			kv := strings.TrimPrefix(text, "env ")
			if !strings.Contains(kv, "=") {
				return fmt.Errorf("%s:%d: env wants NAME=VALUE, got %q", path, line, kv)
			}
			c.env = append(c.env, kv)
		case strings.HasPrefix(text, "unordered "):
			c.unordered = append(c.unordered, strings.TrimSpace(strings.TrimPrefix(text, "unordered ")))
		default:
			c.args = append(c.args, text)
		}
	}
	return sc.Err()
}

// result is what one tool printed for a case.
type result struct {
	stdout []byte
	stderr string
	code   int
}

// runTool runs bin with args in a copy of testdata, under an environment made
// only of the case's entries and a few fixed ones (see toolEnv).
func runTool(t *testing.T, c bakeCase, bin string, args ...string) result {
	t.Helper()
	work := t.TempDir()
	if err := os.CopyFS(work, os.DirFS("testdata")); err != nil {
		t.Fatal(err)
	}
	// Cases that name an ssh agent socket by path name agent.sock.
	sock := listenAgent(t, work)
	args = append(args, "-f", c.file)
	args = append(args, c.args...)
	return execTool(t, bin, work, toolEnv(t.TempDir(), sock, c.env), args)
}

// listenAgent opens a unix socket named agent.sock in dir for the run of
// one case: bake checks at print time that an ssh agent socket exists.
func listenAgent(t *testing.T, dir string) string {
	t.Helper()
	sock := filepath.Join(dir, "agent.sock")
	agent, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatalf("listen on an ssh agent socket: %v", err)
	}
	t.Cleanup(func() { agent.Close() })
	return sock
}

// toolEnv is the environment of one run: only the case's entries and a few
// fixed ones, so that nothing from the developer's shell (SOURCE_DATE_EPOCH,
// BUILDX_*, variables named like bake variables) leaks into either tool.
// state holds the tools' own configuration; sock is the ssh agent socket
// (SSH_AUTH_SOCK, for the "default" id).
func toolEnv(state, sock string, extra []string) []string {
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + fakeHome,
		"DOCKER_CONFIG=" + filepath.Join(state, "docker"),
		"BUILDX_CONFIG=" + filepath.Join(state, "buildx"),
		"SSH_AUTH_SOCK=" + sock,
	}
	return append(env, extra...)
}

// execTool runs bin with args in dir under env and returns what it printed
// and its exit code; it fails the test only when bin cannot run at all.
func execTool(t *testing.T, bin, dir string, env, args []string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir, cmd.Env = dir, env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return result{stdout: stdout.Bytes(), stderr: stderr.String()}
	case errors.As(err, &exit) && ctx.Err() == nil:
		return result{stdout: stdout.Bytes(), stderr: stderr.String(), code: exit.ExitCode()}
	default:
		t.Fatalf("run %s %s: %v\n%s", bin, strings.Join(args, " "), err, stderr.String())
		return result{}
	}
}

// runBake runs the reference `buildx bake --print`.
func runBake(t *testing.T, c bakeCase, buildx string) result {
	t.Helper()
	return runTool(t, c, buildx, "bake", "--progress=quiet", "--print")
}

// runOrch runs `orch print`.
func runOrch(t *testing.T, c bakeCase) result {
	t.Helper()
	if orchBuildErr != nil {
		t.Fatal(orchBuildErr)
	}
	return runTool(t, c, orchBin, "print")
}

// findBuildx returns the reference binary, or skips the test without it
// outside CI. Under CI=true setup builds it, so its absence is a failure.
func findBuildx(t *testing.T) string {
	t.Helper()
	abs, err := filepath.Abs(buildxPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(abs); err != nil {
		testbed.Unavailable(t, "bin/buildx is missing (%v); tools/bakediff/build.sh builds it", err)
	}
	return abs
}

func goldenPaths(c bakeCase) (okPath, errPath string) {
	return filepath.Join("testdata", c.name+".bake.json"), filepath.Join("testdata", c.name+".bake.err")
}

// readGolden returns bake's recorded result for c.
func readGolden(t *testing.T, c bakeCase) result {
	t.Helper()
	okPath, errPath := goldenPaths(c)
	if out, err := os.ReadFile(okPath); err == nil {
		return result{stdout: out}
	}
	msg, err := os.ReadFile(errPath)
	if err != nil {
		t.Fatalf("no golden for %s: neither %s nor %s can be read; run the test with bin/buildx and -update", c.file, okPath, errPath)
	}
	return result{stderr: string(msg), code: 1}
}

// writeGolden records bake's result for c, removing the golden of the other
// kind so a case has exactly one.
func writeGolden(t *testing.T, c bakeCase, r result) {
	t.Helper()
	okPath, errPath := goldenPaths(c)
	write, remove, data := okPath, errPath, r.stdout
	if r.code != 0 {
		write, remove, data = errPath, okPath, []byte(strings.TrimSpace(r.stderr)+"\n")
	}
	if err := os.WriteFile(write, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(remove); err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
}

// TestGoldensMatchBuildx checks that the recorded outputs are what buildx
// prints today, and rewrites them with -update.
func TestGoldensMatchBuildx(t *testing.T) {
	buildx := findBuildx(t)
	for _, c := range loadCases(t) {
		t.Run(c.name, func(t *testing.T) {
			live := runBake(t, c, buildx)
			if *update {
				writeGolden(t, c, live)
				return
			}
			golden := readGolden(t, c)
			if (live.code == 0) != (golden.code == 0) {
				t.Fatalf("buildx exit code %d, golden says %d; run with -update\nstderr: %s", live.code, golden.code, live.stderr)
			}
			if live.code != 0 {
				// Only the failure is compared: bake's message is kept
				// for readers, but its wording can vary from run to run
				// (which of two variables in a cycle it names depends on
				// map order).
				return
			}
			for _, d := range compareJSON(golden.stdout, live.stdout, c.unordered) {
				t.Errorf("buildx output differs from the golden; run with -update: %s", d)
			}
		})
	}
}

// TestOrchPrintMatchesBake is the differential test: `orch print` must print
// what bake prints, byte for byte, for every case. The reference is live
// buildx when bin/buildx exists and the golden otherwise.
func TestOrchPrintMatchesBake(t *testing.T) {
	buildx, err := filepath.Abs(buildxPath)
	if err != nil {
		t.Fatal(err)
	}
	live := true
	if _, err := os.Stat(buildx); err != nil {
		if testbed.InCI() {
			t.Fatalf("bin/buildx is missing under CI=true (%v); setup must run tools/bakediff/build.sh", err)
		}
		t.Logf("bin/buildx is missing; comparing against the recorded goldens instead of live buildx")
		live = false
	}
	for _, c := range loadCases(t) {
		t.Run(c.name, func(t *testing.T) {
			var want result
			if live {
				want = runBake(t, c, buildx)
			} else {
				want = readGolden(t, c)
			}
			got := runOrch(t, c)
			cmdline := "orch print -f " + c.file + " " + strings.Join(c.args, " ")
			for _, d := range differences(want, got, c.unordered) {
				t.Errorf("%s: %s", cmdline, d)
			}
		})
	}
}

// differences lists how orch's result differs from bake's: whether each
// succeeds first (both rejecting the input is agreement, when orch says so
// with exit code 2, a config error), then the printed JSON.
func differences(bake, orch result, unordered []string) []string {
	switch {
	case bake.code != 0 && orch.code == 0:
		return []string{fmt.Sprintf("orch succeeded, but bake rejects the input:\n%s\norch printed:\n%s", bake.stderr, orch.stdout)}
	case bake.code != 0 && orch.code != 2:
		return []string{fmt.Sprintf("both reject the input, but orch exited %d, want 2 (config error); stderr:\n%s", orch.code, orch.stderr)}
	case bake.code != 0:
		return nil
	case orch.code != 0:
		return []string{fmt.Sprintf("orch exited %d; bake succeeds. stderr:\n%s", orch.code, orch.stderr)}
	}
	return compareJSON(bake.stdout, orch.stdout, unordered)
}

// compareJSON lists every difference between bake's and orch's documents:
// values first (as go-cmp paths), then the order of object keys, then, when
// both agree on those, the exact bytes (indentation, escaping, newline).
func compareJSON(bake, orch []byte, unordered []string) []string {
	var want, got any
	if err := json.Unmarshal(bake, &want); err != nil {
		return []string{fmt.Sprintf("bake output is not JSON: %v", err)}
	}
	if err := json.Unmarshal(orch, &got); err != nil {
		return []string{fmt.Sprintf("orch output is not JSON: %v\n%s", err, orch)}
	}
	for _, path := range unordered {
		sortArrayAt(want, path)
		sortArrayAt(got, path)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		return []string{"values differ (-bake +orch):\n" + diff}
	}
	wantOrder, err := keyOrders(bake)
	if err != nil {
		return []string{err.Error()}
	}
	gotOrder, err := keyOrders(orch)
	if err != nil {
		return []string{err.Error()}
	}
	var diffs []string
	for _, path := range sortedKeys(wantOrder) {
		if w, g := wantOrder[path], gotOrder[path]; !slices.Equal(w, g) {
			diffs = append(diffs, fmt.Sprintf("key order of %s differs: bake %q, orch %q", path, w, g))
		}
	}
	if len(diffs) > 0 || len(unordered) > 0 {
		return diffs
	}
	if !bytes.Equal(bake, orch) {
		diff := cmp.Diff(strings.Split(string(bake), "\n"), strings.Split(string(orch), "\n"))
		diffs = append(diffs, "same values and key order, different bytes (-bake +orch lines):\n"+diff)
	}
	return diffs
}

// sortArrayAt sorts, in place, the array at a dotted path of object keys, so
// arrays bake fills in random order compare as sets.
func sortArrayAt(v any, path string) {
	keys := strings.Split(path, ".")
	for _, k := range keys[:len(keys)-1] {
		obj, ok := v.(map[string]any)
		if !ok {
			return
		}
		v = obj[k]
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return
	}
	arr, ok := obj[keys[len(keys)-1]].([]any)
	if !ok {
		return
	}
	sort.Slice(arr, func(i, j int) bool { return fmt.Sprint(arr[i]) < fmt.Sprint(arr[j]) })
}

// keyOrders maps the path of every object in a JSON document to its keys in
// the order they appear.
func keyOrders(data []byte) (map[string][]string, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	orders := map[string][]string{}
	if err := walkOrder(dec, "$", orders); err != nil {
		return nil, fmt.Errorf("read key order: %w", err)
	}
	return orders, nil
}

func walkOrder(dec *json.Decoder, path string, orders map[string][]string) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('{'):
		orders[path] = []string{}
		for dec.More() {
			keyTok, err := dec.Token()
			if err != nil {
				return err
			}
			key, ok := keyTok.(string)
			if !ok {
				return fmt.Errorf("object key at %s is %v", path, keyTok)
			}
			orders[path] = append(orders[path], key)
			if err := walkOrder(dec, path+"."+key, orders); err != nil {
				return err
			}
		}
		_, err = dec.Token()
		return err
	case json.Delim('['):
		for i := 0; dec.More(); i++ {
			if err := walkOrder(dec, path+"["+strconv.Itoa(i)+"]", orders); err != nil {
				return err
			}
		}
		_, err = dec.Token()
		return err
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// TestCompareJSON checks the comparison itself, so that a broken comparer
// cannot make the differential test pass.
func TestCompareJSON(t *testing.T) {
	const base = "{\n  \"a\": 1,\n  \"b\": [\"x\", \"y\"]\n}\n"
	tests := []struct {
		name      string
		orch      string
		unordered []string
		want      []string // a substring of each reported difference
	}{
		{name: "identical", orch: base},
		{name: "value", orch: "{\n  \"a\": 2,\n  \"b\": [\"x\", \"y\"]\n}\n", want: []string{"values differ"}},
		{name: "missing key", orch: "{\n  \"b\": [\"x\", \"y\"]\n}\n", want: []string{"values differ"}},
		{name: "key order", orch: "{\n  \"b\": [\"x\", \"y\"],\n  \"a\": 1\n}\n", want: []string{`key order of $ differs`}},
		{name: "bytes", orch: `{"a":1,"b":["x","y"]}`, want: []string{"different bytes"}},
		{name: "array order", orch: "{\n  \"a\": 1,\n  \"b\": [\"y\", \"x\"]\n}\n", want: []string{"values differ"}},
		{name: "array as set", orch: "{\n  \"a\": 1,\n  \"b\": [\"y\", \"x\"]\n}\n", unordered: []string{"b"}},
		{name: "not json", orch: "orch: boom", want: []string{"orch output is not JSON"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := compareJSON([]byte(base), []byte(tc.orch), tc.unordered)
			if len(got) != len(tc.want) {
				t.Fatalf("got %d differences, want %d: %q", len(got), len(tc.want), got)
			}
			for i := range got {
				if !strings.Contains(got[i], tc.want[i]) {
					t.Errorf("difference %d = %q, want it to contain %q", i, got[i], tc.want[i])
				}
			}
		})
	}
}

// TestReadSidecar checks the sidecar format, including its one error.
func TestReadSidecar(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.args")
	content := "# comment\n\nenv A=1\nunordered group.g.targets\n--set\nt.args.X=a b\n"
	if err := os.WriteFile(good, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	var c bakeCase
	if err := readSidecar(good, &c); err != nil {
		t.Fatal(err)
	}
	want := bakeCase{env: []string{"A=1"}, unordered: []string{"group.g.targets"}, args: []string{"--set", "t.args.X=a b"}}
	if diff := cmp.Diff(want, c, cmp.AllowUnexported(bakeCase{})); diff != "" {
		t.Errorf("sidecar differs (-want +got):\n%s", diff)
	}

	bad := filepath.Join(dir, "bad.args")
	if err := os.WriteFile(bad, []byte("env NOEQUALS\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := readSidecar(bad, &bakeCase{})
	if err == nil || !strings.Contains(err.Error(), "bad.args:1: env wants NAME=VALUE") {
		t.Errorf("error = %v, want it to name the line", err)
	}
}
