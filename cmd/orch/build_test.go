package main

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/orch-build/orch/internal/schematest"
	"github.com/orch-build/orch/internal/testbed"
	"github.com/orch-build/orch/runner"
)

// buildDockerfile runs the build argument CMD in a FROM scratch image with
// busybox, which comes from the named local context "busybox" that setup
// lays out per architecture. The RUN of CMD is on line 6.
const buildDockerfile = `FROM scratch
ARG TARGETARCH
COPY --from=busybox ${TARGETARCH}/busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
ARG CMD
RUN sh -c "$CMD"
`

// failingGraph has one failing target, bad, and around it: ok, which bad
// waits for (so ok has always finished when bad fails), child, which
// builds FROM bad through a target: link, and slow, independent of
// everything and still sleeping when bad fails. no-cache makes every run
// build rather than reuse the previous test's cache.
const failingGraph = `
variable "BUSYBOX" {}
variable "SLEEP" { default = "20" }

target "_base" {
  contexts = { busybox = BUSYBOX }
  no-cache = true
}

target "ok" {
  inherits = ["_base"]
  args     = { CMD = "echo ok > /ok" }
  tags     = ["orch.test/ok:v1"]
  output   = ["type=oci,tar=false,dest=out/ok"]
}

target "bad" {
  inherits   = ["_base"]
  depends_on = ["ok"]
  args       = { CMD = "echo about to fail; echo last words; exit 1" }
  output     = ["type=oci,tar=false,dest=out/bad"]
}

target "child" {
  contexts          = { base = "target:bad" }
  dockerfile-inline = "FROM base\nRUN echo child\n"
  output            = ["type=oci,tar=false,dest=out/child"]
}

target "slow" {
  inherits = ["_base"]
  args     = { CMD = "sleep ${SLEEP}; echo slow > /slow" }
  output   = ["type=oci,tar=false,dest=out/slow"]
}

group "default" {
  targets = ["ok", "bad", "child", "slow"]
}
`

// longGraph is one target whose RUN step prints "started" and then sleeps
// for a minute: long enough that only a cancellation ends it in a test.
const longGraph = `
variable "BUSYBOX" {}

target "long" {
  contexts = { busybox = BUSYBOX }
  no-cache = true
  args     = { CMD = "echo started; sleep 60; echo done > /done" }
  output   = ["type=oci,tar=false,dest=out/long"]
}

group "default" {
  targets = ["long"]
}
`

// buildProject is a directory with orch.hcl and the Dockerfile, and the
// test bed's builder to build it on.
type buildProject struct {
	dir     string
	builder string
	busybox string
}

