package buildkit

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/containerd/platforms"
	"github.com/moby/buildkit/client"

	"github.com/orch-build/orch/graph"
	"github.com/orch-build/orch/runner"
	"github.com/orch-build/orch/runner/dest"
)

// A run builds on a pool of builder nodes: every --builder value (an
// address, or a buildx builder's name standing for its nodes), or the one
// node BUILDKIT_HOST names, or orch's managed buildkitd. OpenPool connects
// to each node and asks it what it builds (ListWorkers); the runner's
// scheduler then places every solve, and the Solver builds it where the
// placement says.
//
// A node's native platforms are the ones buildx configured for it
// (`buildx create --platform`), else the first platform its worker
// reports (BuildKit lists the native one first); the others it reports it
// can only emulate. Its limit (solves at once) is max=N from its
// --builder value, else runner.DefaultLimit for its CPU count, which
// BuildKit does not report: orch knows it only for a node on this machine
// (the worker's hostname label is this machine's), and counts any other as
// one CPU, which runner.DefaultLimit's floor makes 32 solves. A pool of
// one node has no limit of its own beyond --jobs, as before pools.

// NodeSpec is one --builder value: the address of a buildkitd, or the
// name of a buildx builder instance, with options after commas:
// "tcp://10.0.0.5:1234,max=8,name=big" or "mybuilder,max=4".
type NodeSpec struct {
	// Addr is the address (it has "://"); Buildx the builder's name.
	Addr, Buildx string
	// Name names the node in plans and reports; empty uses the address
	// (or the buildx node's name).
	Name string
	// Max is the node's limit, 0 for the default.
	Max int
}

