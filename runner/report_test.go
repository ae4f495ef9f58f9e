package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/orch-build/orch/graph"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// sampleReport has one target in every status and every optional field
// set somewhere, with fixed times, for the writers' golden files.
func sampleReport() *Report {
	t0 := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	digest := func(c string) string { return "sha256:" + strings.Repeat(c, 64) }
	transient := Transient(errors.New("push localhost:5000/api:1: 503 Service Unavailable"))
	step := &StepError{
		Step:    "[worker 3/4] RUN make -C /src",
		File:    "worker/Dockerfile",
		Line:    7,
		LogTail: []string{"cc -c main.c", "main.c:3:1: error: expected ';'", "make: *** [all] Error 1"},
		Err:     errors.New(`process "/bin/sh -c make -C /src" did not complete successfully: exit code: 2`),
	}
	return &Report{
		Started:  t0,
		Duration: 12345 * time.Millisecond,
		Jobs:     32,
		Retries:  2,
		Outcomes: []Outcome{
			{
				Index: 0, Name: "base", Exported: false, Dependencies: []string{}, Status: StatusBuilt,
				Started: at(0), Duration: 2100 * time.Millisecond,
				Attempts: []Attempt{{Number: 1, Started: at(0), Duration: 2100 * time.Millisecond}},
				Result: &Result{Digest: digest("a"), Cached: 3, Total: 5, Metadata: map[string]any{
					"containerimage.descriptor": map[string]any{
						"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": digest("a"), "size": 480,
					},
				}},
			},
			{
				Index: 1, Name: "api", Exported: true, Dependencies: []string{"base"}, Status: StatusCached,
				Started: at(2100 * time.Millisecond), Duration: 1500 * time.Millisecond,
				Attempts: []Attempt{
					{Number: 1, Started: at(2100 * time.Millisecond), Duration: 250 * time.Millisecond, Err: transient, Transient: true, RetryAfter: time.Second},
					{Number: 2, Started: at(3350 * time.Millisecond), Duration: 250 * time.Millisecond},
				},
				Result: &Result{
					Digest: digest("b"), Cached: 4, Total: 4,
					Destinations: []string{"oci:out/api", "registry:localhost:5000/api:1"},
					Metadata: map[string]any{
						"containerimage.digest": digest("b"),
						"image.name":            "localhost:5000/api:1",
					},
				},
			},
			{
				Index: 2, Name: "worker", Exported: true, Dependencies: []string{"base"}, Status: StatusFailed,
				Started: at(2100 * time.Millisecond), Duration: 4 * time.Second,
				Attempts: []Attempt{{Number: 1, Started: at(2100 * time.Millisecond), Duration: 4 * time.Second, Err: step}},
				Err:      step, LogTail: []string{"#7 [worker 3/4] RUN make -C /src", "#7 ERROR: exit code: 2"},
				LogFile: "logs/worker.log",
			},
			{
				Index: 3, Name: "tool", Exported: true, Dependencies: []string{}, Status: StatusFailed,
				Started: at(0), Duration: 3500 * time.Millisecond,
				Attempts: []Attempt{
					{Number: 1, Started: at(0), Duration: 100 * time.Millisecond, Err: transient, Transient: true, RetryAfter: time.Second},
					{Number: 2, Started: at(1100 * time.Millisecond), Duration: 100 * time.Millisecond, Err: transient, Transient: true, RetryAfter: 2 * time.Second},
					{Number: 3, Started: at(3200 * time.Millisecond), Duration: 300 * time.Millisecond, Err: transient, Transient: true},
				},
				Err: transient, LogTail: []string{"#3 pushing layers", "#3 ERROR: 503 Service Unavailable"},
			},
			{
				Index: 4, Name: "web", Exported: true, Dependencies: []string{"api", "worker"}, Status: StatusSkipped,
				Reason: "dependency worker failed", BlockedBy: "worker",
			},
			{
				Index: 5, Name: "docs", Exported: true, Dependencies: []string{}, Status: StatusCancelled,
				Reason: "stopped after worker failed", Started: at(time.Second), Duration: 5100 * time.Millisecond,
				Attempts: []Attempt{{Number: 1, Started: at(time.Second), Duration: 5100 * time.Millisecond, Err: context.Canceled}},
				Err:      context.Canceled,
			},
			{
				Index: 6, Name: "e2e", Exported: true, Dependencies: []string{"web"}, Status: StatusSkipped,
				Reason: "dependency worker failed (via web)", BlockedBy: "worker",
			},
			{
				Index: 7, Name: "lib", Exported: true, Dependencies: []string{}, Status: StatusUpToDate,
				Result: &Result{Digest: digest("c"), Destinations: []string{"oci:out/lib"}, Metadata: map[string]any{
					"containerimage.digest": digest("c"),
				}},
			},
			{
				Index: 8, Name: "sdk", Exported: true, Dependencies: []string{}, Status: StatusUpToDate,
				Started: at(0), Duration: 800 * time.Millisecond,
				Attempts: []Attempt{{Number: 1, Started: at(0), Duration: 800 * time.Millisecond}},
				Result:   &Result{Digest: digest("d"), Destinations: []string{"registry:localhost:5000/sdk:1"}, Cached: 3, Total: 3},
			},
		},
		Warnings: []string{"target docs: write log file logs/docs.log: no space left on device"},
	}
}

