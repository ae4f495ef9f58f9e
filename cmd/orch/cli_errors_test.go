package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/orch-build/orch/internal/testbed"
)

// layoutHCL builds one image into an OCI layout directory.
const layoutHCL = `
variable "BUSYBOX" {}
target "app" {
  contexts = { busybox = BUSYBOX }
  args     = { CMD = "echo hi > /hi" }
  output   = ["type=oci,tar=false,dest=out/app"]
}
`

// TestBuildLayoutBusy: a layout another run is writing is refused before
// anything is built, with exit 1 and the lock file named.
func TestBuildLayoutBusy(t *testing.T) {
	p := newBuildProject(t, layoutHCL)
	if err := os.MkdirAll(p.path("out"), 0o755); err != nil {
		t.Fatal(err)
	}
	lock := p.path("out/.app.orch-lock")
	f, err := os.OpenFile(lock, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := run(append([]string{"orch"}, p.args("--progress", "quiet", "app")...), &stdout, &stderr)
	if code != exitFailed {
		t.Fatalf("exit %d, want %d\n%s", code, exitFailed, stderr.String())
	}
	for _, want := range []string{"another orch run is writing it", "lock file " + lock} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr does not say %q:\n%s", want, stderr.String())
		}
	}
	if _, err := os.Stat(p.path("out/app")); err == nil {
		t.Errorf("out/app was written while another run held its lock")
	}
}

