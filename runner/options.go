package runner

import (
	"context"
	"fmt"
	"runtime"
	"time"
)

// Options tune a run. The zero value is valid: default job count,
// fail-fast, no retries, no log files, no observer, the real clock.
type Options struct {
	// Jobs bounds how many solves run at once; 0 selects DefaultJobs().
	Jobs int
	// KeepGoing lets independent targets finish after a failure; the
	// dependents of a failed target are skipped. Without it the first
	// failure cancels every solve in flight (fail-fast).
	KeepGoing bool
	// Retries is how many times a transiently failing solve is tried again
	// (see IsTransient and RetryPolicy); 0 disables retries.
	Retries int
	// RetryDelay is the wait before the first retry, doubled for each later
	// one up to MaxRetryDelay. Zero values select 1s and 30s.
	RetryDelay    time.Duration
	MaxRetryDelay time.Duration
	// LogDir, when set, receives one plain-text log per target,
	// "<target>.log", holding what the solver wrote to Job.Log and a line
	// per attempt and outcome. The directory is created if needed.
	LogDir string
	// Observer receives the run's events; combine several with Observers.
	Observer Observer
	// Pool, when set, is the builder nodes the run places every solve on
	// (see Pool and Scheduler); each Job then carries its Placement, each
	// Attempt its Node. With a pool, Jobs defaults to at least the pool's
	// total limit, so that --jobs does not keep nodes idle.
	Pool *Pool
	// Now and Sleep replace the clock, for tests. Sleep must return
	// ctx.Err() early when ctx is cancelled.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
}

// Defaults for the zero fields of Options.
const (
	DefaultRetryDelay    = time.Second
	DefaultMaxRetryDelay = 30 * time.Second
)

// DefaultJobs is the number of concurrent solves when Options.Jobs is 0:
// four per local CPU, and never fewer than 32.
//
// The limit is not about local CPU: a solve spends its life waiting on the
// builder (RUN steps, pulls, pushes), which BuildKit already parallelises
// inside one solve and across solves. What the limit bounds is the open
// sessions, streams and context uploads on the client and the memory of the
// daemon when hundreds of targets are planned at once. A floor of 32 lets a
// typical batch start at once, as bake (which has no limit) does, so orch is
// never slower than bake on the daemon where the per-container cost
// dominates; larger machines get more slots in proportion to their CPUs,
// which is what a local daemon's throughput scales with.
func DefaultJobs() int {
	return defaultJobs(runtime.NumCPU())
}

// defaultJobs is DefaultJobs for a machine with cpus CPUs.
func defaultJobs(cpus int) int {
	return max(32, 4*cpus)
}

// withDefaults validates o and fills its zero fields.
func (o Options) withDefaults() (Options, error) {
	switch {
	case o.Jobs < 0:
		return o, fmt.Errorf("%w: jobs is %d, want at least 1 (or 0 for the default, %d)", ErrInvalidOptions, o.Jobs, DefaultJobs())
	case o.Retries < 0:
		return o, fmt.Errorf("%w: retries is %d, want 0 or more", ErrInvalidOptions, o.Retries)
	case o.RetryDelay < 0 || o.MaxRetryDelay < 0:
		return o, fmt.Errorf("%w: retry delays must not be negative", ErrInvalidOptions)
	}
	if o.Pool != nil {
		if err := o.Pool.check(); err != nil {
			return o, err
		}
	}
	if o.Jobs == 0 {
		o.Jobs = DefaultJobs()
		if o.Pool != nil {
			o.Jobs = max(o.Jobs, o.Pool.capacity())
		}
	}
	p := o.RetryPolicy().withDefaults()
	o.RetryDelay, o.MaxRetryDelay, o.Sleep = p.Delay, p.MaxDelay, p.Sleep
	if o.Now == nil {
		o.Now = time.Now
	}
	return o, nil
}

// RetryPolicy is the policy these options give every Solve. A caller that
// retries something else on the run's behalf (publishing an atomic run)
// uses it too, so that --retries means one thing throughout.
func (o Options) RetryPolicy() RetryPolicy {
	return RetryPolicy{Retries: o.Retries, Delay: o.RetryDelay, MaxDelay: o.MaxRetryDelay, Sleep: o.Sleep}
}
