package buildkit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/core/remotes"
	"github.com/containerd/containerd/v2/core/remotes/docker"
	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/exporter/containerimage/exptypes"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/opencontainers/go-digest"

	"github.com/orch-build/orch/graph"
	"github.com/orch-build/orch/runner"
)

// Push retries: a registry answering 429 or 5xx, or dropping the
// connection, is asked again after pushBackoff, doubling each time, up to
// pushAttempts attempts in all. Only the export is repeated: the build's
// steps come from BuildKit's cache.
var (
	pushAttempts = 5
	pushBackoff  = 250 * time.Millisecond
)

// destinations is the run-wide state of a Solver's outputs: the locks of
// the OCI layouts it writes, the registry push budget and, in an atomic
// run, everything held back until the run succeeded.
type destinations struct {
	atomic  bool
	layouts *layouts
	budget  *registryBudget

	mu   sync.Mutex
	held map[string]*heldExports
}

// heldExports is one target's finished exports in an atomic run.
type heldExports struct {
	exports *exportSet
	digest  digest.Digest
	// pushed are the "registry:REPO@DIGEST" destinations written already.
	pushed []string
}

// newDestinations locks every OCI layout directory the plan writes, so a
// concurrent run is refused before anything is built.
func newDestinations(plan *graph.Plan, opts Options) (*destinations, error) {
	ls, err := lockLayouts(layoutDirs(plan))
	if err != nil {
		return nil, err
	}
	return &destinations{
		atomic:  opts.Atomic,
		layouts: ls,
		budget:  newRegistryBudget(opts.RegistryJobs),
		held:    map[string]*heldExports{},
	}, nil
}

// close drops whatever is still held and releases the locks.
func (d *destinations) close() {
	if d == nil {
		return
	}
	d.discard()
	d.layouts.close()
}

func (d *destinations) discard() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for name, h := range d.held {
		h.exports.abort()
		delete(d.held, name)
	}
}

// export runs the solve that writes t's outputs. The registry budget is
// taken once the build's steps are done, just before BuildKit exports, so
// it bounds concurrent pushes and not builds. A push the registry refused
// for a transient reason is tried again after a backoff.
func (s *Solver) export(ctx context.Context, req *request, job runner.Job, annotations map[string]string, prog *progress, res *runner.Result) error {
	t := job.Node.Target
	d := s.dests
	if d == nil {
		d = &destinations{held: map[string]*heldExports{}}
	}
	for attempt := 1; ; attempt++ {
		exports, err := newExports(t, annotations, exportEnv{atomic: d.atomic, layouts: d.layouts})
		if err != nil {
			return fmt.Errorf("target %q: %w", t.Name, err)
		}
		resp, err := s.buildExports(ctx, req, exports, prog)
		if err != nil {
			exports.abort()
			err = prog.stepError(req, err)
			if exports.pushes && isRegistryTransient(err) {
				if attempt < pushAttempts && ctx.Err() == nil {
					wait := pushBackoff << (attempt - 1)
					fmt.Fprintf(job.Log, "push attempt %d failed, retrying in %s: %v\n", attempt, wait, err)
					if sleep(ctx, wait) == nil {
						continue
					}
				}
				err = runner.Transient(err)
			}
			return fmt.Errorf("target %q: %w", t.Name, err)
		}
		res.Digest = resp.ExporterResponse[exptypes.ExporterImageDigestKey]
		res.Metadata = decodeExporterResponse(resp.ExporterResponse)
		if d.atomic {
			h := &heldExports{exports: exports, digest: digest.Digest(res.Digest)}
			for _, repo := range exports.pushRepos {
				h.pushed = append(h.pushed, "registry:"+repo+"@"+res.Digest)
			}
			res.Destinations = slices.Clone(h.pushed)
			d.mu.Lock()
			if old := d.held[t.Name]; old != nil {
				old.exports.abort()
			}
			d.held[t.Name] = h
			d.mu.Unlock()
			return nil
		}
		if err := exports.commit(ctx, s.opts.Stdout); err != nil {
			exports.abort()
			return fmt.Errorf("target %q: %w", t.Name, err)
		}
		res.Destinations = exports.names
		return nil
	}
}

