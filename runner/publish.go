package runner

import (
	"context"
	"errors"
	"fmt"
)

// Publisher is implemented by a Solver that can hold every destination
// back until the whole run succeeded (`orch build --atomic`): its Solve
// calls build and push by digest only, and nothing a user sees changes
// until Publish.
type Publisher interface {
	// Publish makes every held destination visible. It is called once,
	// after Run, only when every node succeeded, and sets each outcome's
	// Result.Destinations to what it published, also when it fails part
	// way.
	Publish(ctx context.Context, rep *Report) error
	// Discard drops everything held; nothing is published.
	Discard()
}

// Finish ends an atomic run that Run returned runErr for: when the run
// succeeded it publishes, otherwise it discards and says so in the
// report's warnings, so the summary and the JSON report tell what was (not)
// published. A failed publish is reported the same way and wraps ErrFailed.
func Finish(ctx context.Context, p Publisher, rep *Report, runErr error) error {
	if runErr != nil || rep == nil {
		p.Discard()
		if rep != nil {
			rep.Warnings = append(rep.Warnings, "atomic run: nothing was published because not every target succeeded; images pushed by digest stay untagged")
		}
		return runErr
	}
	if err := p.Publish(ctx, rep); err != nil {
		p.Discard()
		rep.Warnings = append(rep.Warnings, "atomic run: publish failed part way: "+err.Error())
		if errors.Is(err, context.Canceled) && ctx.Err() != nil {
			return fmt.Errorf("%w: publish: %w", ErrInterrupted, err)
		}
		return fmt.Errorf("%w: publish: %w", ErrFailed, err)
	}
	return nil
}

// FakePublisher is a Publisher whose behaviour is a function field, for
// tests. A nil PublishFunc publishes nothing and succeeds.
type FakePublisher struct {
	PublishFunc func(ctx context.Context, rep *Report) error
	// Published and Discarded count the calls.
	Published, Discarded int
}

// Publish calls PublishFunc.
func (f *FakePublisher) Publish(ctx context.Context, rep *Report) error {
	f.Published++
	if f.PublishFunc == nil {
		return nil
	}
	return f.PublishFunc(ctx, rep)
}

// Discard counts the call.
func (f *FakePublisher) Discard() { f.Discarded++ }
