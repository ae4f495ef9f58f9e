package build

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orch-build/orch/internal/testbed"
	"github.com/orch-build/orch/runner"
)

// TestMain stops the test bed's daemons when the tests are done.
func TestMain(m *testing.M) { os.Exit(testbed.Main(m)) }

// pushProject writes targets app-1..app-N that each push a small busybox
// image to host/REPO/app-N:v1, and returns the options that build them on
// the test bed's buildkitd.
func pushProject(t *testing.T, host, repo string, n int) Options {
	t.Helper()
	bk := testbed.StartBuildKit(t)
	busybox := testbed.Busybox(t)
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("%q", fmt.Sprint(i+1))
	}
	opts := writeProject(t, map[string]string{
		"Dockerfile": "FROM scratch\nARG TARGETARCH\nCOPY --from=busybox ${TARGETARCH}/busybox /bin/busybox\nARG N\nRUN [\"/bin/busybox\", \"sh\", \"-c\", \"echo $N > /n\"]\n",
		"orch.hcl": fmt.Sprintf(`
variable "BUSYBOX" {}
target "app" {
  name     = "app-${n}"
  matrix   = { n = [%s] }
  contexts = { busybox = BUSYBOX }
  args     = { N = n }
  tags     = ["%s/%s/app-${n}:v1"]
  output   = ["type=registry,registry.insecure=true"]
}`, strings.Join(names, ", "), host, repo),
	})
	opts.Config.Vars = map[string]string{"BUSYBOX": busybox}
	opts.Targets = []string{"all"}
	opts.Builder.Addr = bk.Addr
	opts.Progress = "quiet"
	return opts
}

// registryProxy forwards to a test registry. While failing is set it
// answers 503 to every manifest upload; it records the time span of every
// upload to a repository.
type registryProxy struct {
	srv     *httptest.Server
	failing atomic.Bool
	failed  atomic.Int32

	mu    sync.Mutex
	spans []span
}

type span struct {
	repo       string
	start, end time.Time
}

func startRegistryProxy(t *testing.T, reg *testbed.Registry) *registryProxy {
	t.Helper()
	target, err := url.Parse("http://" + reg.Host)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(target)
	p := &registryProxy{}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		repo, _, isManifest := strings.Cut(strings.TrimPrefix(r.URL.Path, "/v2/"), "/manifests/")
		if isManifest && r.Method == http.MethodPut && p.failing.Load() {
			p.failed.Add(1)
			http.Error(w, "try again", http.StatusServiceUnavailable)
			return
		}
		if !isManifest {
			repo, _, _ = strings.Cut(strings.TrimPrefix(r.URL.Path, "/v2/"), "/blobs/")
		}
		start := time.Now()
		rp.ServeHTTP(w, r)
		// Uploads only: the incremental check reads every tag before
		// the build, outside the push budget.
		upload := r.Method != http.MethodGet && r.Method != http.MethodHead
		if strings.HasPrefix(r.URL.Path, "/v2/") && repo != "" && upload {
			p.mu.Lock()
			p.spans = append(p.spans, span{repo: repo, start: start, end: time.Now()})
			p.mu.Unlock()
		}
	}))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *registryProxy) host() string { return strings.TrimPrefix(p.srv.URL, "http://") }

// TestRunRetries: a registry that refuses every push until the runner
// schedules a retry. With Retries the second attempt pushes the image;
// without, the run fails after one attempt, marked transient. The
// observer turns the failures off synchronously (Run calls it before the
// retry's backoff), so the test does not depend on timing.
func TestRunRetries(t *testing.T) {
	reg := testbed.StartRegistry(t)
	proxy := startRegistryProxy(t, reg)
	for _, tt := range []struct {
		name    string
		retries int
	}{{"retried", 2}, {"no retries", 0}} {
		t.Run(tt.name, func(t *testing.T) {
			repo := strings.ReplaceAll(tt.name, " ", "-")
			opts := pushProject(t, proxy.host(), repo, 1)
			opts.Retries = tt.retries
			proxy.failing.Store(true)
			proxy.failed.Store(0)
			opts.Observer = runner.ObserverFunc(func(e runner.Event) {
				if e.Kind == runner.AttemptFinished && e.Attempt.RetryAfter > 0 {
					proxy.failing.Store(false)
				}
			})
			res, err := Run(t.Context(), opts)
			if res.Report == nil {
				t.Fatalf("no report: %v", err)
			}
			o := res.Report.Outcomes[0]
			if proxy.failed.Load() == 0 || len(o.Attempts) == 0 || !o.Attempts[0].Transient {
				t.Fatalf("the first attempt did not fail transiently: %d refusals, attempts %+v", proxy.failed.Load(), o.Attempts)
			}
			tags := reg.Tags(t, repo+"/app-1")
			if tt.retries == 0 {
				if err == nil || len(o.Attempts) != 1 || len(tags) != 0 {
					t.Errorf("without retries: error %v, %d attempts, tags %v; want a failure after one attempt", err, len(o.Attempts), tags)
				}
				return
			}
			if err != nil {
				t.Fatalf("with %d retries: %v", tt.retries, err)
			}
			if len(o.Attempts) < 2 || o.Status != runner.StatusBuilt || !slices.Equal(tags, []string{"v1"}) {
				t.Errorf("with retries: %d attempts, status %s, tags %v", len(o.Attempts), o.Status, tags)
			}
		})
	}
}

// TestRunRegistryJobs: with RegistryJobs 1 the pushes of three targets to
// one registry never overlap, though the three build at once.
func TestRunRegistryJobs(t *testing.T) {
	reg := testbed.StartRegistry(t)
	proxy := startRegistryProxy(t, reg)
	opts := pushProject(t, proxy.host(), "budget", 3)
	opts.Jobs, opts.RegistryJobs = 3, 1
	if _, err := Run(t.Context(), opts); err != nil {
		t.Fatal(err)
	}
	proxy.mu.Lock()
	spans := slices.Clone(proxy.spans)
	proxy.mu.Unlock()
	repos := map[string]bool{}
	for i, a := range spans {
		repos[a.repo] = true
		for _, b := range spans[i+1:] {
			if a.repo != b.repo && a.start.Before(b.end) && b.start.Before(a.end) {
				t.Errorf("pushes to %s and %s overlapped", a.repo, b.repo)
			}
		}
	}
	if len(repos) != 3 {
		t.Errorf("pushes seen to %d repositories, want 3", len(repos))
	}
}
