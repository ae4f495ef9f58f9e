package dest

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/orch-build/orch/runner"
)

// requestRetry is how a registry or image store request that failed for a
// transient reason (runner.IsTransient: a refused or reset connection,
// 408, 429, 5xx but 501 and 505) is tried again: runner's one retry
// policy, with fixed parameters rather than the run's --retries, since
// only the request is repeated, not the build: five tries in all, waiting
// 250 ms, 500 ms, 1 s and 2 s. An error that remains transient after the
// last try stays so, and --retries may run the target again. Tests make
// the waits short.
var requestRetry = runner.RetryPolicy{Retries: 4, Delay: 250 * time.Millisecond, MaxDelay: 2 * time.Second}

// retry runs fn under requestRetry, saying in log what it retries.
func retry(ctx context.Context, log io.Writer, what string, fn func() error) error {
	p := requestRetry
	p.OnRetry = func(attempt int, wait time.Duration, err error) {
		fmt.Fprintf(log, "%s attempt %d failed, retrying in %s: %v\n", what, attempt, wait, err)
	}
	return p.Do(ctx, func(context.Context, int) error { return fn() })
}
