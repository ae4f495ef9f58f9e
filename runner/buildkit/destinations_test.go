package buildkit

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/platforms"
	"github.com/google/go-cmp/cmp"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/orch-build/orch/internal/testbed"
	"github.com/orch-build/orch/runner"
	"github.com/orch-build/orch/runner/dest"
)

// layoutProject has five matrix targets, four tagged and one not, all in
// one OCI layout directory; STAMP changes every image's content.
func layoutProject(t *testing.T) *project {
	return newProject(t, map[string]string{
		"orch.hcl": `
variable "BUSYBOX" {}
variable "STAMP" { default = "a" }
target "img" {
  name     = "img-${n}"
  matrix   = { n = ["1", "2", "3", "4", "5"] }
  contexts = { busybox = BUSYBOX }
  args     = { N = n, STAMP = STAMP }
  tags     = n == "5" ? [] : ["example.com/img-${n}:v1"]
  output   = ["type=oci,tar=false,dest=out/images"]
}`,
		"Dockerfile": busyboxDockerfile + `
ARG N
ARG STAMP
RUN echo "$N $STAMP" > /n
`,
	})
}

// layoutEntry is what the test reads of one index.json entry.
type layoutEntry struct {
	RefName, ImageName, Content string
}

// checkLayout reads the shared layout: its entries, the file each image
// holds, and that the blobs on disk are exactly those the index reaches
// (shared blobs once, nothing orphaned). It returns the entries and how
// many manifests reference the most shared layer.
func checkLayout(t *testing.T, dir string) ([]layoutEntry, int) {
	t.Helper()
	assertOnlyLayout(t, dir)
	l := testbed.OpenLayout(t, dir)
	var got []layoutEntry
	reached := map[digest.Digest]bool{}
	layerUse := map[digest.Digest]int{}
	for _, d := range l.Index.Manifests {
		imgs := testbed.Walk(t, l.Blob, d)
		if len(imgs) != 1 {
			t.Fatalf("entry %s holds %d images, want 1", d.Digest, len(imgs))
		}
		img := imgs[0]
		got = append(got, layoutEntry{
			RefName:   d.Annotations[ocispec.AnnotationRefName],
			ImageName: d.Annotations["io.containerd.image.name"],
			Content:   fileIn(t, l, img, "/n"),
		})
		reached[d.Digest], reached[img.Descriptor.Digest], reached[img.Manifest.Config.Digest] = true, true, true
		for _, layer := range img.Manifest.Layers {
			reached[layer.Digest] = true
			layerUse[layer.Digest]++
		}
	}
	var onDisk []string
	entries, err := os.ReadDir(filepath.Join(dir, "blobs", "sha256"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		onDisk = append(onDisk, "sha256:"+e.Name())
	}
	var want []string
	for dg := range reached {
		want = append(want, dg.String())
	}
	slices.Sort(want)
	if diff := cmp.Diff(want, onDisk); diff != "" {
		t.Errorf("blobs on disk are not exactly those the index reaches (-reached +on disk):\n%s", diff)
	}
	shared := 0
	for _, n := range layerUse {
		shared = max(shared, n)
	}
	return got, shared
}

func wantLayout(stamp string) []layoutEntry {
	var out []layoutEntry
	for n := 1; n <= 4; n++ {
		out = append(out, layoutEntry{RefName: "v1", ImageName: fmt.Sprintf("example.com/img-%d:v1", n), Content: fmt.Sprintf("%d %s", n, stamp)})
	}
	// No tags: the target's name; sorted first (no image name).
	return append([]layoutEntry{{RefName: "img-5", Content: "5 " + stamp}}, out...)
}

func TestLayoutManyTargets(t *testing.T) {
	p := layoutProject(t)
	dir := p.path("out/images")

	rep, _ := p.mustRun(buildOpts{}, destOpts{})
	for n := 1; n <= 5; n++ {
		o := outcome(t, rep, fmt.Sprintf("img-%d", n))
		if !slices.Equal(o.Result.Destinations, []string{"oci:" + dir}) {
			t.Errorf("%s: destinations %v", o.Name, o.Result.Destinations)
		}
	}
	got, shared := checkLayout(t, dir)
	if diff := cmp.Diff(wantLayout("a"), got); diff != "" {
		t.Errorf("first run: layout entries (-want +got):\n%s", diff)
	}
	// The busybox layer is in every image and once on disk.
	if shared != 5 {
		t.Errorf("the most shared layer is in %d images, want 5 (busybox)", shared)
	}
	assertNoStaging(t, p.path("out"))
	t.Logf("first run: %d entries, shared layer in %d images", len(got), shared)

	// Run again, unchanged: the same layout, byte for byte.
	before, _ := os.ReadFile(filepath.Join(dir, "index.json"))
	p.mustRun(buildOpts{}, destOpts{})
	after, _ := os.ReadFile(filepath.Join(dir, "index.json"))
	if string(before) != string(after) {
		t.Errorf("an unchanged re-run changed index.json:\n%s\n%s", before, after)
	}

	// Run with new content: every entry replaced, none duplicated, the old
	// images' own blobs gone.
	p.mustRun(buildOpts{vars: map[string]string{"STAMP": "b"}}, destOpts{})
	got, _ = checkLayout(t, dir)
	if diff := cmp.Diff(wantLayout("b"), got); diff != "" {
		t.Errorf("re-run: layout entries (-want +got):\n%s", diff)
	}
	assertNoStaging(t, p.path("out"))

	// A run of one target replaces its entry only.
	p.mustRun(buildOpts{selection: []string{"img-2"}, vars: map[string]string{"STAMP": "c"}}, destOpts{})
	got, _ = checkLayout(t, dir)
	want := wantLayout("b")
	want[2].Content = "2 c"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("one-target run: layout entries (-want +got):\n%s", diff)
	}
}

