package runner

import (
	"slices"
	"sync"
	"time"
)

// Phase names a part of one solve attempt, for the timelines of the run
// report, the trace file and OpenTelemetry spans. An attempt starts in
// PhaseSolve; the solver marks the later phases it reaches with
// Job.StartPhase. A phase lasts until the next one starts or the attempt
// ends.
type Phase string

// The phases of an attempt, in the order they happen.
const (
	// PhaseSolve: the builder runs the build steps.
	PhaseSolve Phase = "solve"
	// PhaseExport: the builder writes the result (an image, a layout, a
	// local directory) into the place the destinations chose.
	PhaseExport Phase = "export"
	// PhasePush: the destinations receive the result: pushes to
	// registries, layouts moved into place, images loaded into stores.
	PhasePush Phase = "push"
)

// Phases lists every Phase in order.
var Phases = []Phase{PhaseSolve, PhaseExport, PhasePush}

// PhaseMark is the start of a phase after the first: the attempt's own
// Started is when PhaseSolve began.
type PhaseMark struct {
	Phase   Phase
	Started time.Time
}

// Step is one build step the builder reported during an attempt (for
// BuildKit, a vertex of the status stream), with the builder's own times.
type Step struct {
	// Name is the step as the progress display shows it, e.g.
	// "[api 3/5] RUN make".
	Name string
	// Started and Completed come from the builder's clock; Completed is
	// zero when the step never finished (it failed or was cancelled).
	Started, Completed time.Time
	// Cached reports whether the result came from the cache.
	Cached bool
	// Error is the builder's error text for a failed step.
	Error string
}

// StartPhase records that the attempt job belongs to entered phase p now.
// The solver calls it from any goroutine while Solve runs; calls after
// Solve returned, repeats of the current phase and calls on a Job the
// runner did not make are ignored.
func (j Job) StartPhase(p Phase) {
	if j.timeline != nil {
		j.timeline.phase(p)
	}
}

// RecordSteps hands the runner the build steps of the attempt, for the
// report; a later call replaces what an earlier one gave. Like
// StartPhase it is ignored after Solve returned.
func (j Job) RecordSteps(steps []Step) {
	if j.timeline != nil {
		j.timeline.record(steps)
	}
}

// timeline collects what the solver tells about one attempt.
type timeline struct {
	now func() time.Time

	mu     sync.Mutex
	closed bool
	phases []PhaseMark
	steps  []Step
}

func newTimeline(now func() time.Time) *timeline { return &timeline{now: now} }

func (t *timeline) phase(p Phase) {
	t.mu.Lock()
	defer t.mu.Unlock()
	current := PhaseSolve
	if n := len(t.phases); n > 0 {
		current = t.phases[n-1].Phase
	}
	if t.closed || p == current {
		return
	}
	t.phases = append(t.phases, PhaseMark{Phase: p, Started: t.now()})
}

func (t *timeline) record(steps []Step) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.closed {
		t.steps = slices.Clone(steps)
	}
}

// close ends the attempt's timeline and returns what it holds.
func (t *timeline) close() ([]PhaseMark, []Step) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.closed = true
	return t.phases, t.steps
}