// golden compares got with testdata/name, rewriting it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run with -update to create it): %v", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got), run with -update if intended:\n%s", path, diff)
	}
}

func TestReportWriters(t *testing.T) {
	r := sampleReport()
	for _, tc := range []struct {
		file  string
		write func(*Report, *bytes.Buffer) error
	}{
		{"summary.golden.txt", func(r *Report, b *bytes.Buffer) error { return r.WriteSummary(b) }},
		{"report.golden.json", func(r *Report, b *bytes.Buffer) error { return r.WriteJSON(b) }},
		{"junit.golden.xml", func(r *Report, b *bytes.Buffer) error { return r.WriteJUnit(b) }},
		{"metadata.golden.json", func(r *Report, b *bytes.Buffer) error { return r.WriteMetadata(b) }},
	} {
		t.Run(tc.file, func(t *testing.T) {
			var b bytes.Buffer
			if err := tc.write(r, &b); err != nil {
				t.Fatal(err)
			}
			golden(t, tc.file, b.Bytes())
		})
	}
}

func TestReportJSONMatchesSchema(t *testing.T) {
	schema := loadSchema(t)
	var b bytes.Buffer
	if err := sampleReport().WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if errs := validate(t, schema, doc); len(errs) > 0 {
		t.Errorf("sample report does not match the schema:\n%s", strings.Join(errs, "\n"))
	}
}

// TestRunReportMatchesSchema validates what a real run writes: every
// status, retries, a step error and log files.
func TestRunReportMatchesSchema(t *testing.T) {
	aFinished := make(chan struct{})
	obs := ObserverFunc(func(e Event) {
		if e.Kind == NodeFinished && e.Name == "a" {
			close(aFinished)
		}
	})
	solver := failureSolver(false, aFinished)
	flaky := 0
	wrapped := &FakeSolver{SolveFunc: func(ctx context.Context, job Job) (*Result, error) {
		fmt.Fprintf(job.Log, "#1 %s attempt %d\n", job.Node.Name, job.Attempt)
		if job.Node.Name == "free" && flaky == 0 {
			flaky++
			return nil, Transient(errors.New("connection reset"))
		}
		res, err := solver.SolveFunc(ctx, job)
		if res != nil {
			res.Digest, res.Destinations = "sha256:"+strings.Repeat("0", 64), []string{"oci:out/" + job.Node.Name}
		}
		return res, err
	}}
	plan := failurePlan(t)
	plan.Nodes = append(plan.Nodes, &graph.Node{Name: "fresh", Export: true, Freshness: &graph.Freshness{
		UpToDate: true, Digest: "sha256:" + strings.Repeat("1", 64), Destinations: []string{"oci:out/fresh"},
	}})
	report, err := runWithin(t, 10*time.Second, context.Background(), plan, orderedFree(wrapped),
		Options{Retries: 1, RetryDelay: time.Millisecond, Observer: obs, LogDir: t.TempDir()})
	if !errors.Is(err, ErrFailed) {
		t.Fatalf("Run: %v", err)
	}
	for _, s := range Statuses[1:] {
		if report.Count(s) == 0 {
			t.Errorf("no %s target: the run does not exercise the whole schema", s)
		}
	}
	var b bytes.Buffer
	if err := report.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	schema := loadSchema(t)
	if errs := validate(t, schema, doc); len(errs) > 0 {
		t.Errorf("run report does not match the schema:\n%s\n%s", strings.Join(errs, "\n"), b.String())
	}
}