// newBuildProject writes hcl and the Dockerfile into a temporary
// directory. It skips the test (fails it under CI) when the test bed's
// buildkitd or busybox is missing.
func newBuildProject(t *testing.T, hcl string) *buildProject {
	t.Helper()
	bk := testbed.StartBuildKit(t)
	bb := testbed.Busybox(t)
	p := &buildProject{dir: t.TempDir(), builder: bk.Addr, busybox: bb}
	for name, content := range map[string]string{"orch.hcl": hcl, "Dockerfile": buildDockerfile} {
		if err := os.WriteFile(p.path(name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

func (p *buildProject) path(rel string) string { return filepath.Join(p.dir, rel) }

// args returns the arguments of `orch build` for the project on the test
// bed, followed by extra.
func (p *buildProject) args(extra ...string) []string {
	return append([]string{"build", "-f", p.path("orch.hcl"), "--builder", p.builder,
		"--var", "BUSYBOX=" + p.busybox}, extra...)
}

// assertNoStaging fails the test for every file or directory under the
// project whose name marks an unfinished export.
func (p *buildProject) assertNoStaging(t *testing.T) {
	t.Helper()
	err := filepath.WalkDir(p.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.Contains(d.Name(), ".orch-") {
			t.Errorf("temporary destination %s left behind", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// layoutDigest returns the digest of the only manifest an OCI layout
// directory's index.json lists, or "" when dir does not exist.
func layoutDigest(t *testing.T, dir string) string {
	t.Helper()
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return ""
	}
	l := testbed.OpenLayout(t, dir)
	if len(l.Index.Manifests) != 1 {
		t.Fatalf("%s lists %d manifests, want 1", dir, len(l.Index.Manifests))
	}
	return l.Index.Manifests[0].Digest.String()
}

// reportTarget is the part of a report's target entry the tests check.
type reportTarget struct {
	Name      string `json:"name"`
	Status    string `json:"status"`
	Reason    string `json:"reason"`
	BlockedBy string `json:"blocked_by"`
	Digest    string `json:"digest"`
	Error     *struct {
		Message string   `json:"message"`
		Step    string   `json:"step"`
		File    string   `json:"file"`
		Line    int      `json:"line"`
		LogTail []string `json:"log_tail"`
	} `json:"error"`
	LogFile string `json:"log_file"`
}

type reportFile struct {
	Version   int            `json:"version"`
	Status    string         `json:"status"`
	KeepGoing bool           `json:"keep_going"`
	Counts    map[string]int `json:"counts"`
	Targets   []reportTarget `json:"targets"`
}

// readReport reads a --report file, checks it against the published
// schema and decodes it.
func readReport(t *testing.T, path string) (*reportFile, map[string]reportTarget) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("report: %v", err)
	}
	checkReportSchema(t, raw)
	var rep reportFile
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatalf("report: %v", err)
	}
	byName := map[string]reportTarget{}
	for _, tg := range rep.Targets {
		byName[tg.Name] = tg
	}
	return &rep, byName
}

// junitSuites is the part of a --junit file the tests check.
type junitSuites struct {
	Tests    int `xml:"tests,attr"`
	Failures int `xml:"failures,attr"`
	Skipped  int `xml:"skipped,attr"`
	Suites   []struct {
		Cases []struct {
			Name    string `xml:"name,attr"`
			Failure *struct {
				Message string `xml:"message,attr"`
				Body    string `xml:",chardata"`
			} `xml:"failure"`
			Skipped *struct {
				Message string `xml:"message,attr"`
			} `xml:"skipped"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

// junitVerdicts reads a --junit file as target → "passed", "failure: MSG"
// or "skipped: MSG", and the suite's counts.
func junitVerdicts(t *testing.T, path string) (map[string]string, [3]int, map[string]string) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("junit: %v", err)
	}
	var doc junitSuites
	if err := xml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("junit: %v\n%s", err, raw)
	}
	verdicts, bodies := map[string]string{}, map[string]string{}
	for _, s := range doc.Suites {
		for _, c := range s.Cases {
			switch {
			case c.Failure != nil:
				verdicts[c.Name] = "failure"
				bodies[c.Name] = c.Failure.Message + "\n" + c.Failure.Body
			case c.Skipped != nil:
				verdicts[c.Name] = "skipped: " + c.Skipped.Message
			default:
				verdicts[c.Name] = "passed"
			}
		}
	}
	return verdicts, [3]int{doc.Tests, doc.Failures, doc.Skipped}, bodies
}

// TestBuildFailurePolicy builds a graph with one failing RUN step, failing
// fast and keeping going, and checks what a CI job sees: the exit code,
// every target's status in the report, the JUnit and metadata files, the
// per-target logs and which OCI layouts exist afterwards.
func TestBuildFailurePolicy(t *testing.T) {
	tests := []struct {
		name   string
		extra  []string
		status map[string]string // target → status
		reason map[string]string // target → reason
		// built are the targets whose layout must exist; every other
		// target's destination must not.
		built []string
	}{
		{
			name:   "fail fast",
			status: map[string]string{"ok": "built", "bad": "failed", "child": "skipped", "slow": "cancelled"},
			reason: map[string]string{"child": "dependency bad failed", "slow": "stopped after bad failed"},
			built:  []string{"ok"},
		},
		{
			name:   "keep going",
			extra:  []string{"--keep-going", "--var", "SLEEP=1"},
			status: map[string]string{"ok": "built", "bad": "failed", "child": "skipped", "slow": "built"},
			reason: map[string]string{"child": "dependency bad failed"},
			built:  []string{"ok", "slow"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newBuildProject(t, failingGraph)
			args := p.args("--progress", "quiet",
				"--report", p.path("report.json"), "--junit", p.path("junit.xml"),
				"--metadata-file", p.path("metadata.json"), "--log-dir", p.path("logs"))
			var stdout, stderr bytes.Buffer
			start := time.Now()
			code := run(append([]string{"orch"}, append(args, tt.extra...)...), &stdout, &stderr)
			t.Logf("orch build %s: exit %d after %s", tt.name, code, time.Since(start).Round(time.Millisecond))
			if code != exitFailed {
				t.Fatalf("exit code %d, want %d\nstderr:\n%s", code, exitFailed, &stderr)
			}
			// The summary names the root failure with its step and output.
			for _, want := range []string{"failed: bad", `RUN sh -c "echo about to fail`, "about to fail", "last words"} {
				if !strings.Contains(stderr.String(), want) {
					t.Errorf("summary lacks %q:\n%s", want, &stderr)
				}
			}

			// Report: statuses, reasons, the failure's step and location.
			rep, targets := readReport(t, p.path("report.json"))
			gotStatus, gotReason := map[string]string{}, map[string]string{}
			for name, tg := range targets {
				gotStatus[name] = tg.Status
				if tg.Reason != "" {
					gotReason[name] = tg.Reason
				}
			}
			if diff := cmp.Diff(tt.status, gotStatus); diff != "" {
				t.Errorf("report statuses (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.reason, gotReason); diff != "" {
				t.Errorf("report reasons (-want +got):\n%s", diff)
			}
			if rep.Status != "failed" || rep.KeepGoing != slices.Contains(tt.extra, "--keep-going") {
				t.Errorf("report status %q, keep_going %v", rep.Status, rep.KeepGoing)
			}
			if got := targets["child"].BlockedBy; got != "bad" {
				t.Errorf("child blocked_by %q, want bad", got)
			}
			if e := targets["bad"].Error; e == nil {
				t.Errorf("bad has no error in the report")
			} else {
				if !strings.Contains(e.Step, `RUN sh -c "echo about to fail`) || e.File != p.path("Dockerfile") || e.Line != 6 {
					t.Errorf("bad failed at step %q, %s:%d; want the RUN of %s:6", e.Step, e.File, e.Line, p.path("Dockerfile"))
				}
				if !slices.Contains(e.LogTail, "about to fail") || !strings.Contains(e.Message, "exit code: 1") {
					t.Errorf("bad: message %q, log tail %q", e.Message, e.LogTail)
				}
			}

			// Destinations: only the targets that succeeded, complete.
			metaWant := map[string]string{}
			for _, name := range []string{"ok", "bad", "child", "slow"} {
				d := layoutDigest(t, p.path("out/"+name))
				switch want := slices.Contains(tt.built, name); {
				case want && d == "":
					t.Errorf("out/%s is missing", name)
				case !want && d != "":
					t.Errorf("out/%s exists, but %s did not succeed", name, name)
				case want:
					metaWant[name] = d
					if got := targets[name].Digest; got != d {
						t.Errorf("report digest of %s is %s, the layout holds %s", name, got, d)
					}
				}
			}
			p.assertNoStaging(t)

			// Metadata: buildx's shape, the layouts' digests.
			raw, err := os.ReadFile(p.path("metadata.json"))
			if err != nil {
				t.Fatal(err)
			}
			var meta map[string]map[string]any
			if err := json.Unmarshal(raw, &meta); err != nil {
				t.Fatalf("metadata: %v\n%s", err, raw)
			}
			metaGot := map[string]string{}
			for name, m := range meta {
				metaGot[name], _ = m["containerimage.digest"].(string)
				desc, _ := m["containerimage.descriptor"].(map[string]any)
				if desc["digest"] != metaWant[name] || desc["mediaType"] != "application/vnd.oci.image.manifest.v1+json" {
					t.Errorf("metadata of %s: descriptor %v, want the manifest %s", name, desc, metaWant[name])
				}
			}
			if diff := cmp.Diff(metaWant, metaGot); diff != "" {
				t.Errorf("metadata containerimage.digest (-want +got):\n%s", diff)
			}
			if got := meta["ok"]["image.name"]; got != "orch.test/ok:v1" {
				t.Errorf("metadata of ok: image.name %v, want its tag", got)
			}

			// JUnit: one testcase per target; only the root failure is red.
			verdicts, counts, bodies := junitVerdicts(t, p.path("junit.xml"))
			wantVerdicts := map[string]string{"ok": "passed", "bad": "failure", "child": "skipped: skipped: dependency bad failed"}
			wantCounts := [3]int{4, 1, 1}
			if tt.status["slow"] == "cancelled" {
				wantVerdicts["slow"] = "skipped: cancelled: stopped after bad failed"
				wantCounts[2]++
			} else {
				wantVerdicts["slow"] = "passed"
			}
			if diff := cmp.Diff(wantVerdicts, verdicts); diff != "" {
				t.Errorf("junit testcases (-want +got):\n%s", diff)
			}
			if counts != wantCounts {
				t.Errorf("junit tests/failures/skipped %v, want %v", counts, wantCounts)
			}
			if b := bodies["bad"]; !strings.Contains(b, "exit code: 1") || !strings.Contains(b, "last words") || !strings.Contains(b, "Dockerfile:6") {
				t.Errorf("junit failure of bad lacks the exit code, output or location:\n%s", b)
			}

			// Logs: one plain log per target, ending with its verdict.
			wantLogs := map[string][]string{
				"ok":    {"orch: attempt 1 started", "built in"},
				"bad":   {"about to fail", "last words", "failed after"},
				"child": {"skipped: dependency bad failed"},
				"slow":  {tt.status["slow"]},
			}
			for name, wants := range wantLogs {
				raw, err := os.ReadFile(p.path("logs/" + name + ".log"))
				if err != nil {
					t.Errorf("log of %s: %v", name, err)
					continue
				}
				for _, w := range wants {
					if !strings.Contains(string(raw), w) {
						t.Errorf("logs/%s.log lacks %q:\n%s", name, w, raw)
					}
				}
				if got := targets[name].LogFile; got != p.path("logs/"+name+".log") {
					t.Errorf("report names log file %q for %s", got, name)
				}
			}
		})
	}
}

// TestBuildFlagErrors: flag values no run could use are usage errors,
// each reported once on a line of its own, before any builder is contacted
// (the one named here does not exist, so contacting it would fail
// differently, with exit code 1).
func TestBuildFlagErrors(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "orch.hcl")
	if err := os.WriteFile(file, []byte(`target "app" {}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"progress", []string{"--progress", "fancy"}, `orch: --progress "fancy": want one of auto, tty, plain, rawjson, quiet, none`},
		{"jobs", []string{"--jobs", "-1"}, fmt.Sprintf("orch: --jobs -1: want 1 or more, or 0 for the default (%d)", runner.DefaultJobs())},
		{"jobs mode", []string{"--jobs", "fast"}, `orch: --jobs "fast": mode "fast": want fail-fast, defer-error or defer-output`},
		{"jobs not a number", []string{"--jobs", "parallel=x"}, `orch: --jobs "parallel=x": parallel="x": want a whole number`},
		{"retries", []string{"--retries", "-2"}, "orch: --retries -2: want 0 or more"},
		{"retries not a number", []string{"--retries", "two"}, `orch: --retries "two": want a whole number`},
		{"registry jobs", []string{"--registry-jobs", "-1"}, "orch: --registry-jobs -1: want 1 or more, or 0 for no limit"},
		{"allow", []string{"--allow", "network.hots"}, `orch: --allow "network.hots": unknown entitlement; want network.host, security.insecure, device, fs, fs.read, fs.write, ssh or image`},
		{"call", []string{"--call", "lint-all"}, `orch: --call "lint-all": want build, check, outline or targets`},
		{"call option", []string{"--call", "check,color=true"}, `orch: --call "check,color=true": unknown option "color": want format or ignorestatus`},
		{"call ignorestatus", []string{"--call", "check,ignorestatus=maybe"}, `orch: --call "check,ignorestatus=maybe": ignorestatus="maybe": want true or false`},
		{"call format", []string{"--call", "outline,format=yaml"}, `orch: --call "outline,format=yaml": format "yaml": want json`},
		{"call two methods", []string{"--call", "check,outline"}, `orch: --call "check,outline": one method only, with format=FORMAT or ignorestatus=BOOL`},
		{"policy not yet", []string{"--policy", "strict=true"}, `orch: --policy "strict=true": orch does not evaluate source policies yet; only --policy disabled=true is accepted`},
		{"policy filename", []string{"--policy", "filename=p.rego"}, `orch: --policy "filename=p.rego": --policy does not accept filename; define policy files in the bake definition`},
		{"tls without tcp", []string{"--tlscacert", "ca.pem"}, `orch: builder address "unix://` + filepath.Join(dir, "no.sock") + `": TLS options need a tcp:// address`},
		{"two problems", []string{"--retries", "-1", "--registry-jobs", "-1"}, "orch: --retries -1: want 0 or more\norch: --registry-jobs -1: want 1 or more, or 0 for no limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"orch", "build", "-f", file, "--builder", "unix://" + filepath.Join(dir, "no.sock")}, tt.args...)
			var stdout, stderr bytes.Buffer
			if code := run(append(args, "app"), &stdout, &stderr); code != exitUsage {
				t.Errorf("exit code %d, want %d", code, exitUsage)
			}
			if got := strings.TrimSpace(stderr.String()); got != tt.want {
				t.Errorf("stderr:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

// orchBinary returns the orch command testscript put on PATH: a copy of
// this test binary that runs run() as its main, so that a test can signal
// a build in a process of its own.
func orchBinary(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("orch")
	if err != nil {
		t.Fatalf("orch is not on PATH (TestMain puts it there): %v", err)
	}
	return path
}

// startedLine matches the plain progress line of the RUN step's first
// output, "#7 0.123 started".
var startedLine = regexp.MustCompile(`^#\d+ \d+\.\d+ started$`)

// runInterrupted starts `orch build` on longGraph, waits until the RUN step
// printed "started" and sends SIGINT; with twice, it sends a second SIGINT
// once orch has said it is cancelling. It returns the exit code, standard
// error and how long orch took to exit after the first signal.
func runInterrupted(t *testing.T, p *buildProject, twice bool) (int, string, time.Duration) {
	t.Helper()
	cmd := exec.Command(orchBinary(t), p.args("--progress", "plain", "--report", p.path("report.json"),
		"--junit", p.path("junit.xml"))...)
	cmd.Dir = p.dir
	lines, exited, output := startWatched(t, cmd)
	waitLine(t, lines, exited, output, startedLine.MatchString, 2*time.Minute)
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	signalled := time.Now()
	if twice {
		waitLine(t, lines, exited, output, func(l string) bool { return strings.HasPrefix(l, "orch: interrupted") }, time.Minute)
		if err := cmd.Process.Signal(os.Interrupt); err != nil && !errors.Is(err, os.ErrProcessDone) {
			t.Fatal(err)
		}
	}
	select {
	case err := <-exited:
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatal(err)
		}
		return cmd.ProcessState.ExitCode(), output(), time.Since(signalled)
	case <-time.After(45 * time.Second):
		// The step sleeps 60 s: exiting later means nothing was cancelled.
		_ = cmd.Process.Signal(syscall.SIGKILL)
		<-exited
		t.Fatalf("orch still running 45 s after SIGINT:\n%s", output())
		return 0, "", 0
	}
}

// startWatched starts cmd and returns its standard error line by line, a
// channel that receives cmd.Wait's result once all output was read, and a
// function returning all the output so far.
func startWatched(t *testing.T, cmd *exec.Cmd) (<-chan string, <-chan error, func() string) {
	t.Helper()
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var out strings.Builder
	lines := make(chan string, 1024)
	exited := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			mu.Lock()
			out.WriteString(sc.Text() + "\n")
			mu.Unlock()
			select {
			case lines <- sc.Text():
			default: // nobody waits for more lines
			}
		}
		exited <- cmd.Wait()
	}()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
		}
	})
	return lines, exited, func() string {
		mu.Lock()
		defer mu.Unlock()
		return out.String()
	}
}

// waitLine waits for a line of output that match accepts.
func waitLine(t *testing.T, lines <-chan string, exited <-chan error, output func() string, match func(string) bool, timeout time.Duration) {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case l := <-lines:
			if match(l) {
				return
			}
		case err := <-exited:
			t.Fatalf("exited (%v) before the expected line:\n%s", err, output())
		case <-deadline:
			t.Fatalf("no expected line within %s:\n%s", timeout, output())
		}
	}
}

