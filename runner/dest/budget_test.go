package dest

import (
	"context"
	"testing"
)

func TestRegistryBudget(t *testing.T) {
	b := newBudget(1)
	release, err := b.acquire(context.Background(), []string{"r2", "r1"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := b.acquire(ctx, []string{"r1"}); err == nil || err.Error() != "wait for a push slot of r1: context canceled" {
		t.Errorf("error %v, want the wait for r1 cancelled", err)
	}
	release()
	release2, err := b.acquire(context.Background(), []string{"r1"})
	if err != nil {
		t.Fatal(err)
	}
	release2()
	if b.peak["r1"] != 1 || b.peak["r2"] != 1 || b.inUse["r1"] != 0 {
		t.Errorf("peak %v, in use %v", b.peak, b.inUse)
	}
	// No bound: nothing to wait for.
	if _, err := newBudget(0).acquire(ctx, []string{"r1"}); err != nil {
		t.Errorf("unbounded budget: %v", err)
	}
}