func TestReportJUnitParses(t *testing.T) {
	var b bytes.Buffer
	if err := sampleReport().WriteJUnit(&b); err != nil {
		t.Fatal(err)
	}
	var doc junitSuites
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatalf("parse JUnit output: %v", err)
	}
	type caseView struct{ Name, Kind, Message string }
	var got []caseView
	for _, c := range doc.Suites[0].Cases {
		v := caseView{Name: c.Name, Kind: "passed"}
		if c.Failure != nil {
			v.Kind, v.Message = "failure", c.Failure.Message
		}
		if c.Skipped != nil {
			v.Kind, v.Message = "skipped", c.Skipped.Message
		}
		got = append(got, v)
	}
	want := []caseView{
		{Name: "base", Kind: "passed"},
		{Name: "api", Kind: "passed"},
		{Name: "worker", Kind: "failure", Message: `step [worker 3/4] RUN make -C /src (worker/Dockerfile:7): process "/bin/sh -c make -C /src" did not complete successfully: exit code: 2`},
		{Name: "tool", Kind: "failure", Message: "push localhost:5000/api:1: 503 Service Unavailable"},
		{Name: "web", Kind: "skipped", Message: "skipped: dependency worker failed"},
		{Name: "docs", Kind: "skipped", Message: "cancelled: stopped after worker failed"},
		{Name: "e2e", Kind: "skipped", Message: "skipped: dependency worker failed (via web)"},
		{Name: "lib", Kind: "skipped", Message: "up-to-date: every destination holds the image of its current inputs"},
		{Name: "sdk", Kind: "skipped", Message: "up-to-date: every destination holds the image of its current inputs"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("testcases (-want +got):\n%s", diff)
	}
	if s := doc.Suites[0]; doc.Tests != 9 || doc.Failures != 2 || doc.Skipped != 5 || s.Tests != 9 || s.Failures != 2 || s.Skipped != 5 {
		t.Errorf("counts: suites %d/%d/%d, suite %d/%d/%d; want 9 tests, 2 failures, 5 skipped",
			doc.Tests, doc.Failures, doc.Skipped, s.Tests, s.Failures, s.Skipped)
	}
}

// TestReportJUnitControlCharacters: build output with terminal escapes
// must still give a file XML parsers accept.
func TestReportJUnitControlCharacters(t *testing.T) {
	r := sampleReport()
	r.Outcomes[3].LogTail = []string{"\x1b[31merror\x1b[0m", "bell\a"}
	var b bytes.Buffer
	if err := r.WriteJUnit(&b); err != nil {
		t.Fatal(err)
	}
	var doc junitSuites
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatalf("parse JUnit output: %v", err)
	}
	want := "attempts: 3\n> \uFFFD[31merror\uFFFD[0m\n> bell\uFFFD\n"
	if got := doc.Suites[0].Cases[3].Failure.Body; got != want {
		t.Errorf("failure body = %q, want %q", got, want)
	}
}