// secondRunWhileLocked starts a run of p and, while its first node has
// started (its observer holds the node there), checks that it holds the
// lock file lock and runs p again with second; it returns the second
// run's error once the first succeeded.
func secondRunWhileLocked(t *testing.T, p *project, lock string, second buildOpts) error {
	t.Helper()
	started, release, firstDone := make(chan struct{}), make(chan struct{}), make(chan struct{})
	var once sync.Once
	hold := runner.ObserverFunc(func(e runner.Event) {
		if e.Kind == runner.NodeStarted {
			once.Do(func() {
				close(started)
				<-release
			})
		}
	})
	var firstErr error
	go func() {
		defer close(firstDone)
		_, _, firstErr = p.run(buildOpts{runner: runner.Options{Observer: hold}}, destOpts{})
	}()
	select {
	case <-started:
	case <-firstDone:
		t.Fatalf("the first run ended before a node started: %v", firstErr)
	}
	if _, err := os.Stat(lock); err != nil {
		close(release)
		<-firstDone
		t.Fatalf("the first run is building without the layout's lock: %v", err)
	}
	_, _, err := p.run(second, destOpts{})
	close(release)
	<-firstDone
	if firstErr != nil {
		t.Fatalf("first run: %v", firstErr)
	}
	return err
}

func TestLayoutConcurrentRunsRefused(t *testing.T) {
	p := layoutProject(t)
	dir := p.path("out/images")
	lock := filepath.Join(filepath.Dir(dir), ".images.orch-lock")

	err := secondRunWhileLocked(t, p, lock, buildOpts{vars: map[string]string{"STAMP": "b"}})
	if !errors.Is(err, dest.ErrLayoutBusy) {
		t.Fatalf("second run: error %v, want ErrLayoutBusy", err)
	}
	want := fmt.Sprintf("oci layout %s: another orch run is writing it (pid %d); lock file %s; wait for it to finish or choose another dest", dir, os.Getpid(), lock)
	if err.Error() != want {
		t.Errorf("second run: error\n%s\nwant\n%s", err, want)
	}
	// The first run's layout is whole; the lock is gone.
	got, _ := checkLayout(t, dir)
	if diff := cmp.Diff(wantLayout("a"), got); diff != "" {
		t.Errorf("layout entries (-want +got):\n%s", diff)
	}
	if _, err := os.Stat(lock); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("lock file left behind: %v", err)
	}
}

