package dest

import (
	"context"
	"fmt"
	"slices"
	"sync"
)

// budget bounds how many pushes go to one registry host at a time, across
// every target of the run.
type budget struct {
	jobs  int
	mu    sync.Mutex
	slots map[string]chan struct{}
	// inUse and peak count holders per host, for tests and reports.
	inUse, peak map[string]int
}

// newBudget returns a budget of jobs pushes per host; jobs <= 0 means no
// bound.
func newBudget(jobs int) *budget {
	return &budget{jobs: jobs, slots: map[string]chan struct{}{}, inUse: map[string]int{}, peak: map[string]int{}}
}

// acquire takes one slot of every host, in sorted order so that pushes to
// several hosts cannot deadlock, and returns the release.
func (b *budget) acquire(ctx context.Context, hosts []string) (func(), error) {
	hosts = slices.Compact(slices.Sorted(slices.Values(hosts)))
	var taken []string
	release := func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		for _, h := range taken {
			b.inUse[h]--
			if b.jobs > 0 {
				<-b.slots[h]
			}
		}
		taken = nil
	}
	for _, h := range hosts {
		if b.jobs > 0 {
			b.mu.Lock()
			ch := b.slots[h]
			if ch == nil {
				ch = make(chan struct{}, b.jobs)
				b.slots[h] = ch
			}
			b.mu.Unlock()
			select {
			case ch <- struct{}{}:
			case <-ctx.Done():
				release()
				return nil, fmt.Errorf("wait for a push slot of %s: %w", h, context.Cause(ctx))
			}
		}
		b.mu.Lock()
		b.inUse[h]++
		b.peak[h] = max(b.peak[h], b.inUse[h])
		taken = append(taken, h)
		b.mu.Unlock()
	}
	return release, nil
}

// Peak returns the most pushes to host that ran at once during the run.
func (r *Run) Peak(host string) int {
	r.budget.mu.Lock()
	defer r.budget.mu.Unlock()
	return r.budget.peak[host]
}
