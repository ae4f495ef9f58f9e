package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/orch-build/orch/internal/testbed"
)

// BenchmarkPoolSleep builds 32 independent `RUN sleep 1` targets on one
// test-bed node and on two, each node with its default limit (32 solves
// at once here). Every iteration's RUN steps are new (a fresh argument),
// so nothing comes from the cache. Besides the run's time it reports
// where the time goes, from the run's report: run-s is the mean RUN
// step (1 s of sleep plus starting its container), attempt-s the mean
// attempt (the steps before the RUN, the RUN, the OCI export).
func BenchmarkPoolSleep(b *testing.B) {
	bb := testbed.Busybox(b)
	nodes := []*testbed.BuildKit{testbed.StartPlatformBuildKit(b, "linux/amd64"), testbed.StartPlatformBuildKit(b, "linux/amd64")}
	for _, n := range []int{1, 2} {
		b.Run(fmt.Sprintf("nodes=%d", n), func(b *testing.B) {
			var runSum, attemptSum time.Duration
			var runs, attempts int
			iteration := 0
			for b.Loop() {
				iteration++
				dir := writeProject(b, map[string]string{
					"orch.hcl":   independentTargets(32, fmt.Sprintf("sleep 1 # %d-%d-%d", n, iteration, time.Now().UnixNano())),
					"Dockerfile": buildDockerfile,
				})
				args := []string{"orch", "build", "-f", filepath.Join(dir, "orch.hcl"), "--var", "BUSYBOX=" + bb, "--progress", "quiet", "--report", filepath.Join(dir, "report.json")}
				for k := range n {
					args = append(args, "--builder", fmt.Sprintf("%s,name=bk%d", nodes[k].Addr, k))
				}
				var stdout, stderr bytes.Buffer
				if code := run(args, &stdout, &stderr); code != exitOK {
					b.Fatalf("exit %d\n%s", code, &stderr)
				}
				b.StopTimer()
				r, a, rc, ac := reportTimes(b, filepath.Join(dir, "report.json"))
				runSum, attemptSum, runs, attempts = runSum+r, attemptSum+a, runs+rc, attempts+ac
				b.StartTimer()
			}
			b.ReportMetric(runSum.Seconds()/float64(max(runs, 1)), "run-s")
			b.ReportMetric(attemptSum.Seconds()/float64(max(attempts, 1)), "attempt-s")
		})
	}
}

// reportTimes sums the RUN steps' and the attempts' durations of a
// --report file and counts them.
func reportTimes(b *testing.B, path string) (run, attempt time.Duration, runs, attempts int) {
	raw, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	var rep struct {
		Targets []struct {
			Attempts []struct {
				DurationSeconds float64 `json:"duration_seconds"`
				Steps           []struct {
					Name      string     `json:"name"`
					Started   time.Time  `json:"started"`
					Completed *time.Time `json:"completed"`
				} `json:"steps"`
			} `json:"attempts"`
		} `json:"targets"`
	}
	if err := json.Unmarshal(raw, &rep); err != nil {
		b.Fatal(err)
	}
	for _, t := range rep.Targets {
		for _, a := range t.Attempts {
			attempt += time.Duration(a.DurationSeconds * float64(time.Second))
			attempts++
			for _, s := range a.Steps {
				if strings.Contains(s.Name, "RUN sh -c") && s.Completed != nil {
					run += s.Completed.Sub(s.Started)
					runs++
				}
			}
		}
	}
	return run, attempt, runs, attempts
}
