package buildkit

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/exporter/containerimage/exptypes"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/session"
	"github.com/moby/buildkit/session/auth/authprovider"
	"github.com/moby/buildkit/solver/pb"
	"github.com/moby/buildkit/util/progress/progresswriter"

	"golang.org/x/sync/errgroup"

	"github.com/orch-build/orch/config"
	"github.com/orch-build/orch/graph"
	"github.com/orch-build/orch/internal/fserr"
	"github.com/orch-build/orch/runner"
	"github.com/orch-build/orch/runner/dest"
)

// Progress modes, as buildx defines them.
var ProgressModes = []string{"auto", "tty", "plain", "rawjson", "quiet"}

// Options tune a Solver.
type Options struct {
	// Progress is the run-wide display mode (see ProgressModes); every
	// vertex is prefixed with its target. Empty or "quiet" shows nothing.
	Progress string
	// ProgressOut is where the display draws; nil means os.Stderr.
	ProgressOut *os.File
	// Destinations receive what each target's exports wrote (see
	// runner/dest); wrap them in dest.NewAtomic for an atomic run. Nil
	// means a dest.Run of the plan with default options, opened by
	// NewSolver and closed by Close.
	Destinations dest.Destinations
}

// Solver builds plan nodes on BuildKit daemons: one, or the nodes of a
// pool, each solve where its runner.Job.Placement says. It implements
// runner.Solver.
type Solver struct {
	// nodes are the daemons by name; first builds a job that has no
	// placement. single is set for one node, whose going away a retry
	// waits for instead of marking it lost.
	nodes   map[string]*node
	first   *node
	single  bool
	opts    Options
	printer progresswriter.Writer
	// parents holds the names of targets that another node of the plan
	// takes through a `target:` link.
	parents map[string]bool
	// prefixed are the per-target writers into the run-wide display; they
	// must all exist before the first is closed.
	multi    *progresswriter.MultiWriter
	prefixed map[string]progresswriter.Writer
	// attribution picks the one target each shared vertex is shown under.
	attribution *attribution
	closeMu     sync.RWMutex
	// warnings are problems that did not fail a target, for the report.
	warnMu   sync.Mutex
	warnings []string
	closed   bool
	// dests stage and commit every export; owned is set when NewSolver
	// opened them and Close closes them.
	dests dest.Destinations
	owned *dest.Run
}

// NewSolver returns a Solver for the nodes of plan on the builder behind c.
// Call Close when the run is over.
func NewSolver(ctx context.Context, c *client.Client, plan *graph.Plan, opts Options) (*Solver, error) {
	return newSolver(ctx, []*node{{c: c}}, plan, opts)
}

// NewPoolSolver returns a Solver for the nodes of plan on the builder
// nodes of pool, for a run whose runner.Options.Pool is pool.Runner: each
// job is built where its placement says. Call Close when the run is over;
// the pool stays open.
func NewPoolSolver(ctx context.Context, pool *Pool, plan *graph.Plan, opts Options) (*Solver, error) {
	var nodes []*node
	for _, n := range pool.Nodes {
		nodes = append(nodes, &node{name: n.Name, c: n.c, native: n.Native})
	}
	return newSolver(ctx, nodes, plan, opts)
}

