// Package runner executes a graph.Plan: one goroutine per node in an
// errgroup, each waiting for its dependencies and then holding a slot of a
// bounded semaphore only around its solve. It decides failure policy,
// retries (orch's one retry policy: IsTransient and RetryPolicy) and
// cancellation and records an Outcome per node. It never imports BuildKit: the adapter behind
// the Solver interface does the building.
package runner

import (
	"context"
	"io"

	"github.com/orch-build/orch/graph"
)

// Solver builds one plan node. The BuildKit adapter implements it; tests use
// FakeSolver.
//
// Solve must return promptly once ctx is cancelled and must leave no
// half-written destination behind when it does (write to a temporary path
// and rename, or remove what it started). Run retries an error that
// IsTransient accepts (a builder or registry that went away, a gRPC
// Unavailable, an HTTPStatusError of 503, ...; Transient marks any other);
// a failing build step is reported as a *StepError and is never retried.
type Solver interface {
	Solve(ctx context.Context, job Job) (*Result, error)
}

// Job is everything a Solver needs to build one node.
type Job struct {
	Node *graph.Node
	// Inputs holds the result of every data-edge parent, keyed by the
	// context name of the edge (graph.Edge.Key).
	Inputs map[string]*Result
	// Attempt counts from 1; it is above 1 only for retries.
	Attempt int
	// UpToDate is set when the node's destinations already hold its
	// result (graph.Freshness) and it is solved only because a dependent
	// needs the result: the solver must not write its outputs.
	UpToDate bool
	// Placement says on which builder node each platform of the target
	// is built, in the target's platform order (one entry, the pool's
	// default platform, for a target that names none); nil when the run
	// has no pool. Entries on one node are one solve there; a solver
	// that builds on several nodes assembles the image itself.
	Placement []Placement
	// Log receives the node's plain-text progress. It is never nil, is safe
	// for concurrent use, and the runner copies it into the target's file
	// under Options.LogDir and keeps its last lines for the summary.
	Log io.Writer

	// timeline receives StartPhase and RecordSteps for this attempt.
	timeline *timeline
}

// Result is what a successful solve produced.
type Result struct {
	// Digest is the image (or index) digest, empty when the result is not an image.
	Digest string
	// Destinations lists where the result was written, e.g. "oci:out/app",
	// "registry:localhost:5000/app:1".
	Destinations []string
	// Cached and Total count the build steps that were cached and all steps.
	Cached, Total int
	// Handle is adapter-owned state that dependents need (for BuildKit, the
	// live frontend result a `target:` child builds on). The runner only
	// passes it along.
	Handle any
	// Release, when set, is called once every dependent of the node has
	// finished, so the adapter can close what Handle keeps open.
	Release func()
	// Metadata is the solve's exporter response decoded the way buildx
	// decodes it (e.g. "containerimage.digest", "containerimage.descriptor",
	// "image.name"); it becomes the target's entry in the metadata file.
	Metadata map[string]any
	// Warnings are problems the build reported without failing, such as
	// the Dockerfile frontend's lint warnings (SecretsUsedInArgOrEnv);
	// Run adds each to the report's warnings under the target's name.
	Warnings []string
	// Call is the answer of the frontend method the target called instead
	// of building (bake's `call`: check, outline, targets); nil for a
	// build.
	Call *CallResult
}

// CallResult is what a frontend method other than build answered, ready
// to print as bake prints it.
type CallResult struct {
	// Method is the method as bake names it in its output: check,
	// outline or targets.
	Method string
	// Text is bake's printout of the answer (for check, every warning at
	// its Dockerfile line with the rule's name and URL, and the count).
	Text string
	// JSON is the frontend's answer as JSON (result.json), what
	// format=json prints.
	JSON []byte
	// Error is the error the method reported besides its answer, as bake
	// prints it (for check, a Dockerfile the frontend cannot parse, with
	// its line); empty when none.
	Error string
	// Status is the frontend's status code: for check, 1 when it found
	// warnings or an error; 0 otherwise.
	Status int
}

// FakeSolver is a Solver whose behaviour is a function field, for tests of
// the runner and of commands that drive it. A nil SolveFunc builds every
// node successfully with an empty Result.
type FakeSolver struct {
	SolveFunc func(ctx context.Context, job Job) (*Result, error)
}

// Solve calls SolveFunc.
func (f *FakeSolver) Solve(ctx context.Context, job Job) (*Result, error) {
	if f.SolveFunc == nil {
		return &Result{}, nil
	}
	return f.SolveFunc(ctx, job)
}
