package dest

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/orch-build/orch/runner"
)

// Registry and image store requests that fail for a transient reason
// (runner.IsTransient: a refused or reset connection, 408, 429, 5xx) are
// tried again after retryBackoff, doubling each time, up to retryAttempts
// in all. Only the request is repeated, not the build. An error that
// remains transient after the last attempt stays so, and --retries may
// run the target again.
var (
	retryAttempts = 5
	retryBackoff  = 250 * time.Millisecond
)

// retry runs fn until it succeeds, fails for good or runs out of
// attempts, saying in log what it retries.
func retry(ctx context.Context, log io.Writer, what string, fn func() error) error {
	for attempt := 1; ; attempt++ {
		err := fn()
		if err == nil || !runner.IsTransient(err) || attempt >= retryAttempts || ctx.Err() != nil {
			return err
		}
		wait := retryBackoff << (attempt - 1)
		fmt.Fprintf(log, "%s attempt %d failed, retrying in %s: %v\n", what, attempt, wait, err)
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return err
		}
	}
}
