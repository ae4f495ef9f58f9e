package buildkit

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/exporter/containerimage/exptypes"
	"github.com/moby/buildkit/solver/pb"
	"golang.org/x/sync/errgroup"

	"github.com/orch-build/orch/config"
	"github.com/orch-build/orch/runner"
	"github.com/orch-build/orch/runner/dest"
)

// node is one builder daemon a Solver builds on: its client, the session
// that serves it the run's local directories, and its default platform.
type node struct {
	// name is the runner.Builder's; empty for a Solver of one client.
	name     string
	c        *client.Client
	contexts *contextSession
	native   []string
}

// part is the platforms of a job that one node builds.
type part struct {
	node *node
	// platforms are canonical; nil for a job without a placement.
	platforms []string
}

// parts groups the job's placement by node, in order of first use. A job
// without a placement (a Solver of one client) is one part on it.
func (s *Solver) parts(job runner.Job) ([]part, error) {
	if len(job.Placement) == 0 {
		return []part{{node: s.first}}, nil
	}
	var out []part
	for _, pl := range job.Placement {
		n := s.nodes[pl.Node]
		if n == nil {
			return nil, fmt.Errorf("placed on builder node %q, which the solver does not know", pl.Node)
		}
		i := slices.IndexFunc(out, func(p part) bool { return p.node == n })
		if i < 0 {
			out = append(out, part{node: n})
			i = len(out) - 1
		}
		out[i].platforms = append(out[i].platforms, pl.Platform)
	}
	return out, nil
}

// newPartRequest translates job's target for the part p (split: one part
// of several) and hands it the linked parents' results.
func (s *Solver) newPartRequest(ctx context.Context, job runner.Job, p part, split bool, prog *progress) (*request, error) {
	t := job.Node.Target
	req, err := newRequest(t, p.node.contexts)
	if err != nil {
		return nil, fmt.Errorf("target %q: %w", t.Name, err)
	}
	req.node, req.platforms = p.node, p.platforms
	req.place(t, split)
	if req.auth, err = authProvider(); err == nil {
		err = s.addInputs(ctx, req, job, prog)
	}
	if err != nil {
		req.cleanup()
		return nil, fmt.Errorf("target %q: %w", t.Name, err)
	}
	return req, nil
}

// place sets the platforms of a placed request: a part of a split target
// builds its own platforms, as a multi-platform build so that every part
// is an index; a target that names no platform builds for the pool's
// default, which needs saying only where it is not the node's own.
func (r *request) place(t *config.Target, split bool) {
	switch {
	case r.platforms == nil:
	case split:
		r.attrs["platform"] = strings.Join(r.platforms, ",")
		r.attrs["multi-platform"] = "true"
	case len(t.Platforms) == 0 && len(r.node.native) > 0 && r.node.native[0] != r.platforms[0]:
		r.attrs["platform"] = r.platforms[0]
	}
}

// lostNode turns the error of a build on n into a
// *runner.LostBuilderError when n no longer answers (ListWorkers), so the
// runner retries the solve elsewhere and uses n no more. A Solver of one
// node keeps the error as it is: a retry then waits for that node, which
// may be restarting.
func (s *Solver) lostNode(ctx context.Context, n *node, err error) error {
	var lost *runner.LostBuilderError
	if err == nil || s.single || ctx.Err() != nil || errors.As(err, &lost) {
		return err
	}
	pingCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if _, perr := n.c.ListWorkers(pingCtx); perr == nil {
		return err
	}
	return &runner.LostBuilderError{Node: n.name, Err: err}
}