func TestContainerdImport(t *testing.T) {
	ctrd := testbed.StartContainerd(t)
	p := newProject(t, map[string]string{
		"orch.hcl": fmt.Sprintf(`
variable "BUSYBOX" {}
target "app" {
  contexts  = { busybox = BUSYBOX }
  platforms = ["linux/amd64", "linux/arm64"]
  tags      = ["example.com/app:1.0", "example.com/app:latest"]
  output    = ["type=containerd,namespace=orch-test,address=%s"]
}`, ctrd.Address),
		"Dockerfile": busyboxDockerfile + "RUN uname -m > /arch\n",
	})
	rep, _ := p.mustRun(buildOpts{}, destOpts{})
	o := outcome(t, rep, "app")
	wantDests := []string{"containerd:orch-test/example.com/app:1.0", "containerd:orch-test/example.com/app:latest"}
	if diff := cmp.Diff(wantDests, o.Result.Destinations); diff != "" {
		t.Errorf("destinations (-want +got):\n%s", diff)
	}

	ctx := context.Background()
	c, err := containerd.New(ctrd.Address, containerd.WithDefaultNamespace("orch-test"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	list, err := c.ImageService().List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, img := range list {
		names = append(names, img.Name)
		if img.Target.Digest.String() != o.Result.Digest {
			t.Errorf("%s: target %s, the build reported %s", img.Name, img.Target.Digest, o.Result.Digest)
		}
		ps, err := images.Platforms(ctx, c.ContentStore(), img.Target)
		if err != nil {
			t.Fatalf("%s: platforms: %v", img.Name, err)
		}
		var got []string
		for _, p := range ps {
			if p.OS != "unknown" {
				got = append(got, platforms.Format(p))
			}
		}
		slices.Sort(got)
		if want := []string{"linux/amd64", "linux/arm64"}; !slices.Equal(got, want) {
			t.Errorf("%s: platforms %v, want %v", img.Name, got, want)
		}
		// Every blob of every platform is in the content store.
		for _, plat := range []string{"linux/amd64", "linux/arm64"} {
			m, err := images.Manifest(ctx, c.ContentStore(), img.Target, platforms.Only(platforms.MustParse(plat)))
			if err != nil {
				t.Fatalf("%s %s: manifest: %v", img.Name, plat, err)
			}
			for _, l := range append([]ocispec.Descriptor{m.Config}, m.Layers...) {
				if _, err := c.ContentStore().Info(ctx, l.Digest); err != nil {
					t.Errorf("%s %s: blob %s: %v", img.Name, plat, l.Digest, err)
				}
			}
		}
	}
	slices.Sort(names)
	if want := []string{"example.com/app:1.0", "example.com/app:latest"}; !slices.Equal(names, want) {
		t.Errorf("images in namespace orch-test: %v, want %v", names, want)
	}
	t.Logf("containerd holds %v at %s", names, o.Result.Digest)
}

// atomicProject has two good targets pushing and writing one layout, and a
// third whose RUN fails when FAIL is "yes".
func atomicProject(t *testing.T, reg *testbed.Registry) *project {
	return newProject(t, map[string]string{
		"orch.hcl": fmt.Sprintf(`
variable "BUSYBOX" {}
variable "STAMP" { default = "a" }
variable "FAIL" { default = "no" }
target "good" {
  name     = "good-${n}"
  matrix   = { n = ["1", "2"] }
  contexts = { busybox = BUSYBOX }
  args     = { N = n, STAMP = STAMP }
  tags     = ["%[1]s/atomic/good-${n}:v1"]
  output   = ["type=registry", "type=oci,tar=false,dest=out/images"]
}
target "bad" {
  contexts   = { busybox = BUSYBOX }
  dockerfile = "Dockerfile.bad"
  args       = { FAIL = FAIL }
  tags       = ["%[1]s/atomic/bad:v1"]
  output     = ["type=registry", "type=local,dest=out/bad"]
}`, reg.Host),
		"Dockerfile": busyboxDockerfile + `
ARG N
ARG STAMP
RUN echo "$N $STAMP" > /n
`,
		"Dockerfile.bad": busyboxDockerfile + `
ARG FAIL
RUN test "$FAIL" != yes && echo ok > /n
`,
	})
}

func TestAtomicFailureChangesNothing(t *testing.T) {
	reg := testbed.StartRegistry(t)
	p := atomicProject(t, reg)
	// A first, ordinary run puts tags and a layout in place.
	p.mustRun(buildOpts{}, destOpts{})
	tagged := func() map[string]string {
		out := map[string]string{}
		for _, repo := range []string{"atomic/good-1", "atomic/good-2", "atomic/bad"} {
			_, raw := reg.Manifest(t, repo, "v1")
			out[repo] = digest.FromBytes(raw).String()
		}
		return out
	}
	tagsBefore := tagged()
	indexBefore, err := os.ReadFile(p.path("out/images/index.json"))
	if err != nil {
		t.Fatal(err)
	}
	badBefore, err := os.ReadFile(p.path("out/bad/n"))
	if err != nil {
		t.Fatal(err)
	}

	// An atomic run with new content in which one target fails.
	rep, _, err := p.run(buildOpts{
		vars:   map[string]string{"STAMP": "b", "FAIL": "yes"},
		runner: runner.Options{KeepGoing: true},
	}, destOpts{atomic: true})
	if !errors.Is(err, runner.ErrFailed) {
		t.Fatalf("atomic run: error %v, want ErrFailed", err)
	}
	if o := outcome(t, rep, "bad"); o.Status != runner.StatusFailed {
		t.Fatalf("bad: status %s", o.Status)
	}
	for _, name := range []string{"good-1", "good-2"} {
		o := outcome(t, rep, name)
		if !o.Status.Succeeded() {
			t.Fatalf("%s: status %s", name, o.Status)
		}
		// Pushed by digest, nothing else.
		want := []string{"registry:" + reg.Host + "/atomic/" + name + "@" + o.Result.Digest}
		if diff := cmp.Diff(want, o.Result.Destinations); diff != "" {
			t.Errorf("%s: destinations (-want +got):\n%s", name, diff)
		}
		if tagsBefore["atomic/"+name] == o.Result.Digest {
			t.Fatalf("%s: the new build has the old digest; the test proves nothing", name)
		}
		// The new manifest is in the registry, untagged.
		reg.Manifest(t, "atomic/"+name, o.Result.Digest)
	}
	if !slices.ContainsFunc(rep.Warnings, func(w string) bool { return strings.Contains(w, "nothing was published") }) {
		t.Errorf("warnings %q do not say that nothing was published", rep.Warnings)
	}
	if diff := cmp.Diff(tagsBefore, tagged()); diff != "" {
		t.Errorf("a failed atomic run moved tags (-before +after):\n%s", diff)
	}
	indexAfter, _ := os.ReadFile(p.path("out/images/index.json"))
	if string(indexAfter) != string(indexBefore) {
		t.Errorf("a failed atomic run changed the layout's index.json")
	}
	checkLayout(t, p.path("out/images"))
	if badAfter, _ := os.ReadFile(p.path("out/bad/n")); string(badAfter) != string(badBefore) {
		t.Errorf("out/bad changed")
	}
	assertNoStaging(t, p.path("out"))

	// The same atomic run without the failure publishes everything.
	rep, _ = p.mustRun(buildOpts{vars: map[string]string{"STAMP": "b"}}, destOpts{atomic: true})
	after := tagged()
	for _, name := range []string{"good-1", "good-2", "bad"} {
		o := outcome(t, rep, name)
		if after["atomic/"+name] != o.Result.Digest {
			t.Errorf("%s: tag v1 at %s, the build reported %s", name, after["atomic/"+name], o.Result.Digest)
		}
		ref := reg.Host + "/atomic/" + name
		want := []string{"registry:" + ref + "@" + o.Result.Digest, "registry:" + ref + ":v1"}
		if name == "bad" {
			want = append(want, "local:"+p.path("out/bad"))
		} else {
			want = append(want, "oci:"+p.path("out/images"))
		}
		if diff := cmp.Diff(want, o.Result.Destinations); diff != "" {
			t.Errorf("%s: published destinations (-want +got):\n%s", name, diff)
		}
	}
	got, _ := checkLayout(t, p.path("out/images"))
	for i, e := range got {
		if want := fmt.Sprintf("%d b", i+1); e.Content != want {
			t.Errorf("layout entry %d holds %q, want %q", i, e.Content, want)
		}
	}
	assertNoStaging(t, p.path("out"))
}

// flakyProxy forwards to a registry after answering 503 to the first
// failures requests that fail matches, and records every forwarded
// request of a repository with its time span.
type flakyProxy struct {
	srv      *httptest.Server
	failures int32
	fail     func(*http.Request) bool
	seen     atomic.Int32 // matching requests
	failed   atomic.Int32

	mu       sync.Mutex
	requests []proxied
}

type proxied struct {
	repo       string
	start, end time.Time
}

func startFlakyProxy(t *testing.T, reg *testbed.Registry, failures int32, fail func(*http.Request) bool) *flakyProxy {
	t.Helper()
	target, _ := url.Parse("http://" + reg.Host)
	rp := httputil.NewSingleHostReverseProxy(target)
	fp := &flakyProxy{failures: failures, fail: fail}
	fp.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if fp.fail(r) && fp.seen.Add(1) <= fp.failures {
			fp.failed.Add(1)
			http.Error(w, "try again", http.StatusServiceUnavailable)
			return
		}
		repo := ""
		if rest, ok := strings.CutPrefix(r.URL.Path, "/v2/"); ok {
			for _, sep := range []string{"/blobs/", "/manifests/"} {
				if i := strings.Index(rest, sep); i >= 0 {
					repo = rest[:i]
				}
			}
		}
		start := time.Now()
		rp.ServeHTTP(w, r)
		if repo != "" {
			fp.mu.Lock()
			fp.requests = append(fp.requests, proxied{repo: repo, start: start, end: time.Now()})
			fp.mu.Unlock()
		}
	}))
	t.Cleanup(fp.srv.Close)
	return fp
}

