package dest

import (
	"context"
	"errors"
	"fmt"
	"io"
	stdlog "log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	remoteserrors "github.com/containerd/containerd/v2/core/remotes/errors"
	"github.com/google/go-cmp/cmp"
	"github.com/opencontainers/go-digest"

	"github.com/orch-build/orch/internal/testbed"
	"github.com/orch-build/orch/runner"
)

func TestRegistryErrorTypes(t *testing.T) {
	status := func(code int) error {
		return fmt.Errorf("push: %w", remoteserrors.ErrUnexpectedStatus{StatusCode: code, Status: http.StatusText(code)})
	}
	refused := fmt.Errorf("dial: %w", &url.Error{Op: "Put", URL: "http://x", Err: syscall.ECONNREFUSED})
	tests := []struct {
		name      string
		err       error
		code      int // the *StatusError's, 0 for none
		transient bool
	}{
		{"service unavailable", status(503), 503, true},
		{"bad gateway", status(502), 502, true},
		{"too many requests", status(429), 429, true},
		{"request timeout", status(408), 408, true},
		{"internal server error", status(500), 500, true},
		// A server that will never handle the request is not asked again.
		{"not implemented", status(501), 501, false},
		{"HTTP version not supported", status(505), 505, false},
		{"not found", status(404), 404, false},
		{"denied", status(403), 403, false},
		{"connection refused", refused, 0, true},
		{"stream cut short", fmt.Errorf("copy: %w", io.ErrUnexpectedEOF), 0, true},
		{"connection closed before an answer", fmt.Errorf("failed to do request: %w", &url.Error{Op: "Head", URL: "http://x", Err: io.EOF}), 0, true},
		{"anything else", errors.New("manifest invalid"), 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := registryError(tt.err)
			var se *StatusError
			if got := errors.As(err, &se); got != (tt.code != 0) || (got && se.Code != tt.code) {
				t.Errorf("StatusError %v (%+v), want code %d", got, se, tt.code)
			}
			if got := runner.IsTransient(err); got != tt.transient {
				t.Errorf("transient %v, want %v", got, tt.transient)
			}
			if errors.Is(tt.err, syscall.ECONNREFUSED) && !errors.Is(err, syscall.ECONNREFUSED) {
				t.Errorf("the system error is lost: %v", err)
			}
		})
	}
}

// tagDigest is the digest a tag points at in reg, "" when it has none.
func tagDigest(t *testing.T, reg *testbed.Registry, repo, tag string) string {
	t.Helper()
	code, _, body := reg.Get(t, "/v2/"+repo+"/manifests/"+tag)
	if code == http.StatusNotFound {
		return ""
	}
	if code != http.StatusOK {
		t.Fatalf("%s:%s: HTTP %d: %s", repo, tag, code, body)
	}
	return digest.FromBytes(body).String()
}

