package runner

import (
	"errors"
	"time"
)

// Status is what became of one target.
type Status string

// The statuses, in the order the summary counts them.
const (
	// StatusBuilt: the solve succeeded and ran at least one step.
	StatusBuilt Status = "built"
	// StatusCached: the solve succeeded and every step came from the cache.
	StatusCached Status = "cached"
	// StatusUpToDate: every destination already held the image of the
	// target's current inputs (graph.Freshness), so nothing was written.
	// The target was solved only when a dependent that builds needed its
	// result; its Result is what the destinations hold.
	StatusUpToDate Status = "up-to-date"
	// StatusFailed: the solve failed (after any retries). It is a root
	// failure: a target skipped because of it is not counted again.
	StatusFailed Status = "failed"
	// StatusSkipped: not built because a dependency failed.
	StatusSkipped Status = "skipped"
	// StatusCancelled: stopped or never started because the run was
	// interrupted or, in fail-fast mode, another target failed.
	StatusCancelled Status = "cancelled"
)

// Statuses lists every Status in display order.
var Statuses = []Status{StatusBuilt, StatusCached, StatusUpToDate, StatusFailed, StatusSkipped, StatusCancelled}

// Succeeded reports whether the target's result exists.
func (s Status) Succeeded() bool { return s == StatusBuilt || s == StatusCached || s == StatusUpToDate }

// Attempt is one call of Solver.Solve for a target.
type Attempt struct {
	// Number counts from 1.
	Number int
	// Queued is when the attempt began to wait for a slot; Started is when
	// it got one and the solve began.
	Queued   time.Time
	Started  time.Time
	Duration time.Duration
	// Phases marks where the attempt went past PhaseSolve (see Phase), as
	// the solver reported it.
	Phases []PhaseMark
	// Steps are the build steps the solver reported for the attempt.
	Steps []Step
	// Node names the builder node the attempt ran on, several joined
	// with "," when its platforms were split across nodes; empty without
	// a pool (Options.Pool). Placement says which platform went where.
	Node      string
	Placement []Placement
	// Err is nil for the attempt that succeeded.
	Err error
	// Transient reports whether Err was classified as retryable.
	Transient bool
	// RetryAfter is the backoff waited before the next attempt, zero when
	// there was none.
	RetryAfter time.Duration
}

// Outcome is what happened to one plan node.
type Outcome struct {
	// Index is the node's position in Plan.Nodes; Name is its target name.
	Index int
	Name  string
	// Exported is the node's Export flag: false for a target built only
	// because another one needs it.
	Exported bool
	// Dependencies names the nodes this one waited for, in plan order,
	// each once. Links are those of them whose result it builds on (a
	// `target:` context, graph.DataEdge); the others are order-only
	// (depends_on).
	Dependencies []string
	Links        []string
	Status       Status
	// Reason explains a skipped or cancelled status, e.g.
	// "dependency base failed" or "interrupted".
	Reason string
	// BlockedBy names the failed target at the root of a skip.
	BlockedBy string
	// Ready is when every dependency had finished, so the node could
	// queue for a slot or be skipped; Finished is when it got its status.
	Ready, Finished time.Time
	// Started is when the first attempt got its slot (zero if none did);
	// Duration runs from there to the end of the last attempt.
	Started  time.Time
	Duration time.Duration
	// Attempts lists every solve call, in order.
	Attempts []Attempt
	// Result is the successful attempt's result. Its Release has been
	// called by the time Run returns, so Handle must not be used.
	Result *Result
	// Err is the last attempt's error for a failed or cancelled target.
	Err error
	// LogTail holds the last lines the solver wrote to Job.Log.
	LogTail []string
	// LogFile is the target's file under Options.LogDir, if any.
	LogFile string
}

// StepError returns the *StepError in Err's chain, or nil.
func (o *Outcome) StepError() *StepError {
	var step *StepError
	if errors.As(o.Err, &step) {
		return step
	}
	return nil
}

// Report is the record of a whole run.
type Report struct {
	Started  time.Time
	Duration time.Duration
	// Jobs, KeepGoing and Retries are the effective options.
	Jobs      int
	KeepGoing bool
	Retries   int
	// Interrupted reports whether the caller's context was cancelled
	// before every target finished.
	Interrupted bool
	// Outcomes has one entry per plan node, in plan order.
	Outcomes []Outcome
	// Warnings lists problems that did not change any target's status,
	// such as a log file that could not be written.
	Warnings []string
}

// Count returns how many targets ended with status s.
func (r *Report) Count(s Status) int {
	n := 0
	for i := range r.Outcomes {
		if r.Outcomes[i].Status == s {
			n++
		}
	}
	return n
}

// Failed returns the root failures: the targets whose own solve failed.
func (r *Report) Failed() []*Outcome {
	var out []*Outcome
	for i := range r.Outcomes {
		if r.Outcomes[i].Status == StatusFailed {
			out = append(out, &r.Outcomes[i])
		}
	}
	return out
}

// Status summarises the run: "succeeded", "failed" or "interrupted". An
// interrupted run counts as interrupted even if a target also failed,
// because its other targets never got a verdict.
func (r *Report) Status() string {
	switch {
	case r.Interrupted:
		return "interrupted"
	case r.Count(StatusFailed) > 0 || r.Count(StatusSkipped) > 0 || r.Count(StatusCancelled) > 0:
		return "failed"
	default:
		return "succeeded"
	}
}