// TestBuildInterrupted signals `orch build` while a RUN step runs: the
// solve is cancelled, orch exits 130 after writing the summary and the
// reports, and no destination, complete or partial, is left.
func TestBuildInterrupted(t *testing.T) {
	p := newBuildProject(t, longGraph)
	code, stderr, took := runInterrupted(t, p, false)
	t.Logf("exit %d, %s after SIGINT", code, took.Round(time.Millisecond))
	if code != exitInterrupted {
		t.Fatalf("exit code %d, want %d\n%s", code, exitInterrupted, stderr)
	}
	for _, want := range []string{"orch: interrupted, cancelling (press Ctrl-C again to exit now)\n", "1 target: 1 cancelled"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("standard error lacks %q:\n%s", want, stderr)
		}
	}
	rep, targets := readReport(t, p.path("report.json"))
	if rep.Status != "interrupted" || targets["long"].Status != "cancelled" || targets["long"].Reason != "interrupted" {
		t.Errorf("report: run %q, long %q (%q); want interrupted, cancelled (interrupted)", rep.Status, targets["long"].Status, targets["long"].Reason)
	}
	verdicts, _, _ := junitVerdicts(t, p.path("junit.xml"))
	if diff := cmp.Diff(map[string]string{"long": "skipped: cancelled: interrupted"}, verdicts); diff != "" {
		t.Errorf("junit (-want +got):\n%s", diff)
	}
	if _, err := os.Stat(p.path("out/long")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("out/long exists after an interrupted build (stat: %v)", err)
	}
	p.assertNoStaging(t)
}