// buildExports runs one frontend solve with the exports, holding the
// registry budget of every host it pushes to from the end of the build
// until the exports are done.
func (s *Solver) buildExports(ctx context.Context, req *request, exports *exportSet, prog *progress) (*client.SolveResponse, error) {
	freq := frontendRequest(req)
	var release func()
	defer func() {
		if release != nil {
			release()
		}
	}()
	var budget *registryBudget
	if s.dests != nil {
		budget = s.dests.budget
	}
	return s.c.Build(ctx, s.solveOpt(req, exports.entries), "orch", func(ctx context.Context, c gateway.Client) (*gateway.Result, error) {
		res, err := c.Solve(ctx, freq)
		if err != nil {
			return nil, err
		}
		release, err = budget.acquire(ctx, exports.pushHosts)
		return res, err
	}, prog.channel())
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// registryBudget bounds how many exports push to one registry host at a
// time, across every target of the run.
type registryBudget struct {
	jobs  int
	mu    sync.Mutex
	slots map[string]chan struct{}
	// inUse and peak count holders per host, for tests and reports.
	inUse, peak map[string]int
}

// newRegistryBudget returns a budget of jobs pushes per host; jobs <= 0
// means no bound.
func newRegistryBudget(jobs int) *registryBudget {
	return &registryBudget{jobs: jobs, slots: map[string]chan struct{}{}, inUse: map[string]int{}, peak: map[string]int{}}
}

// acquire takes one slot of every host, in sorted order so that targets
// pushing to several hosts cannot deadlock, and returns the release.
func (b *registryBudget) acquire(ctx context.Context, hosts []string) (func(), error) {
	if b == nil || b.jobs <= 0 || len(hosts) == 0 {
		return func() {}, nil
	}
	hosts = slices.Sorted(slices.Values(hosts))
	var taken []string
	release := func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		for _, h := range taken {
			b.inUse[h]--
			<-b.slots[h]
		}
		taken = nil
	}
	for _, h := range hosts {
		b.mu.Lock()
		ch := b.slots[h]
		if ch == nil {
			ch = make(chan struct{}, b.jobs)
			b.slots[h] = ch
		}
		b.mu.Unlock()
		select {
		case ch <- struct{}{}:
		case <-ctx.Done():
			release()
			return nil, fmt.Errorf("wait for a push slot of %s: %w", h, context.Cause(ctx))
		}
		b.mu.Lock()
		b.inUse[h]++
		b.peak[h] = max(b.peak[h], b.inUse[h])
		taken = append(taken, h)
		b.mu.Unlock()
	}
	return release, nil
}

// Peak returns the most pushes to host that ran at once during the run.
func (s *Solver) Peak(host string) int {
	if s.dests == nil || s.dests.budget == nil {
		return 0
	}
	b := s.dests.budget
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.peak[host]
}

// Publish makes an atomic run's destinations visible once every target
// succeeded: first every registry tag is pointed at the digest pushed
// during the build (the step most likely to fail), then every local
// destination is moved or merged into place and every containerd image is
// created. Each outcome's Result.Destinations then lists what was
// published, also when Publish fails part way. It implements
// runner.Publisher.
func (s *Solver) Publish(ctx context.Context, rep *runner.Report) error {
	d := s.dests
	if d == nil || !d.atomic {
		return nil
	}
	d.mu.Lock()
	held := d.held
	d.held = map[string]*heldExports{}
	d.mu.Unlock()
	defer func() {
		for _, h := range held {
			h.exports.abort()
		}
	}()

	results := map[string]*runner.Result{}
	var order []string
	for i := range rep.Outcomes {
		o := &rep.Outcomes[i]
		if h := held[o.Name]; h != nil && o.Result != nil {
			results[o.Name] = o.Result
			order = append(order, o.Name)
		}
	}
	var errs []error
	for _, name := range order {
		h := held[name]
		for _, tag := range h.exports.tags {
			if err := moveTag(ctx, tag, h.digest, h.exports.plainHTTP); err != nil {
				errs = append(errs, fmt.Errorf("target %q: tag %s: %w", name, tag, err))
				continue
			}
			results[name].Destinations = append(results[name].Destinations, "registry:"+tag)
		}
	}
	if len(errs) > 0 {
		// A tag that could not move stops the local destinations too:
		// they are the part that can still wait for a clean run.
		return errors.Join(errs...)
	}
	for _, name := range order {
		h := held[name]
		if err := h.exports.commit(ctx, s.opts.Stdout); err != nil {
			errs = append(errs, fmt.Errorf("target %q: %w", name, err))
			continue
		}
		for _, n := range h.exports.names {
			if !strings.HasPrefix(n, "registry:") {
				results[name].Destinations = append(results[name].Destinations, n)
			}
		}
	}
	return errors.Join(errs...)
}

