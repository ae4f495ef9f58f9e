package buildkit

import (
	"context"
	"fmt"
	"os"
	"sync"

	"github.com/containerd/containerd/v2/core/content"
	contentlocal "github.com/containerd/containerd/v2/plugins/content/local"
	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/exporter/containerimage/exptypes"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
)

// A `target:` child usually builds on its parent's node (the scheduler's
// affinity), where the parent's result is handed over inside the daemon.
// When it builds elsewhere (its platform is native on another node, or
// the parent's node was busy with another platform), the parent's result
// crosses nodes without a registry: orch exports it from the parent's
// node as an OCI layout into a private temporary directory, once per
// platform, and serves that layout to the child's build through the
// build's session as an oci-layout named context
// (context:NAME=oci-layout:STORE@DIGEST), which the Dockerfile frontend
// reads with its image config. The export re-solves the parent's held
// result, which its node still has, so it costs the export alone. The
// layouts are removed when the parent is released, after its last child.

// transfers are the OCI layouts a parent's result was exported to, by
// platform ("" for a single-platform result).
type transfers struct {
	mu   sync.Mutex
	done map[string]*transfer
}

// transfer is one exported layout.
type transfer struct {
	ready  chan struct{}
	dir    string
	digest string
	store  content.Store
	err    error
}

// remove deletes every exported layout.
func (ts *transfers) remove() {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	for _, x := range ts.done {
		if x.dir != "" {
			_ = os.RemoveAll(x.dir)
		}
	}
	ts.done = nil
}

// transferInput hands r the parent's result of platform p ("" for its
// single result) as an OCI layout named context under key, the context
// name with its "::PLATFORM" suffix for one platform.
func (s *Solver) transferInput(ctx context.Context, r *request, l *link, key, p string, prog *progress) error {
	x, err := s.transfer(ctx, l, p, prog)
	if err != nil {
		return err
	}
	storeID := localName("link", x.dir)
	r.ociStores[storeID] = x.store
	r.attrs["context:"+key] = "oci-layout:" + storeID + "@" + x.digest
	return nil
}

// transfer exports the parent's result of platform p from its node, or
// waits for the child that is doing so. A failed export is tried again by
// the next child that needs it.
func (s *Solver) transfer(ctx context.Context, l *link, p string, prog *progress) (*transfer, error) {
	ts := &l.transfers
	ts.mu.Lock()
	if ts.done == nil {
		ts.done = map[string]*transfer{}
	}
	x, exporting := ts.done[p]
	if !exporting {
		x = &transfer{ready: make(chan struct{})}
		ts.done[p] = x
	}
	ts.mu.Unlock()
	if exporting {
		select {
		case <-x.ready:
			return x, x.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	x.err = s.exportLink(ctx, l, p, x, prog)
	if x.err != nil {
		ts.mu.Lock()
		delete(ts.done, p)
		ts.mu.Unlock()
		if x.dir != "" {
			_ = os.RemoveAll(x.dir)
		}
	}
	close(x.ready)
	return x, x.err
}

// exportLink writes the parent's result of platform p as an OCI layout
// into a new temporary directory: a build on the parent's node that
// solves the result's definition (cached there) and exports it with the
// parent's image config.
func (s *Solver) exportLink(ctx context.Context, l *link, p string, x *transfer, prog *progress) error {
	n, def, cfgKey := l.node, l.single, exptypes.ExporterImageConfigKey
	what := fmt.Sprintf("the result of target %q", l.name)
	if p != "" {
		n, def, cfgKey = l.nodes[p], l.platforms[p], cfgKey+"/"+p
		what += " for " + p
	}
	dir, err := os.MkdirTemp("", "orch-link-")
	if err != nil {
		return fmt.Errorf("export %s: %w", what, err)
	}
	x.dir = dir
	opt := client.SolveOpt{Exports: []client.ExportEntry{{Type: client.ExporterOCI, Attrs: map[string]string{"tar": "false"}, OutputDir: dir}}}
	resp, err := n.c.Build(ctx, opt, "orch", func(ctx context.Context, c gateway.Client) (*gateway.Result, error) {
		res, err := c.Solve(ctx, gateway.SolveRequest{Definition: def})
		if err != nil {
			return nil, err
		}
		if cfg, ok := l.meta[cfgKey]; ok {
			res.AddMeta(exptypes.ExporterImageConfigKey, cfg)
		}
		return res, nil
	}, prog.channel())
	if err != nil {
		return fmt.Errorf("export %s from builder node %s as an OCI layout: %w", what, n.name, s.lostNode(ctx, n, err))
	}
	x.digest = resp.ExporterResponse[exptypes.ExporterImageDigestKey]
	if x.store, err = contentlocal.NewStore(dir); err != nil {
		return fmt.Errorf("export %s: %w", what, err)
	}
	return nil
}