func newSolver(ctx context.Context, nodes []*node, plan *graph.Plan, opts Options) (*Solver, error) {
	s := &Solver{opts: opts, parents: map[string]bool{}, prefixed: map[string]progresswriter.Writer{}}
	s.nodes, s.first, s.single = map[string]*node{}, nodes[0], len(nodes) == 1
	for _, n := range nodes {
		s.nodes[n.name] = n
	}
	for _, n := range plan.Nodes {
		for _, e := range n.Deps {
			if e.Kind == graph.DataEdge {
				s.parents[plan.Nodes[e.To].Name] = true
			}
		}
	}
	if opts.ProgressOut == nil {
		opts.ProgressOut = os.Stderr
	}
	switch opts.Progress {
	case "", "quiet":
	case "auto", "tty", "plain", "rawjson":
		// The display must finish drawing after an interruption, so it
		// does not stop with ctx.
		p, err := progresswriter.NewPrinter(context.WithoutCancel(ctx), opts.ProgressOut, opts.Progress)
		if err != nil {
			return nil, fmt.Errorf("progress %q: %w", opts.Progress, err)
		}
		s.printer = p
		s.multi = progresswriter.NewMultiWriter(p)
		names := make([]string, len(plan.Nodes))
		for i, n := range plan.Nodes {
			names[i] = n.Name
			s.prefixed[n.Name] = s.multi.WithPrefix(n.Name, true)
		}
		s.attribution = newAttribution(names)
	default:
		return nil, fmt.Errorf("progress %q: want one of %s", opts.Progress, strings.Join(ProgressModes, ", "))
	}
	s.opts = opts
	for _, n := range nodes {
		cs, err := newContextSession(ctx, n.c)
		if err != nil {
			s.closeNodes()
			return nil, err
		}
		n.contexts = cs
	}
	s.dests = opts.Destinations
	if s.dests == nil {
		var err error
		if s.owned, err = dest.Open(plan, dest.Options{}); err != nil {
			s.closeNodes()
			return nil, err
		}
		s.dests = s.owned
	}
	return s, nil
}

// closeNodes ends the context session of every node.
func (s *Solver) closeNodes() {
	for _, n := range s.nodes {
		if n.contexts != nil {
			n.contexts.close()
		}
	}
}

// Close ends the run-wide progress display, waiting for it to finish
// drawing.
func (s *Solver) Close() error {
	s.closeMu.Lock()
	defer s.closeMu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	s.closeNodes()
	s.owned.Close()
	if s.multi == nil {
		return nil
	}
	for _, w := range s.prefixed {
		close(w.Status())
	}
	<-s.printer.Done()
	return s.printer.Err()
}

// warn records a problem that did not change any target's status.
func (s *Solver) warn(msg string) {
	s.warnMu.Lock()
	s.warnings = append(s.warnings, msg)
	s.warnMu.Unlock()
}

// Warnings returns the problems that did not fail a target, such as a
// linked parent's cache export failing after its children were built.
// Call it after runner.Run returned.
func (s *Solver) Warnings() []string {
	s.warnMu.Lock()
	defer s.warnMu.Unlock()
	return slices.Clone(s.warnings)
}

// link is what a `target:` child needs of its parent: the parent's result
// as LLB states (one per platform for a multi-platform parent) and the
// image config metadata, so `FROM parent` keeps ENV, WORKDIR and the rest.
//
// The states are marshalled once, here: marshalling one llb.State from
// several goroutines races inside the llb package, and every child of a
// parent needs the same definitions.
type link struct {
	single    *pb.Definition
	platforms map[string]*pb.Definition
	meta      map[string][]byte
	// node holds single, nodes each platform's definition: a child on
	// another node gets the result as an OCI layout (see transfer).
	node  *node
	nodes map[string]*node
	// name is the parent target's; transfers holds its exported layouts.
	name      string
	transfers transfers
}

// Solve builds one node. A node that another node links to is solved in a
// build that stays open until the runner releases it, so the child's solve
// reuses the parent's vertices and local sources instead of exporting and
// re-importing; its exports run in a second build of the same request,
// which BuildKit deduplicates against the first.
//
// Errors keep their types and gRPC codes, so that runner.IsTransient tells
// a builder that went away (gRPC Unavailable, a refused or reset
// connection) from a step that failed; the adapter marks nothing itself.
//
// A job placed on several nodes is built in parts, one per node, and its
// image index assembled by orch (see solveSplit).
func (s *Solver) Solve(ctx context.Context, job runner.Job) (*runner.Result, error) {
	parts, err := s.parts(job)
	if err != nil {
		return nil, fmt.Errorf("target %q: %w", job.Node.Name, err)
	}
	if len(parts) > 1 {
		return s.solveSplit(ctx, job, parts)
	}
	return s.solveOn(ctx, job, parts[0])
}