func (fp *flakyProxy) host() string { return strings.TrimPrefix(fp.srv.URL, "http://") }

// manifestPut matches manifest uploads; byTag only those to a tag.
func manifestPut(byTag bool) func(*http.Request) bool {
	return func(r *http.Request) bool {
		_, ref, ok := strings.Cut(r.URL.Path, "/manifests/")
		return ok && r.Method == http.MethodPut && (!byTag || !strings.HasPrefix(ref, "sha256:"))
	}
}

func budgetProject(t *testing.T, host string) *project {
	return newProject(t, map[string]string{
		"orch.hcl": fmt.Sprintf(`
variable "BUSYBOX" {}
target "app" {
  name     = "app-${n}"
  matrix   = { n = ["1", "2", "3"] }
  contexts = { busybox = BUSYBOX }
  args     = { N = n }
  tags     = ["%s/budget/app-${n}:v1"]
  output   = ["type=registry,registry.insecure=true"]
}`, host),
		"Dockerfile": busyboxDockerfile + "ARG N\nRUN echo $N > /n\n",
	})
}

// TestRegistryRetryAndBudget pushes three images through a registry whose
// first manifest uploads fail with 503 for longer than BuildKit's own
// retries last (it gives up after four tries), so orch's retry of the
// export must finish the push; with --registry-jobs 1 the three pushes
// never overlap.
func TestRegistryRetryAndBudget(t *testing.T) {
	reg := testbed.StartRegistry(t)
	proxy := startFlakyProxy(t, reg, 8, manifestPut(false))
	p := budgetProject(t, proxy.host())
	logs := t.TempDir()
	rep, s := p.mustRun(buildOpts{runner: runner.Options{Jobs: 3, LogDir: logs}}, destOpts{registryJobs: 1})
	if n := proxy.failed.Load(); n != 8 {
		t.Errorf("the proxy answered 503 %d times, want 8", n)
	}
	retries := 0
	for n := 1; n <= 3; n++ {
		name := fmt.Sprintf("app-%d", n)
		o := outcome(t, rep, name)
		if len(o.Attempts) != 1 {
			t.Errorf("%s: %d runner attempts, want 1 (the push is retried inside the solve)", name, len(o.Attempts))
		}
		if _, raw := reg.Manifest(t, "budget/"+name, "v1"); digest.FromBytes(raw).String() != o.Result.Digest {
			t.Errorf("%s: the registry's v1 is not the built digest", name)
		}
		log, _ := os.ReadFile(o.LogFile)
		retries += strings.Count(string(log), "push attempt")
	}
	if retries < 1 {
		t.Errorf("no log says orch retried a push")
	}
	if peak := s.Peak(proxy.host()); peak != 1 {
		t.Errorf("peak pushes to %s: %d, want 1", proxy.host(), peak)
	}
	// With a budget of one, no two repositories were pushed to at once.
	proxy.mu.Lock()
	reqs := slices.Clone(proxy.requests)
	proxy.mu.Unlock()
	repos := map[string]bool{}
	for i, a := range reqs {
		repos[a.repo] = true
		for _, b := range reqs[i+1:] {
			if a.repo != b.repo && a.start.Before(b.end) && b.start.Before(a.end) {
				t.Errorf("pushes overlapped: %s %s..%s and %s %s..%s", a.repo, a.start.Format(time.StampMicro), a.end.Format(time.StampMicro), b.repo, b.start.Format(time.StampMicro), b.end.Format(time.StampMicro))
			}
		}
	}
	if len(repos) != 3 {
		t.Errorf("pushes seen for %d repositories, want 3", len(repos))
	}
	t.Logf("503 answered %d times; orch retried %d times; peak %d", proxy.failed.Load(), retries, s.Peak(proxy.host()))
}

