package runner

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"

	"github.com/google/go-cmp/cmp"
)

// mixedPool is two amd64 nodes that emulate arm64 and one arm64 node that
// emulates amd64, as the test bed's daemons are.
func mixedPool(limit int) *Pool {
	return &Pool{Builders: []Builder{
		{Name: "bk1", Native: []string{"linux/amd64"}, Emulated: []string{"linux/arm64", "linux/386"}, Limit: limit},
		{Name: "bk2", Native: []string{"linux/amd64"}, Emulated: []string{"linux/arm64", "linux/386"}, Limit: limit},
		{Name: "bk3", Native: []string{"linux/arm64"}, Emulated: []string{"linux/amd64"}, Limit: limit},
	}}
}

// acquire takes a lease that must be granted at once.
func acquire(t *testing.T, s *Scheduler, req Request) *Lease {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // a request that would wait fails instead of hanging
	l, err := s.Acquire(ctx, req)
	if err != nil {
		t.Fatalf("Acquire(%+v): %v", req, err)
	}
	return l
}

func TestSchedulerPlacesNativeFirst(t *testing.T) {
	s := NewScheduler(mixedPool(4))
	for _, tc := range []struct {
		name string
		req  Request
		want []Placement
	}{
		{"arm64 goes to its native node", Request{Platforms: []string{"linux/arm64"}}, []Placement{{"linux/arm64", "bk3"}}},
		{"amd64 to a native one", Request{Platforms: []string{"linux/amd64"}}, []Placement{{"linux/amd64", "bk1"}}},
		{"no platform is the first node's own", Request{}, []Placement{{"linux/amd64", "bk2"}}},
		{"only emulated: any emulator", Request{Platforms: []string{"linux/386"}}, []Placement{{"linux/386", "bk1"}}},
		{"split: each platform native", Request{Platforms: []string{"linux/amd64", "linux/arm64"}, Split: true},
			[]Placement{{"linux/amd64", "bk2"}, {"linux/arm64", "bk3"}}},
		{"together: the node with the first platform native", Request{Platforms: []string{"linux/arm64", "linux/amd64"}},
			[]Placement{{"linux/arm64", "bk3"}, {"linux/amd64", "bk3"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := acquire(t, s, tc.req)
			if diff := cmp.Diff(tc.want, l.Placement); diff != "" {
				t.Errorf("placement (-want +got):\n%s", diff)
			}
		})
	}
	if s.Default() != "linux/amd64" {
		t.Errorf("Default() = %q, want linux/amd64", s.Default())
	}
}

// TestSchedulerLeastLoaded fills two nodes of different limits: each gets
// solves in proportion to its limit, none above it, and a request that
// finds every slot taken waits for the first one freed.
func TestSchedulerLeastLoaded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := NewScheduler(&Pool{Builders: []Builder{
			{Name: "small", Native: []string{"linux/amd64"}, Limit: 1},
			{Name: "big", Native: []string{"linux/amd64"}, Limit: 3},
		}})
		got := map[string]int{}
		var leases []*Lease
		for range 4 {
			l := acquire(t, s, Request{})
			got[l.Placement[0].Node]++
			leases = append(leases, l)
		}
		if diff := cmp.Diff(map[string]int{"small": 1, "big": 3}, got); diff != "" {
			t.Errorf("solves per node (-want +got):\n%s", diff)
		}
		done := make(chan *Lease)
		go func() {
			l, err := s.Acquire(context.Background(), Request{})
			if err != nil {
				t.Error(err)
			}
			done <- l
		}()
		synctest.Wait()
		select {
		case <-done:
			t.Fatal("a fifth request was granted with every slot taken")
		default:
		}
		var freed *Lease
		for _, l := range leases {
			if l.Placement[0].Node == "big" {
				freed = l
			}
		}
		s.Release(freed)
		s.Release(freed) // twice is once
		if l := <-done; l.Placement[0].Node != "big" {
			t.Errorf("the waiting request went to %s, want big (the slot freed)", l.Placement[0].Node)
		}
		if s.free != 0 {
			t.Errorf("free slots = %d after the double release, want 0", s.free)
		}
	})
}

// TestSchedulerAffinity keeps a child on its parent's node, waiting for
// it, unless that node is not native for the child's platform.
func TestSchedulerAffinity(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := NewScheduler(mixedPool(1))
		busy := acquire(t, s, Request{Affinity: map[string]string{"linux/amd64": "bk2"}})
		if busy.Placement[0].Node != "bk2" {
			t.Fatalf("child went to %s, want its parent's bk2", busy.Placement[0].Node)
		}
		done := make(chan *Lease)
		go func() {
			l, _ := s.Acquire(context.Background(), Request{Affinity: map[string]string{"linux/amd64": "bk2"}})
			done <- l
		}()
		synctest.Wait()
		select {
		case l := <-done:
			t.Fatalf("child placed on %s while its parent's node was busy, want it to wait", l.Placement[0].Node)
		default:
		}
		s.Release(busy)
		waited := <-done
		if waited.Placement[0].Node != "bk2" {
			t.Errorf("child went to %s after the wait, want bk2", waited.Placement[0].Node)
		}
		s.Release(waited)
		// bk3 holds the parent, but it emulates amd64: the native rule wins.
		l := acquire(t, s, Request{Platforms: []string{"linux/amd64"}, Affinity: map[string]string{"linux/amd64": "bk3"}})
		if l.Placement[0].Node != "bk1" {
			t.Errorf("child went to %s, want bk1: its parent's node emulates amd64", l.Placement[0].Node)
		}
		s.Release(l)
		// A split child follows its parent per platform: bk2 has run
		// more solves than bk1, yet amd64 goes there.
		l = acquire(t, s, Request{Platforms: []string{"linux/amd64", "linux/arm64"}, Split: true, Affinity: map[string]string{"linux/amd64": "bk2"}})
		if diff := cmp.Diff([]Placement{{"linux/amd64", "bk2"}, {"linux/arm64", "bk3"}}, l.Placement); diff != "" {
			t.Errorf("split child (-want +got):\n%s", diff)
		}
	})
}