// solveOn builds job on one node.
func (s *Solver) solveOn(ctx context.Context, job runner.Job, part part) (*runner.Result, error) {
	t := job.Node.Target
	annotations, err := annotationAttrs(t.Annotations)
	if err != nil {
		return nil, fmt.Errorf("target %q: %w", t.Name, err)
	}
	prog := s.newProgress(ctx, job)
	defer prog.close()
	req, err := s.newPartRequest(ctx, job, part, false, prog)
	if err != nil {
		return nil, err
	}
	defer req.cleanup()
	// The report's timeline gets the attempt's steps however it ends.
	defer func() { job.RecordSteps(prog.steps()) }()

	res := &runner.Result{}
	ok := false
	// A target that calls a frontend method exports nothing: the call's
	// answer is its result. Its children still build on it, so a parent
	// is held as a build for them either way. One whose destinations hold
	// it is solved only for a dependent.
	exported := req.call == "" && (job.Node.Export || !s.parents[t.Name]) && !job.UpToDate
	if s.parents[t.Name] {
		// The cache is exported once: by the export build when there is
		// one, else by the hold.
		l, release, err := s.hold(ctx, t.Name, req, prog, !exported)
		if err != nil {
			return nil, fmt.Errorf("target %q: %w", t.Name, prog.stepError(req, s.lostNode(ctx, req.node, err)))
		}
		res.Handle, res.Release = l, release
		// On success the runner releases the hold after the dependents.
		defer func() {
			if !ok {
				release()
			}
		}()
	}
	if exported {
		if err := s.export(ctx, req, job, annotations, prog, res); err != nil {
			return nil, localCause(t, req, err)
		}
	}
	if req.call != "" {
		if res.Call, res.Metadata, err = s.call(ctx, req, prog); err != nil {
			return nil, fmt.Errorf("target %q: %w", t.Name, err)
		}
	}
	res.Cached, res.Total = prog.counts()
	res.Warnings = prog.warningTexts(req)
	ok = true
	return res, nil
}

// export runs the solve that writes t's outputs into the staging that the
// destinations chose, then hands the result back to them: committed at
// once, or held for an atomic publish.
func (s *Solver) export(ctx context.Context, req *request, job runner.Job, annotations map[string]string, prog *progress, res *runner.Result) error {
	t := job.Node.Target
	if err := checkLayouts(t); err != nil {
		return fmt.Errorf("target %q: %w", t.Name, err)
	}
	fp := ""
	if f := job.Node.Freshness; f != nil {
		fp = f.Fingerprint
	}
	e, err := s.dests.Stage(t, fp, job.Log)
	if err != nil {
		return fmt.Errorf("target %q: %w", t.Name, err)
	}
	resp, err := s.build(ctx, req, exportEntries(e.Writes, annotations), prog, func() { job.StartPhase(runner.PhaseExport) })
	if err != nil {
		e.Abort()
		return fmt.Errorf("target %q: %w", t.Name, prog.stepError(req, err))
	}
	res.Digest = resp.ExporterResponse[exptypes.ExporterImageDigestKey]
	res.Metadata = decodeExporterResponse(resp.ExporterResponse)
	job.StartPhase(runner.PhasePush)
	if res.Destinations, err = s.dests.Commit(ctx, e); err != nil {
		return fmt.Errorf("target %q: %w", t.Name, err)
	}
	return nil
}