// buildxName is what buildx accepts as a builder name.
var buildxName = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9._-]*$`)

// ParseNodeSpec reads one --builder value. Its errors wrap
// ErrInvalidBuilder.
func ParseNodeSpec(s string) (NodeSpec, error) {
	head, rest, _ := strings.Cut(s, ",")
	var spec NodeSpec
	switch {
	case strings.Contains(head, "://"):
		spec.Addr = head
	case buildxName.MatchString(head):
		spec.Buildx = strings.ToLower(head)
	default:
		return spec, invalidBuilder("builder %q: want a URL such as unix:///run/buildkit/buildkitd.sock, tcp://host:1234 or docker-container://name, or the name of a buildx builder", head)
	}
	if rest == "" {
		return spec, nil
	}
	for _, field := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(field, "=")
		switch k {
		case "max":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return spec, invalidBuilder("builder %q: max=%q: want a whole number of at least 1", s, v)
			}
			spec.Max = n
		case "name":
			if v == "" {
				return spec, invalidBuilder("builder %q: name= is empty", s)
			}
			spec.Name = v
		default:
			return spec, invalidBuilder("builder %q: unknown option %q: want max=N or name=NAME", s, field)
		}
	}
	return spec, nil
}

// Node is one builder node of a pool.
type Node struct {
	// Name identifies the node; Endpoint is its address.
	Name, Endpoint string
	// Builder is the buildx builder the node belongs to, if any.
	Builder string
	// Native and Emulated are its platforms, canonical (see the package
	// comment); Limit is its limit, 0 for none beyond --jobs.
	Native, Emulated []string
	Limit            int
	// Err is why the node could not be reached; Inspect sets it, OpenPool
	// leaves such a node out.
	Err error

	opts       BuilderOptions
	configured []string
	max, cpus  int
	c          *client.Client
}

// Pool is the connected builder nodes of a run.
type Pool struct {
	Nodes []*Node
	// Warnings name the nodes of a buildx builder or the --builder list
	// that could not be reached and are not used.
	Warnings []string
}

// Close closes every node's connection.
func (p *Pool) Close() { closeNodes(p.Nodes) }

// nodes lists the nodes opts name, unconnected: every Builders value (a
// buildx builder adds each of its nodes), else Addr.
func (opts BuilderOptions) nodes() ([]*Node, error) {
	specs := opts.Builders
	if len(specs) == 0 && opts.Addr != "" {
		specs = []string{opts.Addr}
	}
	var out []*Node
	for _, raw := range specs {
		spec, err := ParseNodeSpec(raw)
		if err != nil {
			return nil, err
		}
		if spec.Buildx != "" {
			nodes, err := buildxNodes(spec.Buildx)
			if err != nil {
				return nil, err
			}
			for _, n := range nodes {
				n.max = spec.Max
			}
			out = append(out, nodes...)
			continue
		}
		o := opts
		o.Addr, o.Builders = spec.Addr, nil
		if len(specs) > 1 && !strings.HasPrefix(spec.Addr, "tcp://") {
			// The TLS files are for the tcp:// nodes of the list.
			o.TLSCACert, o.TLSCert, o.TLSKey, o.TLSServerName = "", "", "", ""
		}
		if err := o.Validate(); err != nil {
			return nil, err
		}
		name := spec.Name
		if name == "" {
			name = spec.Addr
		}
		out = append(out, &Node{Name: name, Endpoint: spec.Addr, opts: o, max: spec.Max})
	}
	seen := map[string]bool{}
	for _, n := range out {
		if seen[n.Name] {
			return nil, invalidBuilder("two builder nodes are named %s; give one a name=NAME", n.Name)
		}
		seen[n.Name] = true
	}
	return out, nil
}

// connect opens the node's client and reads its facts.
func (n *Node) connect(ctx context.Context) error {
	c, err := Connect(ctx, n.opts)
	if err != nil {
		return err
	}
	ws, err := c.ListWorkers(ctx)
	if err != nil {
		c.Close()
		return fmt.Errorf("builder %s: list workers: %w", n.Endpoint, unwrapGRPC(err))
	}
	n.c = c
	n.facts(ws)
	return nil
}

// facts sets the node's platforms and CPU count from its workers.
func (n *Node) facts(ws []*client.WorkerInfo) {
	var all []string
	host, _ := os.Hostname()
	for _, w := range ws {
		for _, p := range w.Platforms {
			if s := platforms.Format(platforms.Normalize(p)); !slices.Contains(all, s) {
				all = append(all, s)
			}
		}
		if h := w.Labels["org.mobyproject.buildkit.worker.hostname"]; h != "" && h == host {
			n.cpus = runtime.NumCPU()
		}
	}
	n.Native, n.Emulated = nil, nil
	for _, p := range n.configured {
		if p = normalizePlatform(p); !slices.Contains(n.Native, p) {
			n.Native = append(n.Native, p)
		}
	}
	if len(n.Native) == 0 && len(all) > 0 {
		n.Native = all[:1]
	}
	for _, p := range all {
		if !slices.Contains(n.Native, p) {
			n.Emulated = append(n.Emulated, p)
		}
	}
}

// normalizePlatform is the canonical form of a platform, as the scheduler
// compares them: "linux/arm64/v8" is "linux/arm64", "amd64" is
// "linux/amd64". A platform that does not parse stays as written, and no
// node will have it.
func normalizePlatform(p string) string {
	pl, err := platforms.Parse(p)
	if err != nil {
		return p
	}
	return platforms.Format(platforms.Normalize(pl))
}

// OpenPool connects to every node opts name (the managed buildkitd,
// started when needed, when they name none) and asks each what it builds.
// Every address named must answer; a node of a buildx builder that cannot
// be reached is left out with a warning (buildx lists such nodes as
// inactive), as long as one node is left.
func OpenPool(ctx context.Context, opts BuilderOptions) (*Pool, error) {
	if opts.Addr == "" && len(opts.Builders) == 0 {
		m, err := DefaultManaged()
		if err != nil {
			return nil, err
		}
		c, err := m.Ensure(ctx)
		if err != nil {
			return nil, err
		}
		n := &Node{Name: "managed", Endpoint: m.Addr(), c: c}
		ws, err := c.ListWorkers(ctx)
		if err != nil {
			c.Close()
			return nil, fmt.Errorf("managed buildkitd: list workers: %w", unwrapGRPC(err))
		}
		n.facts(ws)
		return &Pool{Nodes: []*Node{n}}, nil
	}
	nodes, err := opts.nodes()
	if err != nil {
		return nil, err
	}
	connectAll(ctx, nodes)
	p := &Pool{}
	var errs []error
	for _, n := range nodes {
		switch {
		case n.Err == nil:
			p.Nodes = append(p.Nodes, n)
		case n.Builder != "":
			errs = append(errs, n.Err)
			p.Warnings = append(p.Warnings, fmt.Sprintf("buildx builder %s: node %s is not used: %v", n.Builder, n.Name, n.Err))
		default:
			p.Close()
			closeNodes(nodes)
			return nil, n.Err
		}
	}
	if len(p.Nodes) == 0 {
		return nil, errors.Join(errs...)
	}
	return p, nil
}

// closeNodes closes the clients of nodes.
func closeNodes(nodes []*Node) {
	for _, n := range nodes {
		if n.c != nil {
			n.c.Close()
			n.c = nil
		}
	}
}

// connectAll connects to every node at once, setting Err on those that
// fail.
func connectAll(ctx context.Context, nodes []*Node) {
	var wg sync.WaitGroup
	for _, n := range nodes {
		wg.Go(func() { n.Err = n.connect(ctx) })
	}
	wg.Wait()
}

// Inspect connects to every node opts name, as OpenPool does, and returns
// them all, each unreachable one with its Err, for `orch builder ls`.
// The caller closes the returned pool.
func Inspect(ctx context.Context, opts BuilderOptions) (*Pool, error) {
	nodes, err := opts.nodes()
	if err != nil {
		return nil, err
	}
	connectAll(ctx, nodes)
	return &Pool{Nodes: nodes}, nil
}

// Runner describes the pool for runner.Options.Pool. jobs is the run's
// --jobs (0 for the default): a pool of one node gets no limit below it.
func (p *Pool) Runner(jobs int) *runner.Pool {
	rp := &runner.Pool{Normalize: normalizePlatform, Split: splittable}
	for _, n := range p.Nodes {
		n.Limit = n.max
		switch {
		case n.Limit > 0:
		case len(p.Nodes) == 1:
			n.Limit = max(jobs, runner.DefaultJobs())
		default:
			n.Limit = runner.DefaultLimit(n.cpus)
		}
		rp.Builders = append(rp.Builders, runner.Builder{
			Name: n.Name, Endpoint: n.Endpoint, Native: n.Native, Emulated: n.Emulated, Limit: n.Limit,
		})
	}
	return rp
}

// splittable reports whether a node's platforms may be built on several
// nodes: it has more than one, orch can assemble every output from parts
// (dest.CanAssemble), and it exports no cache, which parts on several
// nodes would each write over the others'.
func splittable(n *graph.Node) bool {
	t := n.Target
	if t == nil || len(t.Platforms) < 2 || len(t.CacheTo) > 0 {
		return false
	}
	if t.Call != nil && *t.Call != "" && *t.Call != "build" {
		return false
	}
	return dest.CanAssemble(t)
}