// TestSchedulerLost sends a platform to an emulator once its native node
// is lost, fails it naming the platform when no node is left, and fails
// a waiting request that only the lost node could serve.
func TestSchedulerLost(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := NewScheduler(&Pool{Builders: []Builder{
			{Name: "bk1", Native: []string{"linux/amd64"}, Emulated: []string{"linux/arm64"}, Limit: 1},
			{Name: "bk3", Native: []string{"linux/arm64"}, Limit: 1},
		}})
		arm := Request{Platforms: []string{"linux/arm64"}}
		held := acquire(t, s, arm)
		if held.Placement[0].Node != "bk3" {
			t.Fatalf("arm64 went to %s, want bk3", held.Placement[0].Node)
		}
		s390 := Request{Platforms: []string{"linux/s390x"}}
		if _, err := s.Acquire(context.Background(), s390); errText(err) != "no builder node can build linux/s390x; the pool builds linux/amd64, linux/arm64" {
			t.Errorf("s390x: %v", err)
		}
		amd := acquire(t, s, Request{})
		errs := make(chan error)
		go func() {
			_, err := s.Acquire(context.Background(), Request{Platforms: []string{"linux/arm64"}, Affinity: map[string]string{"linux/arm64": "bk3"}})
			errs <- err
		}()
		synctest.Wait()
		if !s.Lost("bk3") || s.Lost("bk3") {
			t.Error("Lost reports a first loss once")
		}
		s.Release(held) // the lost node's solve ends
		// bk1 is full: the waiter now waits for bk1, where arm64 is emulated.
		synctest.Wait()
		select {
		case err := <-errs:
			t.Fatalf("waiter ended before a slot was free: %v", err)
		default:
		}
		s.Release(amd)
		if err := <-errs; err != nil {
			t.Errorf("waiter after the loss: %v", err)
		}
		if !s.IsLost("bk3") || s.IsLost("bk1") {
			t.Error("IsLost does not match Lost")
		}
		s.Lost("bk1")
		_, err := s.Acquire(context.Background(), arm)
		var nb *NoBuilderError
		if !errors.As(err, &nb) || !errors.Is(err, ErrNoBuilder) {
			t.Fatalf("arm64 with every node lost: %v, want a *NoBuilderError", err)
		}
		if want := "no builder node left that can build linux/arm64: bk1, bk3 went away"; err.Error() != want {
			t.Errorf("error:\n got %s\nwant %s", err, want)
		}
	})
}

// TestSchedulerTogetherImpossible refuses platforms no single node builds
// when the target may not be split, and places them when it may.
func TestSchedulerTogetherImpossible(t *testing.T) {
	s := NewScheduler(&Pool{Builders: []Builder{
		{Name: "a", Native: []string{"linux/amd64"}, Limit: 2},
		{Name: "b", Native: []string{"linux/arm64"}, Limit: 2},
	}})
	plats := []string{"linux/amd64", "linux/arm64"}
	_, err := s.Acquire(context.Background(), Request{Platforms: plats})
	if want := "no builder node left can build linux/amd64,linux/arm64 together, and the target's outputs need one node for all its platforms"; errText(err) != want {
		t.Errorf("together:\n got %v\nwant %s", err, want)
	}
	l := acquire(t, s, Request{Platforms: plats, Split: true})
	if diff := cmp.Diff([]Placement{{"linux/amd64", "a"}, {"linux/arm64", "b"}}, l.Placement); diff != "" {
		t.Errorf("split (-want +got):\n%s", diff)
	}
	if got := Nodes(l.Placement); !cmp.Equal(got, []string{"a", "b"}) {
		t.Errorf("Nodes = %v", got)
	}
}

// TestSchedulerCancelledWait gives a cancelled waiter's request no slot
// and leaks none.
func TestSchedulerCancelledWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := NewScheduler(&Pool{Builders: []Builder{{Name: "only", Native: []string{"linux/amd64"}, Limit: 1}}})
		held := acquire(t, s, Request{})
		ctx, cancel := context.WithCancel(context.Background())
		errs := make(chan error)
		go func() {
			_, err := s.Acquire(ctx, Request{})
			errs <- err
		}()
		synctest.Wait()
		cancel()
		if err := <-errs; !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled wait: %v", err)
		}
		s.Release(held)
		if s.free != 1 || len(s.queue) != 0 {
			t.Errorf("free = %d, queue = %d after the cancelled wait; want 1 and 0", s.free, len(s.queue))
		}
	})
}