// build runs one build of req's frontend request on req's node with the
// given exports. A node that went away is a *runner.LostBuilderError.
//
// The frontend's result is evaluated inside the build, so that what
// follows the build function's return is the export alone: exported is
// called then (job.StartPhase(runner.PhaseExport) for a whole target).
func (s *Solver) build(ctx context.Context, req *request, exports []client.ExportEntry, prog *progress, exported func()) (*client.SolveResponse, error) {
	freq := frontendRequest(req)
	status, statusDone := prog.trackedChannel()
	build, refused := capsChecked(req, func(ctx context.Context, c gateway.Client) (*gateway.Result, error) {
		res, err := c.Solve(ctx, freq)
		if err != nil {
			return nil, err
		}
		if err := evaluate(ctx, res); err != nil {
			return nil, err
		}
		exported()
		return res, nil
	})
	resp, err := req.node.c.Build(ctx, s.solveOpt(req, exports), "orch", build, status)
	// The steps' last records (the export's among them) are in.
	<-statusDone
	return resp, s.lostNode(ctx, req.node, refused(err))
}

// localCause explains a failed export by what went wrong on this machine,
// when that is known by type rather than by BuildKit's words: a write of
// orch's own that hit a full or read-only file system (fserr.Explain), a
// stream BuildKit wrote into through the session that failed the same way
// (BuildKit reports it only as the stream ending), or, for a directory it
// wrote through the session, a local destination whose file system is
// (still) full. A failed build step, and a failure a retry may fix, keep
// their own error.
func localCause(t *config.Target, req *request, err error) error {
	if explained := fserr.Explain("", err); explained != err {
		return fmt.Errorf("target %q: %w", t.Name, explained)
	}
	var step *runner.StepError
	if errors.As(err, &step) || runner.IsTransient(err) {
		return err
	}
	if werr := req.streams.fault(); werr != nil {
		return fmt.Errorf("target %q: %w", t.Name, werr)
	}
	for _, o := range t.Outputs {
		if o.Local() {
			if full := fserr.Full(localPath(t, o.Dest)); full != nil {
				return fmt.Errorf("target %q: %w", t.Name, full)
			}
		}
	}
	return err
}

// streamFaults keeps the first write to an export stream that failed
// because of its file system, for localCause.
type streamFaults struct {
	mu  sync.Mutex
	err error
}

// note records err when it is a full or read-only file system.
func (f *streamFaults) note(err error) {
	if fe := fserr.Explain("", err); fe != err {
		f.mu.Lock()
		if f.err == nil {
			f.err = fe
		}
		f.mu.Unlock()
	}
}

func (f *streamFaults) fault() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err
}

// watch makes every stream export of exports report its write errors to f.
func (f *streamFaults) watch(exports []client.ExportEntry) []client.ExportEntry {
	out := slices.Clone(exports)
	for i, e := range out {
		if e.Output == nil {
			continue
		}
		open := e.Output
		out[i].Output = func(m map[string]string) (io.WriteCloser, error) {
			w, err := open(m)
			if err != nil {
				f.note(err)
				return nil, err
			}
			return &watchedWriter{w: w, faults: f}, nil
		}
	}
	return out
}

// watchedWriter passes writes through and notes their errors.
type watchedWriter struct {
	w      io.WriteCloser
	faults *streamFaults
}

func (w *watchedWriter) Write(p []byte) (int, error) {
	n, err := w.w.Write(p)
	if err != nil {
		w.faults.note(err)
	}
	return n, err
}

func (w *watchedWriter) Close() error {
	err := w.w.Close()
	if err != nil {
		w.faults.note(err)
	}
	return err
}

// solveOpt is the part of a client.SolveOpt common to both kinds of build.
func (s *Solver) solveOpt(req *request, exports []client.ExportEntry) client.SolveOpt {
	attachables := append([]session.Attachable{req.auth}, req.session...)
	exports = req.streams.watch(exports)
	return client.SolveOpt{
		// The daemon reads build-wide settings such as attest:provenance
		// from the outer request, as buildx passes them; the client also
		// merges cache-import attributes into this map.
		FrontendAttrs:       maps.Clone(req.attrs),
		Exports:             exports,
		LocalMounts:         req.mounts,
		OCIStores:           req.ociStores,
		CacheImports:        req.cacheImports,
		CacheExports:        req.cacheExports,
		Session:             attachables,
		AllowedEntitlements: req.entitlements,
	}
}