// TestBuildReportDirs: report files into a directory that does not exist
// yet are written there, as --log-dir is; a report path whose directory
// cannot be made fails the run before anything is built, with exit 2 and
// the flag named once.
func TestBuildReportDirs(t *testing.T) {
	p := newBuildProject(t, layoutHCL)
	files := map[string]string{
		"--report":        p.path("missing/dir/report.json"),
		"--junit":         p.path("other/junit.xml"),
		"--metadata-file": p.path("meta/data/metadata.json"),
		"--report-html":   p.path("views/html/report.html"),
		"--trace":         p.path("views/trace/trace.json"),
	}
	args := p.args("--progress", "quiet", "--log-dir", p.path("logs/now"))
	for flag, path := range files {
		args = append(args, flag, path)
	}
	var stdout, stderr bytes.Buffer
	if code := run(append(append([]string{"orch"}, args...), "app"), &stdout, &stderr); code != exitOK {
		t.Fatalf("exit %d, want %d\n%s", code, exitOK, stderr.String())
	}
	for flag, path := range files {
		if _, err := os.Stat(path); err != nil {
			t.Errorf("%s %s was not written: %v", flag, path, err)
		}
	}
	if _, err := os.Stat(p.path("logs/now/app.log")); err != nil {
		t.Errorf("the log was not written: %v", err)
	}

	// A file where the report's directory should be.
	if err := os.WriteFile(p.path("blocker"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(p.path("out")); err != nil {
		t.Fatal(err)
	}
	stderr.Reset()
	code := run(append([]string{"orch"}, p.args("--progress", "quiet", "--report", p.path("blocker/report.json"), "app")...), &stdout, &stderr)
	if code != exitUsage {
		t.Fatalf("exit %d, want %d\n%s", code, exitUsage, stderr.String())
	}
	want := "orch: --report: mkdir " + p.path("blocker") + ": not a directory\n"
	if stderr.String() != want {
		t.Errorf("stderr:\n%s\nwant:\n%s", stderr.String(), want)
	}
	if _, err := os.Stat(p.path("out/app")); err == nil {
		t.Errorf("out/app was built although the report could not be written")
	}
}

// TestBuildReportWriteFails: a report file that cannot be written after
// the build (its directory made read-only meanwhile is not possible as
// root, so a directory stands where the file goes) fails the run with
// exit 1 and says so once, after the summary; the images are built.
func TestBuildReportWriteFails(t *testing.T) {
	p := newBuildProject(t, layoutHCL)
	report := p.path("report.json")
	if err := os.MkdirAll(filepath.Join(report, "in-the-way"), 0o755); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := run(append([]string{"orch"}, p.args("--progress", "quiet", "--report", report, "app")...), &stdout, &stderr)
	if code != exitFailed {
		t.Fatalf("exit %d, want %d\n%s", code, exitFailed, stderr.String())
	}
	line := regexp.MustCompile(`(?m)^orch: --report: write ` + regexp.QuoteMeta(report) + `: .*$`)
	if n := len(line.FindAllString(stderr.String(), -1)); n != 1 {
		t.Errorf("stderr names the --report failure %d times, want once:\n%s", n, stderr.String())
	}
	if _, err := os.Stat(p.path("out/app/index.json")); err != nil {
		t.Errorf("the build itself should have succeeded: %v", err)
	}
}

// TestBuilderLifecycle drives `orch builder start|status|stop` on a managed
// buildkitd of the test's own: start launches it, a second start reuses
// it, stop ends it.
func TestBuilderLifecycle(t *testing.T) {
	testbed.StartBuildKit(t) // the same checks: root, runc, buildkitd
	bin, err := testbed.Binary("buildkitd")
	if err != nil {
		testbed.Unavailable(t, "%v", err)
	}
	dir := t.TempDir()
	t.Setenv("XDG_DATA_HOME", filepath.Join(dir, "data"))
	t.Setenv("XDG_RUNTIME_DIR", filepath.Join(dir, "run"))
	t.Setenv("ORCH_BUILDKITD", bin)
	t.Setenv("BUILDKIT_HOST", "")
	orch := func(args ...string) string {
		t.Helper()
		var stdout, stderr bytes.Buffer
		if code := run(append([]string{"orch", "builder"}, args...), &stdout, &stderr); code != exitOK {
			t.Fatalf("orch builder %v: exit %d\n%s", args, code, stderr.String())
		}
		return stdout.String()
	}
	t.Cleanup(func() {
		var out bytes.Buffer
		run([]string{"orch", "builder", "stop"}, &out, &out)
	})

	if out := orch("status"); !strings.HasPrefix(out, "managed buildkitd: not running (state ") {
		t.Fatalf("status before start: %q", out)
	}
	if out := orch("ls"); out != "no builder named, and the managed buildkitd is not running (orch builder start)\n" {
		t.Errorf("ls before start: %q", out)
	}
	addr := "unix://" + filepath.Join(dir, "run", "orch", "buildkitd.sock")
	if out := orch("start"); out != "managed buildkitd: running at "+addr+"\n" {
		t.Fatalf("start: %q", out)
	}
	// ls lists the managed buildkitd once it runs.
	if out := orch("ls"); !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(addr) + ` +` + regexp.QuoteMeta(addr) + ` +running +linux/amd64 +\S+ +\d+$`).MatchString(out) {
		t.Errorf("ls after start:\n%s", out)
	}
	pidOf := func(status string) string {
		t.Helper()
		m := regexp.MustCompile(`(?m)^pid:\s+(\d+)$`).FindStringSubmatch(status)
		if m == nil {
			t.Fatalf("status shows no pid: %q", status)
		}
		return m[1]
	}
	first := orch("status")
	status := regexp.MustCompile(`^managed buildkitd: running\npid:       \d+\naddress:   ` + regexp.QuoteMeta(addr) +
		`\nstate:     ` + regexp.QuoteMeta(filepath.Join(dir, "data", "orch", "buildkitd")) + `\nplatforms: linux/amd64(, [^\n]+)?\n$`)
	if !status.MatchString(first) {
		t.Fatalf("status after start: %q, want it to match %s", first, status)
	}
	orch("start")
	if a, b := pidOf(first), pidOf(orch("status")); a != b {
		t.Errorf("a second start replaced pid %s with %s; want the daemon reused", a, b)
	}
	if out := orch("stop"); !strings.Contains(out, "managed buildkitd: stopped") {
		t.Errorf("stop: %q", out)
	}
	if out := orch("status"); !strings.Contains(out, "not running") {
		t.Errorf("status after stop: %q", out)
	}
}