// TestBuildInterruptedTwice: a second SIGINT during the cancellation
// still ends orch with 130 and leaves no destination. Whether it came
// before the cancellation finished is up to timing here (BuildKit
// cancels a RUN step in tens of milliseconds); TestSecondSignalExitsAtOnce
// checks that it does not wait.
func TestBuildInterruptedTwice(t *testing.T) {
	p := newBuildProject(t, longGraph)
	code, stderr, took := runInterrupted(t, p, true)
	t.Logf("exit %d, %s after the first SIGINT", code, took.Round(time.Millisecond))
	if code != exitInterrupted {
		t.Fatalf("exit code %d, want %d\n%s", code, exitInterrupted, stderr)
	}
	if _, err := os.Stat(p.path("out/long")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("out/long exists after an interrupted build (stat: %v)", err)
	}
}

// TestSecondSignalExitsAtOnce runs a command whose cancellation never
// finishes (see signalProbe): after the first SIGINT it waits forever, so
// only the second SIGINT can end it, with 130 and at once.
func TestSecondSignalExitsAtOnce(t *testing.T) {
	probe, err := exec.LookPath(signalProbeName)
	if err != nil {
		t.Fatalf("%s is not on PATH (TestMain puts it there): %v", signalProbeName, err)
	}
	cmd := exec.Command(probe)
	lines, exited, output := startWatched(t, cmd)
	is := func(want string) func(string) bool { return func(l string) bool { return l == want } }
	waitLine(t, lines, exited, output, is("probe: ready"), time.Minute)
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	waitLine(t, lines, exited, output, is("probe: cancelled"), time.Minute)
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	second := time.Now()
	select {
	case <-exited:
		if code := cmd.ProcessState.ExitCode(); code != exitInterrupted {
			t.Errorf("exit code %d, want %d\n%s", code, exitInterrupted, output())
		}
		t.Logf("exited %s after the second SIGINT", time.Since(second).Round(time.Millisecond))
	case <-time.After(20 * time.Second):
		t.Fatalf("still running 20 s after the second SIGINT:\n%s", output())
	}
	if !strings.Contains(output(), "press Ctrl-C again to exit now") {
		t.Errorf("no interruption notice:\n%s", output())
	}
}