// authProvider serves registry credentials to BuildKit through the session.
func authProvider() (session.Attachable, error) {
	cfg, err := dest.DockerConfig()
	if err != nil {
		return nil, err
	}
	return authprovider.NewDockerAuthProvider(authprovider.DockerAuthProviderConfig{
		AuthConfigProvider: authprovider.LoadAuthConfig(cfg),
	}), nil
}

// frontendRequest is the dockerfile.v0 request for req.
func frontendRequest(req *request) gateway.SolveRequest {
	return gateway.SolveRequest{
		Frontend:       "dockerfile.v0",
		FrontendOpt:    maps.Clone(req.attrs),
		FrontendInputs: maps.Clone(req.inputs),
	}
}

// hold solves req in a build that stays open until release is called, and
// returns the result as a link for the children.
func (s *Solver) hold(ctx context.Context, name string, req *request, prog *progress, exportCache bool) (*link, func(), error) {
	freq := frontendRequest(req)
	ready := make(chan *link, 1)
	released := make(chan struct{})
	done := make(chan error, 1)
	// The hold outlives the Solve call whose context started it; the
	// runner ends it with release, also when the run is interrupted.
	holdCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var held atomic.Bool
	stop := context.AfterFunc(ctx, func() {
		if !held.Load() {
			// Still solving: an interrupted solve stops at once.
			cancel()
		}
	})
	go func() {
		defer cancel()
		opt := s.solveOpt(req, nil)
		if !exportCache {
			opt.CacheExports = nil
		}
		build, refused := capsChecked(req, func(ctx context.Context, c gateway.Client) (*gateway.Result, error) {
			res, err := c.Solve(ctx, freq)
			if err != nil {
				return nil, err
			}
			l, err := toLink(ctx, res)
			if err != nil {
				return nil, err
			}
			l.name, l.node = name, req.node
			for p := range l.platforms {
				l.nodes[p] = req.node
			}
			held.Store(true)
			ready <- l
			select {
			case <-released:
			case <-ctx.Done():
			}
			return res, nil
		})
		_, err := req.node.c.Build(holdCtx, opt, "orch", build, prog.channel())
		done <- refused(err)
	}()
	var once sync.Once
	release := func() {
		once.Do(func() {
			stop()
			close(released)
			if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
				// Only the cache export runs after the hold's solve;
				// the target itself has already succeeded.
				s.warn(fmt.Sprintf("target %q: after its dependents were built: %v", name, err))
			}
		})
	}
	select {
	case l := <-ready:
		return l, func() {
			release()
			l.transfers.remove()
		}, nil
	case err := <-done:
		stop()
		close(released)
		if err == nil {
			err = errors.New("build ended without a result")
		}
		return nil, nil, err
	}
}

// evaluate solves every reference of a frontend result, the platforms of
// a multi-platform result at once.
func evaluate(ctx context.Context, res *gateway.Result) error {
	g, ctx := errgroup.WithContext(ctx)
	_ = res.EachRef(func(ref gateway.Reference) error {
		if ref != nil {
			g.Go(func() error { return ref.Evaluate(ctx) })
		}
		return nil
	})
	return g.Wait()
}

// toLink evaluates a frontend result and captures it for `target:` children.
func toLink(ctx context.Context, res *gateway.Result) (*link, error) {
	l := &link{meta: maps.Clone(res.Metadata), platforms: map[string]*pb.Definition{}, nodes: map[string]*node{}}
	if err := evaluate(ctx, res); err != nil {
		return nil, err
	}
	var err error
	for p, ref := range res.Refs {
		if l.platforms[p], err = refDefinition(ctx, ref); err != nil {
			return nil, err
		}
	}
	if res.Ref != nil {
		if l.single, err = refDefinition(ctx, res.Ref); err != nil {
			return nil, err
		}
	}
	return l, nil
}