// Discard drops everything an atomic run held back; nothing is published.
// It implements runner.Publisher.
func (s *Solver) Discard() {
	if s.dests != nil {
		s.dests.discard()
	}
}

// moveTag points the tag ref at the manifest (or index) dgst that an
// atomic run pushed by digest to the same repository.
func moveTag(ctx context.Context, ref string, dgst digest.Digest, plainHTTP map[string]bool) error {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return err
	}
	var lastErr error
	for attempt := 1; attempt <= pushAttempts; attempt++ {
		if attempt > 1 {
			if err := sleep(ctx, pushBackoff<<(attempt-2)); err != nil {
				return lastErr
			}
		}
		lastErr = tagOnce(ctx, named, dgst, plainHTTP)
		if lastErr == nil || !isRegistryTransient(lastErr) {
			return lastErr
		}
	}
	return lastErr
}

func tagOnce(ctx context.Context, ref reference.Named, dgst digest.Digest, plainHTTP map[string]bool) error {
	resolver, err := newResolver(plainHTTP)
	if err != nil {
		return err
	}
	byDigest := ref.Name() + "@" + dgst.String()
	name, desc, err := resolver.Resolve(ctx, byDigest)
	if err != nil {
		return fmt.Errorf("resolve %s: %w", byDigest, err)
	}
	fetcher, err := resolver.Fetcher(ctx, name)
	if err != nil {
		return err
	}
	rc, err := fetcher.Fetch(ctx, desc)
	if err != nil {
		return fmt.Errorf("fetch %s: %w", byDigest, err)
	}
	raw, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		return fmt.Errorf("fetch %s: %w", byDigest, err)
	}
	pusher, err := resolver.Pusher(ctx, ref.String())
	if err != nil {
		return err
	}
	w, err := pusher.Push(ctx, desc)
	if errdefs.IsAlreadyExists(err) {
		return nil // the tag points there already
	}
	if err != nil {
		return err
	}
	defer w.Close()
	// Copy starts over when the client retried the upload by itself.
	if err := content.Copy(ctx, w, bytes.NewReader(raw), desc.Size, desc.Digest); err != nil && !errdefs.IsAlreadyExists(err) {
		return err
	}
	return nil
}

// newResolver talks to registries with the credentials of the docker
// config file, over plain HTTP to loopback registries and to those an
// output marked registry.insecure=true.
func newResolver(plainHTTP map[string]bool) (remotes.Resolver, error) {
	creds, err := registryCreds()
	if err != nil {
		return nil, err
	}
	hosts := docker.ConfigureDefaultRegistries(
		docker.WithAuthorizer(docker.NewDockerAuthorizer(docker.WithAuthCreds(creds))),
		docker.WithPlainHTTP(func(host string) (bool, error) {
			if plainHTTP[host] {
				return true, nil
			}
			return docker.MatchLocalhost(host)
		}),
		docker.WithClient(&http.Client{Transport: http.DefaultTransport}),
	)
	return docker.NewResolver(docker.ResolverOptions{Hosts: hosts}), nil
}

// registryCreds returns the credentials the docker config file holds for
// a registry host.
func registryCreds() (func(string) (string, string, error), error) {
	cfg, err := loadDockerConfig()
	if err != nil {
		return nil, err
	}
	return func(host string) (string, string, error) {
		if host == "registry-1.docker.io" {
			host = "https://index.docker.io/v1/"
		}
		ac, err := cfg.GetAuthConfig(host)
		if err != nil {
			return "", "", err
		}
		if ac.IdentityToken != "" {
			return "", ac.IdentityToken, nil
		}
		return ac.Username, ac.Password, nil
	}, nil
}