// TestAtomicTagRetry: in an atomic run the tags are moved by orch itself;
// a registry answering 503 twice to a tag upload gets it on the third try
// (the registry client retries once by itself, orch once more).
func TestAtomicTagRetry(t *testing.T) {
	reg := testbed.StartRegistry(t)
	proxy := startFlakyProxy(t, reg, 2, manifestPut(true))
	p := budgetProject(t, proxy.host())
	rep, _ := p.mustRun(buildOpts{}, destOpts{atomic: true})
	if n := proxy.failed.Load(); n != 2 {
		t.Errorf("the proxy answered 503 %d times, want 2", n)
	}
	if n := proxy.seen.Load(); n != 5 {
		t.Errorf("%d tag uploads, want 5: three that failed or succeeded for the first tag, one for each other", n)
	}
	for n := 1; n <= 3; n++ {
		name := fmt.Sprintf("app-%d", n)
		o := outcome(t, rep, name)
		if _, raw := reg.Manifest(t, "budget/"+name, "v1"); digest.FromBytes(raw).String() != o.Result.Digest {
			t.Errorf("%s: the registry's v1 is not the built digest", name)
		}
		if !slices.Contains(o.Result.Destinations, "registry:"+proxy.host()+"/budget/"+name+":v1") {
			t.Errorf("%s: destinations %v do not list the tag", name, o.Result.Destinations)
		}
	}
}