// TestBuildContextFilesOwnedByRoot: files of a local context reach the
// build owned by root whoever owns them on this machine, as with bake, so
// that an image does not depend on the account that built it.
func TestBuildContextFilesOwnedByRoot(t *testing.T) {
	p := newBuildProject(t, `
target "copy" {
  dockerfile = "copy.Dockerfile"
  output     = ["type=oci,tar=false,dest=out/copy"]
}
`)
	for name, content := range map[string]string{"copy.Dockerfile": "FROM scratch\nCOPY owned.txt /owned.txt\n", "owned.txt": "mine\n"} {
		if err := os.WriteFile(p.path(name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chown(p.path("owned.txt"), 1234, 1234); err != nil {
		testbed.Unavailable(t, "give a file another owner: %v", err)
	}
	var stdout, stderr bytes.Buffer
	if code := run(append([]string{"orch"}, p.args("--progress", "quiet", "copy")...), &stdout, &stderr); code != exitOK {
		t.Fatalf("exit code %d\n%s", code, &stderr)
	}
	l := testbed.OpenLayout(t, p.path("out/copy"))
	imgs := l.Images(t)
	if len(imgs) != 1 || len(imgs[0].Manifest.Layers) != 1 {
		t.Fatalf("want one image of one layer, got %d images", len(imgs))
	}
	layer := imgs[0].Manifest.Layers[0]
	zr, err := gzip.NewReader(bytes.NewReader(l.Blob(t, layer.Digest)))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	found := false
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if strings.TrimPrefix(h.Name, "/") == "owned.txt" {
			found = true
			if h.Uid != 0 || h.Gid != 0 {
				t.Errorf("owned.txt is owned by %d:%d in the image, want 0:0", h.Uid, h.Gid)
			}
		}
	}
	if !found {
		t.Error("owned.txt is not in the layer")
	}
}

// sharedGraph has vertices several targets' solves report: two targets
// with the same context, Dockerfile and busybox (so the same first
// steps), and a target: link whose child solves its parent's steps again.
const sharedGraph = `
variable "BUSYBOX" {}

target "_base" {
  contexts = { busybox = BUSYBOX }
}

target "one" {
  inherits = ["_base"]
  args     = { CMD = "echo one > /one" }
}

target "two" {
  inherits = ["_base"]
  args     = { CMD = "echo two > /two" }
}

target "child" {
  contexts          = { base = "target:one" }
  dockerfile-inline = "FROM base\nRUN cat /one\n"
}

group "default" {
  targets = ["one", "two", "child"]
}
`

// TestBuildProgressSharedVertices reads the run-wide display in rawjson
// mode: every vertex keeps one name, the target it is shown under; the
// parent's steps stay under the parent although its child solves them too;
// and no log chunk is shown twice.
func TestBuildProgressSharedVertices(t *testing.T) {
	p := newBuildProject(t, sharedGraph)
	cmd := exec.Command(orchBinary(t), p.args("--progress", "rawjson", "--set", "*.no-cache=true")...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("orch build: %v\n%s", err, &stderr)
	}
	names := map[string]map[string]bool{} // digest → names shown
	logs := map[string]int{}
	dec := json.NewDecoder(&stderr)
	for {
		var st struct {
			Vertexes []struct{ Digest, Name string }
			Logs     []struct {
				Vertex, Timestamp string
				Data              []byte
			}
		}
		if err := dec.Decode(&st); err != nil {
			break // the summary table follows the JSON lines
		}
		for _, v := range st.Vertexes {
			if names[v.Digest] == nil {
				names[v.Digest] = map[string]bool{}
			}
			names[v.Digest][v.Name] = true
		}
		for _, l := range st.Logs {
			logs[l.Vertex+" "+l.Timestamp+" "+string(l.Data)]++
		}
	}
	if len(names) == 0 {
		t.Fatalf("no vertices in the rawjson output:\n%s", stderr.String())
	}
	parentSteps := 0
	for d, ns := range names {
		if len(ns) != 1 {
			t.Errorf("vertex %s shown under several names: %v", d, slices.Sorted(maps.Keys(ns)))
		}
		for n := range ns {
			if !regexp.MustCompile(`^\[(one|two|child)[ \]]`).MatchString(n) {
				t.Errorf("vertex %s: name %q has no target prefix", d, n)
			}
			if strings.Contains(n, "echo one > /one") {
				parentSteps++
				if !strings.HasPrefix(n, "[one ") {
					t.Errorf("the parent's own step is shown as %q, want it under one", n)
				}
			}
		}
	}
	if parentSteps != 1 {
		t.Errorf("the parent's RUN step shows %d times, want once", parentSteps)
	}
	// one and two read the same Dockerfile, which is loaded once; child
	// has an inline Dockerfile of its own.
	loads := 0
	for _, ns := range names {
		for n := range ns {
			if strings.HasSuffix(n, "] load build definition from Dockerfile") {
				loads++
			}
		}
	}
	if loads != 2 {
		t.Errorf("%d Dockerfile loads shown, want 2 (one shared by one and two, one for child)", loads)
	}
	for l, n := range logs {
		if n > 1 {
			t.Errorf("log chunk shown %d times: %q", n, l)
		}
	}
}

// checkReportSchema validates a real run's report against
// schema/report.schema.json (the runner's tests check the writer against
// it with made-up reports).
func checkReportSchema(t *testing.T, raw []byte) {
	t.Helper()
	root, err := testbed.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	schema, err := schematest.Compile(filepath.Join(root, "schema", "report.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	problems, err := schematest.CheckJSON(schema, raw)
	if err != nil {
		t.Fatalf("report: %v", err)
	}
	for _, p := range problems {
		t.Errorf("report: %s", p)
	}
}