// solveSplit builds job's platforms in parts, one per node at once, and
// assembles the image index: each part exports its platforms as an OCI
// archive for every write of the target's export (dest.Split), orch
// combines them (dest.Split.Assemble) and commits the export as it
// commits a single build's. A target other targets link to is held open
// on every part's node, each platform's result where it was built.
func (s *Solver) solveSplit(ctx context.Context, job runner.Job, parts []part) (*runner.Result, error) {
	t := job.Node.Target
	annotations, err := annotationAttrs(t.Annotations)
	if err != nil {
		return nil, fmt.Errorf("target %q: %w", t.Name, err)
	}
	prog := s.newProgress(ctx, job)
	defer prog.close()
	// The report's timeline gets the attempt's steps however it ends.
	defer func() { job.RecordSteps(prog.steps()) }()
	// One whose destinations hold it is solved only for a dependent.
	exported := (job.Node.Export || !s.parents[t.Name]) && !job.UpToDate
	var e *dest.Export
	var split *dest.Split
	if exported {
		if err := checkLayouts(t); err != nil {
			return nil, fmt.Errorf("target %q: %w", t.Name, err)
		}
		fp := ""
		if f := job.Node.Freshness; f != nil {
			fp = f.Fingerprint
		}
		if e, err = s.dests.Stage(t, fp, job.Log); err != nil {
			return nil, fmt.Errorf("target %q: %w", t.Name, err)
		}
		if split, err = e.Split(len(parts)); err != nil {
			e.Abort()
			return nil, err
		}
	}
	links := make([]*link, len(parts))
	releases := make([]func(), len(parts))
	reqs := make([]*request, len(parts))
	releaseAll := func() {
		for _, r := range releases {
			if r != nil {
				r()
			}
		}
	}
	fail := func(err error) (*runner.Result, error) {
		releaseAll()
		if e != nil {
			e.Abort()
		}
		return nil, err
	}
	fmt.Fprintf(job.Log, "#0 platforms split across builder nodes: %s\n", placementText(job.Placement))
	g, gctx := errgroup.WithContext(ctx)
	for k, p := range parts {
		g.Go(func() error {
			req, err := s.newPartRequest(gctx, job, p, true, prog)
			if err != nil {
				return err
			}
			defer req.cleanup()
			reqs[k] = req
			if s.parents[t.Name] {
				l, release, err := s.hold(gctx, t.Name, req, prog, false)
				if err != nil {
					return fmt.Errorf("target %q: %w", t.Name, prog.stepError(req, s.lostNode(gctx, req.node, err)))
				}
				links[k], releases[k] = l, release
			}
			if !exported {
				return nil
			}
			if _, err := s.build(gctx, req, exportEntries(split.Parts[k], annotations), prog, func() { job.StartPhase(runner.PhaseExport) }); err != nil {
				return fmt.Errorf("target %q: %w", t.Name, prog.stepError(req, err))
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return fail(err)
	}
	res := &runner.Result{}
	if exported {
		desc, err := split.Assemble()
		if err != nil {
			return fail(err)
		}
		res.Digest = desc.Digest.String()
		res.Metadata = map[string]any{
			exptypes.ExporterImageDigestKey: res.Digest,
			exptypes.ExporterImageDescriptorKey: map[string]any{
				"mediaType": desc.MediaType, "digest": res.Digest, "size": desc.Size,
			},
		}
		if names := t.Tags; len(names) > 0 {
			res.Metadata[exptypes.ExporterImageNameKey] = strings.Join(names, ",")
		}
		job.StartPhase(runner.PhasePush)
		if res.Destinations, err = s.dests.Commit(ctx, e); err != nil {
			return fail(fmt.Errorf("target %q: %w", t.Name, err))
		}
	}
	if s.parents[t.Name] {
		res.Handle, res.Release = mergeLinks(links, parts), releaseAll
	}
	res.Cached, res.Total = prog.counts()
	res.Warnings = prog.warningTexts(reqs[0])
	return res, nil
}

// placementText renders a placement for logs: "linux/amd64 on bk1, ...".
func placementText(ps []runner.Placement) string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Platform + " on " + p.Node
	}
	return strings.Join(out, ", ")
}

// mergeLinks is the link of a split parent: every part's platforms, each
// on the node that built it. A part that came back as a single result
// (one platform) counts as that platform.
func mergeLinks(links []*link, parts []part) *link {
	out := &link{platforms: map[string]*pb.Definition{}, nodes: map[string]*node{}, meta: map[string][]byte{}}
	for k, l := range links {
		out.name = l.name
		for key, v := range l.meta {
			out.meta[key] = v
		}
		for p, def := range l.platforms {
			out.platforms[p], out.nodes[p] = def, l.node
		}
		if l.single != nil && len(parts[k].platforms) == 1 {
			p := parts[k].platforms[0]
			out.platforms[p], out.nodes[p] = l.single, l.node
			if cfg, ok := l.meta[exptypes.ExporterImageConfigKey]; ok {
				out.meta[exptypes.ExporterImageConfigKey+"/"+p] = cfg
			}
		}
	}
	return out
}