func TestPushImageAndTags(t *testing.T) {
	reg := testbed.StartRegistry(t)
	root := t.TempDir()
	img := newTestImage(t, "a", "linux/amd64", "linux/arm64")
	tg := target(root, "app", []string{reg.Host + "/team/app:1", reg.Host + "/team/app:latest"}, "type=registry")
	r := openRun(t, tg)
	dests, err := r.Commit(context.Background(), stageBuilt(t, r, tg, img, nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"registry:" + reg.Host + "/team/app:1", "registry:" + reg.Host + "/team/app:latest"}
	if diff := cmp.Diff(want, dests); diff != "" {
		t.Errorf("destinations (-want +got):\n%s", diff)
	}
	for _, tag := range []string{"1", "latest"} {
		if got := tagDigest(t, reg, "team/app", tag); got != img.root.Digest.String() {
			t.Errorf("tag %s at %s, want the index %s", tag, got, img.root.Digest)
		}
	}
	var plats []string
	for _, i := range reg.Images(t, "team/app", "1") {
		plats = append(plats, i.Platform())
	}
	slices.Sort(plats)
	if want := []string{"linux/amd64", "linux/arm64"}; !slices.Equal(plats, want) {
		t.Errorf("platforms %v, want %v", plats, want)
	}
	assertNoStaging(t, root)
}

// TestPushByDigestOnly: push-by-digest=true pushes the image to the
// name's repository by digest and moves no tag; a digest in the name only
// names the repository.
func TestPushByDigestOnly(t *testing.T) {
	reg := testbed.StartRegistry(t)
	img := newTestImage(t, "a", "linux/amd64")
	for _, tt := range []struct{ name, repo string }{
		{reg.Host + "/bydigest/app", "bydigest/app"},
		{reg.Host + "/bydigest/pinned@" + zeroDigest, "bydigest/pinned"},
	} {
		t.Run(tt.repo, func(t *testing.T) {
			tg := target(t.TempDir(), "app", nil, "type=image,push=true,push-by-digest=true,name="+tt.name)
			r := openRun(t, tg)
			dests, err := r.Commit(context.Background(), stageBuilt(t, r, tg, img, nil, nil))
			if err != nil {
				t.Fatal(err)
			}
			if want := []string{"registry:" + reg.Host + "/" + tt.repo + "@" + img.root.Digest.String()}; !slices.Equal(dests, want) {
				t.Errorf("destinations %v, want %v", dests, want)
			}
			if tags := reg.Tags(t, tt.repo); len(tags) != 0 {
				t.Errorf("tags %v, want none", tags)
			}
			reg.Manifest(t, tt.repo, img.root.Digest.String())
		})
	}
}

// roundTripper is an http.RoundTripper made of a function.
type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// lineWriter calls fn with every line written to it.
type lineWriter struct {
	mu sync.Mutex
	fn func(string)
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for l := range strings.Lines(string(p)) {
		w.fn(strings.TrimSpace(l))
	}
	return len(p), nil
}

// fastRetries makes the retry backoff short for one test.
func fastRetries(t *testing.T) {
	old := requestRetry
	requestRetry.Delay, requestRetry.MaxDelay = time.Millisecond, 8*time.Millisecond
	t.Cleanup(func() { requestRetry = old })
}

// TestRegistryKilledMidPush: the registry is killed by pid when the push
// starts its first blob upload (once the requests already in flight have
// their answers), so the upload meets a refused connection, a system
// error the push retries; the registry comes back on the same port with
// the same storage after the first failed attempt, and the push
// completes.
func TestRegistryKilledMidPush(t *testing.T) {
	reg := testbed.StartRegistry(t)
	var (
		mu       sync.Mutex
		idle     = sync.NewCond(&mu)
		inFlight int
		killing  bool
		killed   = make(chan struct{})
		refused  error
	)
	old := transport
	// A new connection for every request, so that the killed registry's
	// port refuses it.
	fresh := http.DefaultTransport.(*http.Transport).Clone()
	fresh.DisableKeepAlives = true
	transport = roundTripper(func(req *http.Request) (*http.Response, error) {
		mu.Lock()
		first := !killing && req.Method == http.MethodPost && strings.Contains(req.URL.Path, "/blobs/uploads/")
		if killing && !first {
			// Requests that start while the registry is being killed
			// go to the dead registry.
			mu.Unlock()
			<-killed
			mu.Lock()
		}
		if first {
			killing = true
			for inFlight > 0 {
				idle.Wait()
			}
			reg.Kill(t)
			close(killed)
		}
		inFlight++
		mu.Unlock()
		resp, err := fresh.RoundTrip(req)
		mu.Lock()
		inFlight--
		if first {
			refused = err
		}
		idle.Broadcast()
		mu.Unlock()
		return resp, err
	})
	t.Cleanup(func() { transport = old })
	restarted := false
	log := &lineWriter{fn: func(l string) {
		if strings.HasPrefix(l, "push attempt 1 failed") && !restarted {
			restarted = true
			reg.Restart(t)
		}
	}}

	img := newTestImage(t, "a", "linux/amd64", "linux/arm64")
	tg := target(t.TempDir(), "app", []string{reg.Host + "/restart/app:1"}, "type=registry")
	r := openRun(t, tg)
	if _, err := r.Commit(context.Background(), stageBuilt(t, r, tg, img, nil, log)); err != nil {
		t.Fatalf("push after the registry came back: %v", err)
	}
	if !killing || !restarted {
		t.Fatalf("killed %v, restarted %v: the test did not interrupt the push", killing, restarted)
	}
	if !errors.Is(refused, syscall.ECONNREFUSED) {
		t.Errorf("the upload to the killed registry failed with %v, want ECONNREFUSED", refused)
	}
	if got := tagDigest(t, reg, "restart/app", "1"); got != img.root.Digest.String() {
		t.Errorf("tag at %s, want %s", got, img.root.Digest)
	}
}

// killingProxy forwards to reg and kills reg, by pid, when the first
// manifest upload to a tag arrives, before forwarding it.
func killingProxy(t *testing.T, reg *testbed.Registry) string {
	t.Helper()
	target, _ := url.Parse("http://" + reg.Host)
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.ErrorLog = stdlog.New(io.Discard, "", 0)
	var once sync.Once
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ref, ok := strings.Cut(r.URL.Path, "/manifests/"); ok && r.Method == http.MethodPut && !strings.HasPrefix(ref, "sha256:") {
			once.Do(func() { reg.Kill(t) })
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// TestAtomicRestoresTags: an atomic publish over two registries whose
// second dies (killed by pid) when its tag is about to move: the tags the
// first registry moved already go back where they were, and the report's
// warnings say what was restored and what could not be.
func TestAtomicRestoresTags(t *testing.T) {
	fastRetries(t)
	reg1, reg2 := testbed.StartRegistry(t), testbed.StartRegistry(t)
	second := killingProxy(t, reg2)
	root := t.TempDir()
	tags := []string{reg1.Host + "/atomic/app:v1", reg1.Host + "/atomic/app:new", second + "/atomic/app:v1"}

	// Before: v1 in both registries at the old image; "new" nowhere.
	oldImg := newTestImage(t, "old", "linux/amd64")
	before := target(root, "app", []string{reg1.Host + "/atomic/app:v1", reg2.Host + "/atomic/app:v1"}, "type=registry")
	r0 := openRun(t, before)
	if _, err := r0.Commit(context.Background(), stageBuilt(t, r0, before, oldImg, nil, nil)); err != nil {
		t.Fatal(err)
	}
	r0.Close()

	tg := target(root, "app", tags, "type=registry", "type=local,dest=out")
	a := NewAtomic(openRun(t, tg))
	newImg := newTestImage(t, "new", "linux/amd64")
	e, err := a.Stage(tg, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	build(t, e, newImg, map[string]string{"f": "new"})
	pushed, err := a.Commit(context.Background(), e)
	if err != nil {
		t.Fatal(err)
	}
	wantPushed := []string{
		"registry:" + reg1.Host + "/atomic/app@" + newImg.root.Digest.String(),
		"registry:" + second + "/atomic/app@" + newImg.root.Digest.String(),
	}
	if diff := cmp.Diff(wantPushed, pushed); diff != "" {
		t.Errorf("pushed by digest (-want +got):\n%s", diff)
	}
	rep := &runner.Report{Outcomes: []runner.Outcome{{Name: "app", Status: runner.StatusBuilt, Result: &runner.Result{Destinations: pushed}}}}
	err = a.Publish(context.Background(), rep)
	if err == nil || !strings.Contains(err.Error(), `target "app": tag `+second+"/atomic/app:v1") {
		t.Fatalf("publish error %v, want the tag of the dead registry named", err)
	}
	reg2.Restart(t)

	if got := tagDigest(t, reg1, "atomic/app", "v1"); got != oldImg.root.Digest.String() {
		t.Errorf("%s v1 at %s, want it back at %s", reg1.Host, got, oldImg.root.Digest)
	}
	if got := tagDigest(t, reg2, "atomic/app", "v1"); got != oldImg.root.Digest.String() {
		t.Errorf("%s v1 at %s, want it where it was, %s", reg2.Host, got, oldImg.root.Digest)
	}
	// distribution v2 does not delete a tag by name: "new" stays, and the
	// report says so.
	newLeft := tagDigest(t, reg1, "atomic/app", "new")
	wantWarnings := []string{
		"atomic run: tag " + tags[1] + " did not exist before the run and could not be removed (",
		"atomic run: tag " + tags[0] + " moved back to " + oldImg.root.Digest.String(),
	}
	if newLeft == "" {
		wantWarnings[0] = "atomic run: tag " + tags[1] + " removed again (it did not exist before the run)"
	}
	if len(rep.Warnings) != 2 || !strings.HasPrefix(rep.Warnings[0], wantWarnings[0]) || rep.Warnings[1] != wantWarnings[1] {
		t.Errorf("warnings\n%q\nwant\n%q", rep.Warnings, wantWarnings)
	}
	wantDests := pushed
	if newLeft != "" {
		wantDests = append(slices.Clone(pushed), "registry:"+tags[1])
	}
	if diff := cmp.Diff(wantDests, rep.Outcomes[0].Result.Destinations); diff != "" {
		t.Errorf("destinations (-want +got):\n%s", diff)
	}
	if _, err := os.Stat(filepath.Join(root, "out")); !os.IsNotExist(err) {
		t.Errorf("the local output was written although a tag failed (%v)", err)
	}
	assertNoStaging(t, root)
	t.Logf("warnings: %q", rep.Warnings)
}
