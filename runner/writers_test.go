package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// edgeReport holds the cases the golden sample does not: a failing step
// that captured no output of its own (the target's log tail must be shown
// instead), a failure with no output at all, and a build that reported no
// step counts.
func edgeReport() *Report {
	t0 := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	return &Report{
		Started: t0,
		Outcomes: []Outcome{
			{
				Index: 0, Name: "quiet-step", Exported: true, Status: StatusFailed, Started: t0, Duration: time.Second,
				Err:     &StepError{Step: "RUN true", Err: errors.New("exit code: 1")},
				LogTail: []string{"from the target's log"},
			},
			{
				Index: 1, Name: "silent", Exported: true, Status: StatusFailed, Started: t0, Duration: time.Second,
				Err: errors.New("dockerfile parse error"),
			},
			{
				Index: 2, Name: "uncounted", Exported: true, Status: StatusBuilt, Started: t0, Duration: time.Second,
				Result: &Result{Digest: "sha256:" + strings.Repeat("c", 12)},
			},
		},
	}
}

func TestReportWritersEdgeCases(t *testing.T) {
	r := edgeReport()
	t.Run("summary", func(t *testing.T) {
		var b bytes.Buffer
		if err := r.WriteSummary(&b); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		quiet, silent, _ := strings.Cut(out[strings.Index(out, "failed: quiet-step"):], "failed: silent")
		if !strings.Contains(quiet, "> from the target's log") {
			t.Errorf("quiet-step's failure does not show the target's log tail:\n%s", quiet)
		}
		if strings.Contains(silent, "output:") {
			t.Errorf("a failure without output has an output section:\n%s", silent)
		}
		row := ""
		for line := range strings.Lines(out) {
			if strings.HasPrefix(line, "uncounted ") {
				row = line
			}
		}
		// No step counts: "-"; a 12-digit digest is short already.
		if f := strings.Fields(row); len(f) < 5 || f[3] != "-" || f[4] != "sha256:"+strings.Repeat("c", 12) {
			t.Errorf("uncounted row = %q, want CACHED - and the digest unchanged", row)
		}
	})
	t.Run("json", func(t *testing.T) {
		var b bytes.Buffer
		if err := r.WriteJSON(&b); err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Targets []struct {
				Name  string          `json:"name"`
				Steps json.RawMessage `json:"steps"`
				Error *struct {
					LogTail []string `json:"log_tail"`
				} `json:"error"`
			} `json:"targets"`
		}
		if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
			t.Fatal(err)
		}
		if got := doc.Targets[0].Error; got == nil || !cmp.Equal(got.LogTail, []string{"from the target's log"}) {
			t.Errorf("quiet-step error = %+v, want the target's log tail", got)
		}
		if got := doc.Targets[2].Steps; got != nil {
			t.Errorf("uncounted steps = %s, want none", got)
		}
	})
	t.Run("junit", func(t *testing.T) {
		var b bytes.Buffer
		if err := r.WriteJUnit(&b); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), "> from the target's log") {
			t.Errorf("JUnit failure of quiet-step does not show the target's log tail:\n%s", b.String())
		}
	})
}

// TestRunErrorNamesFailures: up to three failed targets are named, more
// are counted.
func TestRunErrorNamesFailures(t *testing.T) {
	for _, tc := range []struct {
		targets []string
		want    string
	}{
		{targets: []string{"a"}, want: "build failed: 1 target failed (a)"},
		{targets: []string{"a", "b", "c"}, want: "build failed: 3 targets failed (a, b, c)"},
		{targets: []string{"a", "b", "c", "d"}, want: "build failed: 4 targets failed (a, b, c and 1 more)"},
	} {
		solver := &FakeSolver{SolveFunc: func(context.Context, Job) (*Result, error) {
			return nil, errors.New("boom")
		}}
		_, err := Run(context.Background(), newPlan(t, tc.targets...), solver, Options{KeepGoing: true})
		if got := errText(err); got != tc.want {
			t.Errorf("error = %q, want %q", got, tc.want)
		}
	}
}

// TestReportMetadataEdgeCases: only succeeded targets with a result get an
// entry, wherever they stand in the plan; a digest the exporter reported
// wins over Result.Digest, and no digest means no digest key.
func TestReportMetadataEdgeCases(t *testing.T) {
	r := &Report{Outcomes: []Outcome{
		{Name: "failed", Status: StatusFailed, Result: &Result{Digest: "sha256:f"}},
		{Name: "no-result", Status: StatusBuilt},
		{Name: "no-digest", Status: StatusBuilt, Result: &Result{}},
		{Name: "exporter-digest", Status: StatusCached, Result: &Result{
			Digest: "sha256:result", Metadata: map[string]any{MetadataDigest: "sha256:exporter"},
		}},
	}}
	var b bytes.Buffer
	if err := r.WriteMetadata(&b); err != nil {
		t.Fatal(err)
	}
	var got map[string]map[string]any
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]map[string]any{
		"no-digest":       {},
		"exporter-digest": {MetadataDigest: "sha256:exporter"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("metadata (-want +got):\n%s", diff)
	}
}

func TestShortDigest(t *testing.T) {
	for in, want := range map[string]string{
		"sha256:" + strings.Repeat("0123456789ab", 5) + "cdef": "sha256:0123456789ab",
		"sha256:0123456789ab":                "sha256:0123456789ab",
		"sha256:abc":                         "sha256:abc",
		"not-a-digest":                       "not-a-digest",
		"sha512:" + strings.Repeat("f", 128): "sha512:ffffffffffff",
	} {
		if got := shortDigest(in); got != want {
			t.Errorf("shortDigest(%q) = %q, want %q", in, got, want)
		}
	}
}
