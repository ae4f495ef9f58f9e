package dest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/orch-build/orch/config"
	"github.com/orch-build/orch/runner"
)

// Atomic wraps destinations for `orch build --atomic`: while the run
// builds, each target's images are pushed by digest only (every platform
// and the index, to every registry) and everything else stays staged;
// nothing a user sees changes until Publish, which runs only when every
// target succeeded. It implements Destinations and runner.Publisher.
//
// Publish first records what every tag points at (or that it does not
// exist), then moves the tags one by one; when one cannot move, the tags
// already moved are put back (a tag that did not exist is deleted, where
// the registry allows deleting a tag). Local destinations and image
// stores are written only after every tag moved.
type Atomic struct {
	inner Destinations

	mu   sync.Mutex
	held map[string]*Export
}

// NewAtomic holds back everything inner would write.
func NewAtomic(inner Destinations) *Atomic {
	return &Atomic{inner: inner, held: map[string]*Export{}}
}

// Stage stages as inner does.
func (a *Atomic) Stage(t *config.Target, fingerprint string, log io.Writer) (*Export, error) {
	return a.inner.Stage(t, fingerprint, log)
}

// Commit pushes e's images by digest and holds the rest of e for Publish.
// A target tried again replaces what its earlier attempt held.
func (a *Atomic) Commit(ctx context.Context, e *Export) ([]string, error) {
	var dests []string
	for _, it := range e.registryItems() {
		d, err := e.pushContent(ctx, it)
		dests = append(dests, d...)
		if err != nil {
			e.Abort()
			return dests, err
		}
	}
	a.mu.Lock()
	old := a.held[e.Target]
	a.held[e.Target] = e
	a.mu.Unlock()
	if old != nil && old != e {
		old.Abort()
	}
	return dests, nil
}

// Discard drops everything held: nothing is published, and the images
// pushed by digest stay untagged.
func (a *Atomic) Discard() {
	for _, e := range a.take() {
		e.Abort()
	}
}

// take empties the held exports.
func (a *Atomic) take() map[string]*Export {
	a.mu.Lock()
	defer a.mu.Unlock()
	held := a.held
	a.held = map[string]*Export{}
	return held
}

// tagMove is one tag an atomic run moves.
type tagMove struct {
	target string
	e      *Export
	it     *item
	// name is the normalized tag, shown the name as written.
	name, shown string
	// prev is what the tag pointed at before the run; nil when it did
	// not exist.
	prev *manifest
}

// Publish makes the held exports of the succeeded targets of rep visible:
// tags first, then local destinations and image stores. Each outcome's
// Result.Destinations gains what was written; rep.Warnings gains one entry
// per tag moved back. When a tag cannot move, the tags already moved are
// moved back and nothing local is written.
func (a *Atomic) Publish(ctx context.Context, rep *runner.Report) error {
	held := a.take()
	defer func() {
		for _, e := range held {
			e.Abort()
		}
	}()
	results := map[string]*runner.Result{}
	var order []string
	var moves []*tagMove
	for i := range rep.Outcomes {
		o := &rep.Outcomes[i]
		e := held[o.Name]
		if e == nil || o.Result == nil || !o.Status.Succeeded() {
			continue
		}
		results[o.Name] = o.Result
		order = append(order, o.Name)
		for _, it := range e.registryItems() {
			if it.out.PushByDigest {
				continue
			}
			for j, name := range it.names {
				moves = append(moves, &tagMove{target: o.Name, e: e, it: it, name: name, shown: it.shown[j]})
			}
		}
	}

	// Record every tag before any moves, so that a failure to read one
	// changes nothing.
	for _, m := range moves {
		reg, err := newRegistry(m.it.out.Insecure)
		if err != nil {
			return err
		}
		err = m.e.withHost(ctx, m.name, func() error {
			return retry(ctx, m.e.log, "read tag", func() (err error) {
				m.prev, err = reg.getTag(ctx, m.name)
				return err
			})
		})
		if err != nil {
			return fmt.Errorf("target %q: record tag %s before moving it: %w; no tag was moved", m.target, m.shown, err)
		}
	}
	for i, m := range moves {
		if err := m.e.moveTag(ctx, m.it, m.name); err != nil {
			err = fmt.Errorf("target %q: tag %s: %w", m.target, m.shown, err)
			return errors.Join(err, a.restore(ctx, moves[:i], rep, results))
		}
	}
	for _, m := range moves {
		results[m.target].Destinations = append(results[m.target].Destinations, "registry:"+m.shown)
	}

	var errs []error
	for _, name := range order {
		dests, err := held[name].commitLocal(ctx)
		results[name].Destinations = append(results[name].Destinations, dests...)
		if err != nil {
			errs = append(errs, fmt.Errorf("target %q: %w", name, err))
		}
	}
	return errors.Join(errs...)
}

// restore moves the tags of moved back where they were, last moved first,
// and says so in the report's warnings. A tag that cannot be restored is
// listed in its target's destinations, because it did change.
func (a *Atomic) restore(ctx context.Context, moved []*tagMove, rep *runner.Report, results map[string]*runner.Result) error {
	// Restoring must not stop because the run's context ended.
	ctx = context.WithoutCancel(ctx)
	var errs []error
	for i := len(moved) - 1; i >= 0; i-- {
		m := moved[i]
		root, err := m.e.rootManifest(m.it)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if m.prev != nil && m.prev.desc.Digest == root.desc.Digest {
			continue // it pointed there before the run: nothing changed
		}
		reg, err := newRegistry(m.it.out.Insecure)
		if err == nil {
			err = retry(ctx, m.e.log, "restore tag", func() error {
				if m.prev == nil {
					return reg.deleteTag(ctx, m.name)
				}
				return reg.putTag(ctx, m.name, m.prev)
			})
		}
		switch {
		case err == nil && m.prev == nil:
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("atomic run: tag %s removed again (it did not exist before the run)", m.shown))
		case err == nil:
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("atomic run: tag %s moved back to %s", m.shown, m.prev.desc.Digest))
		case m.prev == nil:
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("atomic run: tag %s did not exist before the run and could not be removed (%v); it points at %s", m.shown, err, root.desc.Digest))
			results[m.target].Destinations = append(results[m.target].Destinations, "registry:"+m.shown)
		default:
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("atomic run: tag %s could not be moved back to %s (%v); it points at %s", m.shown, m.prev.desc.Digest, err, root.desc.Digest))
			results[m.target].Destinations = append(results[m.target].Destinations, "registry:"+m.shown)
			errs = append(errs, fmt.Errorf("restore tag %s: %w", m.shown, err))
		}
	}
	return errors.Join(errs...)
}
