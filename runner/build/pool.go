package build

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"

	"github.com/orch-build/orch/graph"
	"github.com/orch-build/orch/runner"
	"github.com/orch-build/orch/runner/buildkit"
)

// Forecast places plan on the builder pool opts.Builder names, for `orch
// plan --builder ...`: it connects to every node to learn its platforms
// (as Run does; the managed buildkitd when none is named) and builds
// nothing. The warnings name nodes of a buildx builder that were left out.
func Forecast(ctx context.Context, opts Options, plan *graph.Plan) (*runner.Forecast, []string, error) {
	if err := opts.Builder.Validate(); err != nil {
		return nil, nil, &optionError{sentinel: ErrInvalidOptions, err: err}
	}
	pool, err := buildkit.OpenPool(ctx, opts.Builder)
	if err != nil {
		return nil, nil, err
	}
	defer pool.Close()
	return pool.Runner(opts.Jobs).Forecast(plan), pool.Warnings, nil
}

// BuilderNode is one node of a pool as `orch builder ls` shows it.
type BuilderNode struct {
	// Name and Endpoint identify the node; Builder is its buildx builder.
	Name, Endpoint, Builder string
	// Err is why the node did not answer; the facts below are then empty.
	Err error
	// Native and Emulated are its platforms; Limit its solves at once.
	Native, Emulated []string
	Limit            int
	// Solves counts the attempts of the report given to Builders that ran
	// on the node (an attempt split across nodes counts on each).
	Solves int
}

// Builders asks every node opts names for its facts, for `orch builder
// ls`: the --builder values (a buildx builder's name stands for its
// nodes), else BUILDKIT_HOST's node, else the managed buildkitd when it
// runs (none when it does not). report, when not empty, is a --report
// file whose attempts are counted per node.
func Builders(ctx context.Context, opts buildkit.BuilderOptions, report string) ([]BuilderNode, error) {
	if err := opts.Validate(); err != nil {
		return nil, &optionError{sentinel: ErrInvalidOptions, err: err}
	}
	solves, err := solvesByNode(report)
	if err != nil {
		return nil, err
	}
	if opts.Addr == "" && len(opts.Builders) == 0 {
		m, err := buildkit.DefaultManaged()
		if err != nil {
			return nil, err
		}
		if _, err := m.Status(ctx); errors.Is(err, buildkit.ErrNotRunning) {
			return nil, nil
		}
		opts.Addr = m.Addr()
	}
	pool, err := buildkit.Inspect(ctx, opts)
	if err != nil {
		return nil, err
	}
	defer pool.Close()
	pool.Runner(0)
	out := make([]BuilderNode, len(pool.Nodes))
	for i, n := range pool.Nodes {
		out[i] = BuilderNode{
			Name: n.Name, Endpoint: n.Endpoint, Builder: n.Builder, Err: n.Err,
			Native: n.Native, Emulated: n.Emulated, Limit: n.Limit, Solves: solves[n.Name],
		}
	}
	return out, nil
}

// solvesByNode counts the attempts of a report file per node.
func solvesByNode(path string) (map[string]int, error) {
	if path == "" {
		return nil, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, &optionError{sentinel: ErrInvalidOptions, err: fmt.Errorf("--report: %w", err)}
	}
	defer f.Close()
	rep, err := runner.ReadReport(f)
	if err != nil {
		return nil, &optionError{sentinel: ErrInvalidOptions, err: fmt.Errorf("--report %s: %w", path, err)}
	}
	counts := map[string]int{}
	for _, o := range rep.Outcomes {
		for _, a := range o.Attempts {
			var nodes []string
			for _, p := range a.Placement {
				if !slices.Contains(nodes, p.Node) {
					nodes = append(nodes, p.Node)
				}
			}
			for _, n := range nodes {
				counts[n]++
			}
		}
	}
	return counts, nil
}