func TestReportMetadata(t *testing.T) {
	var b bytes.Buffer
	if err := sampleReport().WriteMetadata(&b); err != nil {
		t.Fatal(err)
	}
	var doc map[string]map[string]any
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	want := map[string]map[string]any{
		"base": {
			MetadataDigest: "sha256:" + strings.Repeat("a", 64),
			MetadataDescriptor: map[string]any{
				"mediaType": "application/vnd.oci.image.manifest.v1+json",
				"digest":    "sha256:" + strings.Repeat("a", 64),
				"size":      float64(480),
			},
		},
		"api": {
			MetadataDigest:    "sha256:" + strings.Repeat("b", 64),
			MetadataImageName: "localhost:5000/api:1",
		},
		// Up to date: the digest their destinations hold.
		"lib": {MetadataDigest: "sha256:" + strings.Repeat("c", 64)},
		"sdk": {MetadataDigest: "sha256:" + strings.Repeat("d", 64)},
	}
	if diff := cmp.Diff(want, doc); diff != "" {
		t.Errorf("metadata (-want +got):\n%s", diff)
	}
}

func TestReportStatusAndCounts(t *testing.T) {
	r := sampleReport()
	if got := r.Status(); got != "failed" {
		t.Errorf("Status() = %q, want failed", got)
	}
	var failed []string
	for _, o := range r.Failed() {
		failed = append(failed, o.Name)
	}
	if diff := cmp.Diff([]string{"worker", "tool"}, failed); diff != "" {
		t.Errorf("Failed() (-want +got):\n%s", diff)
	}
	if got, want := r.countsLine(), "1 built, 1 cached, 2 up-to-date, 2 failed, 2 skipped, 1 cancelled"; got != want {
		t.Errorf("countsLine() = %q, want %q", got, want)
	}
	empty := &Report{}
	if got, want := empty.countsLine(), "nothing to do"; got != want {
		t.Errorf("countsLine() of an empty run = %q, want %q", got, want)
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                        "0s",
		1499 * time.Microsecond:  "1ms",
		999 * time.Millisecond:   "999ms",
		1249 * time.Millisecond:  "1.2s",
		59940 * time.Millisecond: "59.9s",
		61400 * time.Millisecond: "1m1s",
		2 * time.Hour:            "2h0m0s",
	} {
		if got := formatDuration(d); got != want {
			t.Errorf("formatDuration(%s) = %q, want %q", d, got, want)
		}
	}
}

// failingWriter fails every write, to check that writers report it.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestReportWritersReportWriteErrors(t *testing.T) {
	r := sampleReport()
	for name, write := range map[string]func() error{
		"summary":  func() error { return r.WriteSummary(failingWriter{}) },
		"json":     func() error { return r.WriteJSON(failingWriter{}) },
		"junit":    func() error { return r.WriteJUnit(failingWriter{}) },
		"metadata": func() error { return r.WriteMetadata(failingWriter{}) },
	} {
		if err := write(); errText(err) != "disk full" {
			t.Errorf("%s: error = %v, want disk full", name, err)
		}
	}
}

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "report.json")
	if err := WriteFile(path, sampleReport().WriteJSON); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "keep"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	// A failing writer leaves the previous file and no temporary behind.
	err := WriteFile(path, func(w io.Writer) error {
		fmt.Fprint(w, "{half")
		return errors.New("interrupted")
	})
	if got, want := errText(err), "write "+path+": interrupted"; got != want {
		t.Errorf("error = %q, want %q", got, want)
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if diff := cmp.Diff([]string{"keep", "report.json"}, names); diff != "" {
		t.Errorf("directory (-want +got):\n%s", diff)
	}
	b, _ := os.ReadFile(path)
	if !json.Valid(b) {
		t.Errorf("report.json was clobbered: %q", b)
	}
	info, _ := os.Stat(path)
	if info.Mode().Perm() != 0o644 {
		t.Errorf("mode = %v, want 0644", info.Mode().Perm())
	}
	missing := filepath.Join(dir, "no", "such", "dir", "r.json")
	err = WriteFile(missing, sampleReport().WriteJSON)
	if got := errText(err); !strings.HasPrefix(got, "write "+missing+": open ") || !strings.HasSuffix(got, ": no such file or directory") {
		t.Errorf("error = %q, want write %s: open ...: no such file or directory", got, missing)
	}
}
