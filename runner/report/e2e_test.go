package report_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orch-build/orch/config"
	"github.com/orch-build/orch/internal/testbed"
	"github.com/orch-build/orch/runner"
	"github.com/orch-build/orch/runner/build"
	"github.com/orch-build/orch/runner/report"
)

func TestMain(m *testing.M) { os.Exit(testbed.Main(m)) }

// flakyRegistry forwards to a test registry and, while failing is set,
// answers 503 to every manifest upload, as an overloaded registry does.
func flakyRegistry(t *testing.T, reg *testbed.Registry, failing *atomic.Bool) (host string, refused *atomic.Int32) {
	t.Helper()
	target, err := url.Parse("http://" + reg.Host)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	refused = &atomic.Int32{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/manifests/") && failing.Load() {
			refused.Add(1)
			http.Error(w, "overloaded, try again", http.StatusServiceUnavailable)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://"), refused
}

const reportProject = `
variable "BUSYBOX" {}
variable "REGISTRY" {}
target "base" {
  contexts = { busybox = BUSYBOX }
}
target "app" {
  contexts   = { base = "target:base" }
  dockerfile = "app.Dockerfile"
  output     = ["type=oci,tar=false,dest=out/app"]
}
target "flaky" {
  contexts   = { busybox = BUSYBOX }
  dockerfile = "flaky.Dockerfile"
  tags       = ["${REGISTRY}/report/flaky:v1"]
  output     = ["type=registry,registry.insecure=true"]
}
target "broken" {
  contexts   = { busybox = BUSYBOX }
  dockerfile = "broken.Dockerfile"
  output     = ["type=oci,tar=false,dest=out/broken"]
}
target "web" {
  contexts   = { app = "target:app" }
  depends_on = ["broken"]
  dockerfile = "web.Dockerfile"
  output     = ["type=oci,tar=false,dest=out/web"]
}
group "default" { targets = ["app", "flaky", "broken", "web"] }
`

const busyboxSteps = "FROM scratch\nARG TARGETARCH\nCOPY --from=busybox ${TARGETARCH}/busybox /bin/busybox\nRUN [\"/bin/busybox\", \"--install\", \"-s\", \"/bin\"]\nENV PATH=/bin\n"

// TestHTMLReportOfATestBedRun: a real run on the test bed with a linked
// parent (base, only app's context), a target retried after a registry
// refused its push (flaky), a failing step (broken) and a target skipped
// because of it (web). Its --report-html page, opened from file:// in
// headless Chromium, shows every target with its status and the failure's
// Dockerfile line, makes no network request, and its screenshot shows the
// report; its --trace file is well formed and tells the report's times;
// orch report html makes the same page from the --report file.
func TestHTMLReportOfATestBedRun(t *testing.T) {
	bk := testbed.StartBuildKit(t)
	reg := testbed.StartRegistry(t)
	var failing atomic.Bool
	failing.Store(true)
	host, refused := flakyRegistry(t, reg, &failing)
	dir := t.TempDir()
	stamp := time.Now().Format(time.RFC3339Nano)
	for name, content := range map[string]string{
		"orch.hcl":          reportProject,
		"Dockerfile":        busyboxSteps + "RUN echo base " + stamp + " > /base && sleep 0.3\n",
		"app.Dockerfile":    "FROM base\nRUN cat /base > /app && sleep 0.2\n",
		"flaky.Dockerfile":  busyboxSteps + "RUN echo flaky " + stamp + " > /flaky\n",
		"broken.Dockerfile": busyboxSteps + "RUN echo compiling " + stamp + "\nRUN echo 'main.c:3: error: expected ;' && exit 2\n",
		"web.Dockerfile":    "FROM app\nRUN echo web > /web\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(dir, "reports")
	opts := build.Options{
		Config: config.Options{
			Files: []string{filepath.Join(dir, "orch.hcl")}, WorkDir: dir, Env: []string{},
			Vars: map[string]string{"BUSYBOX": testbed.Busybox(t), "REGISTRY": host},
		},
		Progress:   "quiet",
		KeepGoing:  true,
		Retries:    2,
		LogDir:     filepath.Join(dir, "logs"),
		Report:     filepath.Join(out, "report.json"),
		ReportHTML: filepath.Join(out, "report.html"),
		Trace:      filepath.Join(out, "trace.json"),
	}
	opts.Builder.Addr = bk.Addr
	// The registry recovers once flaky's first attempt failed, before its
	// retry: the runner calls the observer before the backoff.
	opts.Observer = runner.ObserverFunc(func(e runner.Event) {
		if e.Kind == runner.AttemptFinished && e.Name == "flaky" && e.Attempt.Err != nil {
			failing.Store(false)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	res, err := build.Run(ctx, opts)
	if res.Report == nil {
		t.Fatalf("build: %v", err)
	}
	live := res.Report
	want := map[string]runner.Status{"base": runner.StatusBuilt, "app": runner.StatusBuilt, "flaky": runner.StatusBuilt, "broken": runner.StatusFailed, "web": runner.StatusSkipped}
	for _, o := range live.Outcomes {
		if s := o.Status; s != want[o.Name] && !(s == runner.StatusCached && want[o.Name] == runner.StatusBuilt) {
			t.Errorf("%s: %s (%v), want %s", o.Name, s, o.Err, want[o.Name])
		}
	}
	var flaky runner.Outcome
	for _, o := range live.Outcomes {
		if o.Name == "flaky" {
			flaky = o
		}
	}
	if len(flaky.Attempts) != 2 || refused.Load() == 0 || !flaky.Attempts[0].Transient {
		t.Fatalf("flaky: attempts %+v after %d refused pushes, want a transient failure and a second attempt", flaky.Attempts, refused.Load())
	}
	raw, err := os.ReadFile(opts.Report)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := runner.ReadReport(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	dom := report.CheckPage(t, opts.ReportHTML, rep)
	for _, want := range []string{
		`<a href="../logs/broken.log">log file</a>`,
		`skipped because of it: <span class="skipped-target">web</span>`,
		`2 attempts`,
	} {
		if !strings.Contains(dom, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	shot := report.CheckScreenshot(t, opts.ReportHTML, rep, 1200, 900)
	if *report.DocsScreenshot {
		root, err := testbed.RepoRoot()
		if err != nil {
			t.Fatal(err)
		}
		png, err := os.ReadFile(shot)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, "docs", "report-html.png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	trace, err := os.ReadFile(opts.Trace)
	if err != nil {
		t.Fatal(err)
	}
	report.CheckTrace(t, trace, rep)
	var again2 bytes.Buffer
	if err := build.WriteView("trace", opts.Report, "-", &again2); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(trace, again2.Bytes()) {
		t.Error("orch report trace made another trace than --trace")
	}

	// The page made later from the JSON alone is the same page.
	again := filepath.Join(out, "again.html")
	if err := build.WriteView("html", opts.Report, again, nil); err != nil {
		t.Fatal(err)
	}
	first, _ := os.ReadFile(opts.ReportHTML)
	second, _ := os.ReadFile(again)
	if !bytes.Equal(first, second) {
		t.Error("orch report html made another page than --report-html")
	}
}
