package build

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/orch-build/orch/graph"
	"github.com/orch-build/orch/runner"
	"github.com/orch-build/orch/runner/buildkit"
	"github.com/orch-build/orch/runner/dest"
	"github.com/orch-build/orch/runner/fingerprint"
)

// How a run skips what is up to date. Before anything is built, the
// incremental check (decide) fingerprints every node of the plan
// (runner/fingerprint, from what the adapter says its solve reads:
// buildkit.Sources), resolving every registry image the builds read to
// its digest, and asks every destination of every exported node whether it
// holds the image of that fingerprint (dest.Holds). The verdict goes on
// each node as graph.Freshness, which `orch plan` shows and the runner
// reads: an up-to-date node is not built. After the run, every target
// built leaves a record of its fingerprint's components in the cache
// (fingerprint.Store), from which the next check says what changed.
//
// Never up to date: everything with --force, targets with no-cache =
// true or incremental = false, targets that call a frontend method
// (--call check, outline, targets: they make no image, and a call is
// never recorded as a build), targets with a cacheonly output, an output
// to standard output or one orch cannot check, and targets whose inputs
// cannot all be fingerprinted (a git or HTTP context, an image no registry
// resolves).

// fingerprintJobs bounds the contexts hashed, and the destinations and
// registries asked, at once.
const fingerprintJobs = 8

// incremental is the incremental check of one run: the fingerprint of
// every node, for the records the run leaves.
type incremental struct {
	plan     *graph.Plan
	cacheDir string
	store    *fingerprint.Store
	fps      []*fingerprint.Fingerprint
	records  []*fingerprint.Record
	// calls says which nodes call a frontend method instead of building
	// (--call check, outline, targets): by the method's name, "" for a
	// build.
	calls []string
	// warnings are problems that changed no verdict: a cache that could
	// not be written.
	warnings []string
}

