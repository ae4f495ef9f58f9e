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

// TestBuildReportUnwritable: a report file that cannot be written fails the
// run (exit 1) and says which flag, while the images are still built.
func TestBuildReportUnwritable(t *testing.T) {
	p := newBuildProject(t, layoutHCL)
	report := p.path("missing/dir/report.json")
	var stdout, stderr bytes.Buffer
	code := run(append([]string{"orch"}, p.args("--progress", "quiet", "--report", report, "app")...), &stdout, &stderr)
	if code != exitFailed {
		t.Fatalf("exit %d, want %d\n%s", code, exitFailed, stderr.String())
	}
	if !regexp.MustCompile(`orch: --report: write .*missing/dir/report\.json`).MatchString(stderr.String()) {
		t.Errorf("stderr does not name --report and the file:\n%s", stderr.String())
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

	if out := orch("status"); !strings.Contains(out, "not running") {
		t.Fatalf("status before start: %q", out)
	}
	if out := orch("start"); !strings.Contains(out, "running at unix://"+filepath.Join(dir, "run", "orch", "buildkitd.sock")) {
		t.Fatalf("start: %q", out)
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
	if !strings.Contains(first, "managed buildkitd: running") || !strings.Contains(first, "linux/amd64") {
		t.Fatalf("status after start: %q", first)
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