// refDefinition marshals a result reference (nil is an empty filesystem).
func refDefinition(ctx context.Context, ref gateway.Reference) (*pb.Definition, error) {
	st := llb.Scratch()
	if ref != nil {
		var err error
		if st, err = ref.ToState(); err != nil {
			return nil, err
		}
	}
	def, err := st.Marshal(ctx)
	if err != nil {
		return nil, err
	}
	return def.ToPB(), nil
}

// addInputs hands each linked parent's result to the frontend as an input,
// as `docker buildx bake` does: context:NAME=input:KEY, per platform for a
// multi-platform parent, with the parent's image config as input metadata.
// A parent's result that lives on another node than req's comes as an OCI
// layout instead (see transfer). With a placement, only the platforms req
// builds are handed over.
func (s *Solver) addInputs(ctx context.Context, r *request, job runner.Job, prog *progress) error {
	for name, parent := range r.links {
		in := job.Inputs[name]
		if in == nil {
			return fmt.Errorf("contexts.%s: the result of target %q was not handed over", name, parent)
		}
		l, ok := in.Handle.(*link)
		if !ok || l == nil {
			return fmt.Errorf("contexts.%s: target %q left no result to build on", name, parent)
		}
		key := "link-" + name
		for p, st := range l.platforms {
			if r.platforms != nil && !slices.Contains(r.platforms, normalizePlatform(p)) {
				continue
			}
			if n := l.nodes[p]; n != nil && n != r.node {
				if err := s.transferInput(ctx, r, l, name+"::"+p, p, prog); err != nil {
					return err
				}
				continue
			}
			r.inputs[key+"::"+p] = st
			r.attrs["context:"+name+"::"+p] = "input:" + key + "::" + p
			if md := inputMetadata(l.meta, "/"+p); md != "" {
				r.attrs["input-metadata:"+key+"::"+p] = md
			}
		}
		if l.single != nil {
			if l.node != nil && l.node != r.node {
				if err := s.transferInput(ctx, r, l, name, "", prog); err != nil {
					return err
				}
				continue
			}
			r.inputs[key] = l.single
			r.attrs["context:"+name] = "input:" + key
			if md := inputMetadata(l.meta, ""); md != "" {
				r.attrs["input-metadata:"+key] = md
			}
		}
	}
	return nil
}

// inputMetadata encodes the image config and build info of one platform of
// a parent's result the way the Dockerfile frontend reads input metadata.
func inputMetadata(meta map[string][]byte, suffix string) string {
	md := map[string][]byte{}
	if dt, ok := meta[exptypes.ExporterImageConfigKey+suffix]; ok {
		md[exptypes.ExporterImageConfigKey] = dt
	}
	if dt, ok := meta["containerimage.buildinfo"+suffix]; ok {
		md["containerimage.buildinfo"] = dt
	}
	if len(md) == 0 {
		return ""
	}
	dt, _ := json.Marshal(md)
	return string(dt)
}

// decodeExporterResponse turns an exporter response, or the metadata of a
// called frontend method, into what buildx writes to a metadata file: a
// value that is base64-encoded JSON holding a non-empty object or list is
// decoded (result.json, a method's answer, is JSON already); every other
// value stays text.
func decodeExporterResponse(resp map[string]string) map[string]any {
	out := map[string]any{}
	for k, v := range resp {
		dt := []byte(v)
		if k != "result.json" {
			var err error
			if dt, err = base64.StdEncoding.DecodeString(v); err != nil {
				out[k] = v
				continue
			}
		}
		var obj map[string]any
		var list []map[string]any
		switch {
		case json.Unmarshal(dt, &obj) == nil && len(obj) > 0:
			out[k] = obj
		case json.Unmarshal(dt, &list) == nil && len(list) > 0:
			out[k] = list
		default:
			out[k] = v
		}
	}
	return out
}