// decide runs the incremental check of plan and sets every node's
// Freshness. It fails only when ctx is cancelled: what it cannot read
// makes a node build.
// Fingerprints and records are kept under dir (see fingerprint.Dir); ""
// keeps nothing.
func decide(ctx context.Context, plan *graph.Plan, dir string, force bool) (*incremental, error) {
	inc := &incremental{plan: plan, fps: make([]*fingerprint.Fingerprint, len(plan.Nodes)), records: make([]*fingerprint.Record, len(plan.Nodes)), calls: make([]string, len(plan.Nodes))}
	inc.cacheDir, inc.store = dir, fingerprint.NewStore(dir)

	n := len(plan.Nodes)
	srcs, srcErrs := make([]*fingerprint.Sources, n), make([]error, n)
	for i, node := range plan.Nodes {
		srcs[i], srcErrs[i] = buildkit.Sources(node.Target)
		if srcs[i] != nil {
			inc.calls[i] = srcs[i].Call
		}
	}
	images, unresolved := resolveImages(ctx, srcs)
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	fpErrs := make([]error, n)
	hasher := fingerprint.NewHasher(dir)
	done := make([]chan struct{}, n)
	for i := range done {
		done[i] = make(chan struct{})
	}
	slots := make(chan struct{}, fingerprintJobs)
	var g errgroup.Group
	for i, node := range plan.Nodes {
		g.Go(func() error {
			defer close(done[i])
			in := fingerprint.Inputs{Parents: map[string]*fingerprint.Fingerprint{}, Images: images, Unresolved: unresolved}
			// Parents come first in a plan; their fingerprints are
			// part of this one.
			for _, e := range node.Deps {
				if e.Kind == graph.DataEdge {
					<-done[e.To]
					if fp := inc.fps[e.To]; fp != nil {
						in.Parents[plan.Nodes[e.To].Name] = fp
					}
				}
			}
			if srcErrs[i] != nil {
				fpErrs[i] = srcErrs[i]
				return nil
			}
			slots <- struct{}{}
			inc.fps[i], fpErrs[i] = hasher.Target(ctx, node.Target, srcs[i], in)
			<-slots
			return nil
		})
	}
	_ = g.Wait()
	if err := hasher.Close(); err != nil {
		inc.warnings = append(inc.warnings, err.Error())
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	var checks errgroup.Group
	checks.SetLimit(fingerprintJobs)
	for i, node := range plan.Nodes {
		checks.Go(func() error {
			node.Freshness = inc.verdict(ctx, i, node, fpErrs[i], force)
			return nil
		})
	}
	_ = checks.Wait()
	return inc, ctx.Err()
}

// verdict decides one node: its fingerprint, whether its destinations
// hold it, and if not, why it builds.
func (inc *incremental) verdict(ctx context.Context, i int, node *graph.Node, fpErr error, force bool) *graph.Freshness {
	t := node.Target
	fp := inc.fps[i]
	f := &graph.Freshness{}
	if fp == nil {
		f.Changes = []string{fmt.Sprintf("inputs cannot be fingerprinted: %v", fpErr)}
		return f
	}
	if len(fp.Unknown) == 0 {
		f.Fingerprint = fp.Digest
	}
	var never []string
	if force {
		never = append(never, "--force")
	}
	if t.NoCache != nil && *t.NoCache {
		never = append(never, "no-cache = true")
	}
	if t.Incremental != nil && !*t.Incremental {
		never = append(never, "incremental = false")
	}
	if m := inc.calls[i]; m != "" {
		// Its answer is what the user asked for; no destination holds it.
		never = append(never, "it calls the frontend's "+m+" instead of building")
	}
	never = append(never, fp.Unknown...)

	rec := inc.store.Load(t)
	inc.records[i] = rec
	var changed []string
	if rec != nil {
		changed = fingerprint.Changes(rec, fp, inc.store.Listing)
	}
	if !node.Export {
		// Nothing of its own is written: it is up to date when its last
		// build had the same inputs.
		switch {
		case rec == nil && len(never) == 0:
			never = append(never, "no record of an earlier build")
		case len(never) == 0 && len(changed) == 0:
			f.UpToDate = true
			f.Digest = rec.Digest
			return f
		}
		f.Changes = append(never, changed...)
		return f
	}
	h := dest.Holds(ctx, t, f.Fingerprint, inc.cacheDir)
	if len(never) == 0 && len(h.Problems) == 0 && len(h.Others) == 0 {
		f.UpToDate = true
		f.Digest, f.Destinations = h.Digest, h.Destinations
		if rec != nil && rec.Fingerprint == fp.Digest {
			f.Metadata = rec.Metadata
			if rec.Digest != "" {
				f.Digest = rec.Digest
			}
		}
		return f
	}
	f.Changes = append(f.Changes, never...)
	switch {
	case len(changed) > 0:
		f.Changes = append(f.Changes, changed...)
	case len(h.Others) > 0:
		// No record says what the inputs were, or they were these: the
		// destination was written by another build.
		f.Changes = append(f.Changes, h.Others...)
	}
	f.Changes = append(f.Changes, h.Problems...)
	return f
}

// resolveImages resolves every image the sources read to its digest, each
// once, several at a time; the ones that fail are in unresolved with why.
func resolveImages(ctx context.Context, srcs []*fingerprint.Sources) (images, unresolved map[string]string) {
	set := map[string]bool{}
	for _, s := range srcs {
		if s != nil {
			for _, ref := range s.Images {
				set[ref] = true
			}
		}
	}
	images, unresolved = map[string]string{}, map[string]string{}
	var mu sync.Mutex
	var g errgroup.Group
	g.SetLimit(fingerprintJobs)
	for _, ref := range slices.Sorted(maps.Keys(set)) {
		g.Go(func() error {
			d, err := dest.ResolveImage(ctx, ref)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				unresolved[ref] = err.Error()
			} else {
				images[ref] = d
			}
			return nil
		})
	}
	_ = g.Wait()
	return images, unresolved
}

// record leaves the record of every target the run built, or found up to
// date without a record of its own, and prunes the listings no record
// needs. A no-op run writes nothing.
func (inc *incremental) record(rep *runner.Report) {
	if inc == nil || rep == nil || inc.cacheDir == "" {
		return
	}
	wrote := false
	for _, o := range rep.Outcomes {
		node := inc.plan.Nodes[o.Index]
		fp := inc.fps[o.Index]
		if fp == nil || len(fp.Unknown) > 0 || o.Result == nil || !o.Status.Succeeded() {
			continue
		}
		if inc.calls[o.Index] != "" || o.Result.Call != nil {
			// A call built no image: the inputs of the last build stay
			// what the next check compares with.
			continue
		}
		if rec := inc.records[o.Index]; o.Status == runner.StatusUpToDate && rec != nil && rec.Fingerprint == fp.Digest {
			continue
		}
		if err := inc.store.Save(node.Target, fp, o.Result.Digest, o.Result.Metadata); err != nil {
			inc.warnings = append(inc.warnings, fmt.Sprintf("target %s: record its build for the next run: %v", o.Name, err))
			continue
		}
		wrote = true
	}
	if wrote {
		if err := inc.store.Prune(); err != nil {
			inc.warnings = append(inc.warnings, fmt.Sprintf("prune the cache: %v", err))
		}
	}
}
