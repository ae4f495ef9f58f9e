package main

import (
	"bytes"
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orch-build/orch/internal/testbed"
)

// threeSleepers are three independent targets whose RUN step takes a
// second, long enough that solves running at once overlap.
const threeSleepers = `
variable "BUSYBOX" {}
target "s" {
  name     = "s${n}"
  matrix   = { n = ["1", "2", "3"] }
  contexts = { busybox = BUSYBOX }
  no-cache = true
  args     = { CMD = "sleep 1; echo ${n} > /n" }
  output   = ["type=oci,tar=false,dest=out/s${n}"]
}
group "default" { targets = ["s1", "s2", "s3"] }
`

// attemptSpans reads a --report file's attempts as [start, end] per target.
func attemptSpans(t *testing.T, path string) map[string][2]time.Time {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Targets []struct {
			Name     string
			Attempts []struct {
				Started         time.Time `json:"started"`
				DurationSeconds float64   `json:"duration_seconds"`
			}
		}
	}
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatal(err)
	}
	spans := map[string][2]time.Time{}
	for _, tg := range rep.Targets {
		if len(tg.Attempts) != 1 {
			t.Fatalf("%s: %d attempts, want 1", tg.Name, len(tg.Attempts))
		}
		a := tg.Attempts[0]
		spans[tg.Name] = [2]time.Time{a.Started, a.Started.Add(time.Duration(a.DurationSeconds * float64(time.Second)))}
	}
	return spans
}

// TestBuildJobs: with --jobs 1 no two solves overlap, as the report's
// attempt times show; with -j 3 the three one-second steps run at once.
func TestBuildJobs(t *testing.T) {
	for _, tt := range []struct {
		flag    []string
		overlap bool
	}{
		{[]string{"--jobs", "1"}, false},
		{[]string{"-j", "3"}, true},
	} {
		t.Run(strings.Join(tt.flag, " "), func(t *testing.T) {
			p := newBuildProject(t, threeSleepers)
			var stdout, stderr bytes.Buffer
			args := append(p.args("--progress", "quiet", "--report", p.path("report.json")), tt.flag...)
			if code := run(append([]string{"orch"}, args...), &stdout, &stderr); code != exitOK {
				t.Fatalf("exit %d\n%s", code, &stderr)
			}
			spans := attemptSpans(t, p.path("report.json"))
			// The report rounds durations to milliseconds: shorter overlaps
			// are rounding.
			const slack = 5 * time.Millisecond
			overlaps := 0
			names := []string{"s1", "s2", "s3"}
			for i, a := range names {
				for _, b := range names[i+1:] {
					if spans[a][0].Add(slack).Before(spans[b][1]) && spans[b][0].Add(slack).Before(spans[a][1]) {
						overlaps++
					}
				}
			}
			if tt.overlap && overlaps == 0 {
				t.Errorf("with %v no solves overlapped: %v", tt.flag, spans)
			}
			if !tt.overlap && overlaps > 0 {
				t.Errorf("with %v %d pairs of solves overlapped: %v", tt.flag, overlaps, spans)
			}
		})
	}
}

// TestBuildAtomic: with --atomic (and --keep-going, so that ok and slow
// build) and one target failing, nothing is published and the summary
// says why; without --atomic, ok's and slow's layouts are written
// (TestBuildFailurePolicy).
func TestBuildAtomic(t *testing.T) {
	p := newBuildProject(t, failingGraph)
	var stdout, stderr bytes.Buffer
	code := run(append([]string{"orch"}, p.args("--progress", "quiet", "--atomic", "--keep-going", "--var", "SLEEP=1")...), &stdout, &stderr)
	if code != exitFailed {
		t.Fatalf("exit %d, want %d\n%s", code, exitFailed, &stderr)
	}
	for _, name := range []string{"ok", "bad", "child", "slow"} {
		if _, err := os.Stat(p.path("out/" + name)); err == nil {
			t.Errorf("out/%s was written by an atomic run in which bad failed", name)
		}
	}
	if !strings.Contains(stderr.String(), "atomic run: nothing was published") {
		t.Errorf("the summary does not say nothing was published:\n%s", &stderr)
	}
	p.assertNoStaging(t)
}

// TestBuildProgressModes: plain progress shows each step under its target
// on standard error; quiet and none show only the summary.
func TestBuildProgressModes(t *testing.T) {
	p := newBuildProject(t, layoutHCL)
	step := regexp.MustCompile(`(?m)^#\d+ \[app stage-0 \d+/\d+\] RUN `)
	for _, mode := range []string{"plain", "quiet", "none"} {
		t.Run(mode, func(t *testing.T) {
			// The display needs a file to draw on.
			f, err := os.CreateTemp(t.TempDir(), "stderr")
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			var stdout bytes.Buffer
			code := run(append([]string{"orch"}, p.args("app", "--progress", mode, "--no-cache")...), &stdout, f)
			raw, _ := os.ReadFile(f.Name())
			if code != exitOK {
				t.Fatalf("exit %d\n%s", code, raw)
			}
			if got := step.Match(raw); got != (mode == "plain") {
				t.Errorf("--progress %s: shows the RUN step under [app]: %v\n%s", mode, got, raw)
			}
			if !strings.Contains(string(raw), "1 target: 1 built") {
				t.Errorf("--progress %s: no summary:\n%s", mode, raw)
			}
		})
	}
}

// TestBuildTLS builds on a buildkitd that speaks mutual TLS only: with the
// TLS flags the build succeeds; without a client certificate the builder
// refuses the connection and the run fails with exit 1.
func TestBuildTLS(t *testing.T) {
	p := newBuildProject(t, layoutHCL)
	bk, f := testbed.StartTLSBuildKit(t)
	// One builder only: a second --builder would make a pool.
	base := []string{"orch", "build", "-f", p.path("orch.hcl"), "--var", "BUSYBOX=" + p.busybox, "app", "--progress", "quiet", "--builder", bk.Addr, "--tlscacert", f.CA}
	var stdout, stderr bytes.Buffer
	if code := run(append(slices.Clone(base), "--tlscert", f.ClientCert, "--tlskey", f.ClientKey), &stdout, &stderr); code != exitOK {
		t.Fatalf("exit %d with the client certificate\n%s", code, &stderr)
	}
	if _, err := os.Stat(p.path("out/app/index.json")); err != nil {
		t.Errorf("nothing built over TLS: %v", err)
	}
	stderr.Reset()
	if code := run(base, &stdout, &stderr); code != exitFailed {
		t.Fatalf("exit %d without a client certificate, want %d\n%s", code, exitFailed, &stderr)
	}
	if !strings.Contains(stderr.String(), "orch: builder "+bk.Addr+" does not answer") {
		t.Errorf("stderr does not name the builder:\n%s", &stderr)
	}
}
