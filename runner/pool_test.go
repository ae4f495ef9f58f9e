package runner

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"

	"github.com/google/go-cmp/cmp"

	"github.com/orch-build/orch/config"
	"github.com/orch-build/orch/graph"
)

// fakeNodes is a solver that stands for the daemons of a pool: it counts
// the solves each node runs at once and in total, and lets each solve
// finish only when the test releases it (or at once, without gate).
type fakeNodes struct {
	mu      sync.Mutex
	running map[string]int
	peak    map[string]int
	total   map[string]int
	jobs    map[string][][]Placement // target → placement of each attempt
	waiting []chan struct{}
	gate    bool
	// fail, when set, decides a solve's error from its job.
	fail func(job Job) error
}

func newFakeNodes(gate bool) *fakeNodes {
	return &fakeNodes{running: map[string]int{}, peak: map[string]int{}, total: map[string]int{}, jobs: map[string][][]Placement{}, gate: gate}
}

func (f *fakeNodes) Solve(ctx context.Context, job Job) (*Result, error) {
	nodes := Nodes(job.Placement)
	release := make(chan struct{})
	f.mu.Lock()
	f.jobs[job.Node.Name] = append(f.jobs[job.Node.Name], job.Placement)
	for _, n := range nodes {
		f.running[n]++
		f.total[n]++
		f.peak[n] = max(f.peak[n], f.running[n])
	}
	if f.gate {
		f.waiting = append(f.waiting, release)
	}
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		for _, n := range nodes {
			f.running[n]--
		}
		f.mu.Unlock()
	}()
	if f.gate {
		select {
		case <-release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if f.fail != nil {
		if err := f.fail(job); err != nil {
			return nil, err
		}
	}
	return &Result{}, nil
}

// releaseAll lets every solve that is waiting finish and returns how many
// ran on each node.
func (f *fakeNodes) releaseAll() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := map[string]int{}
	for n, c := range f.running {
		if c > 0 {
			now[n] = c
		}
	}
	for _, ch := range f.waiting {
		close(ch)
	}
	f.waiting = nil
	return now
}

// platformPlan is a plan of independent targets "name" or
// "name=platform,platform", in order; "child<parent" links child to
// parent through a `target:` context and "child<@parent" orders it after.
func platformPlan(specs ...string) *graph.Plan {
	plan := &graph.Plan{}
	index := map[string]int{}
	for _, spec := range specs {
		spec, plats, _ := strings.Cut(spec, "=")
		name, parent, linked := strings.Cut(spec, "<")
		t := &config.Target{Name: name}
		if plats != "" {
			t.Platforms = strings.Split(plats, ",")
		}
		n := &graph.Node{Name: name, Target: t, Export: true}
		if linked {
			kind, key := graph.DataEdge, "base"
			if p, ok := strings.CutPrefix(parent, "@"); ok {
				kind, key, parent = graph.OrderEdge, "", p
			}
			n.Deps = []graph.Edge{{Kind: kind, To: index[parent], Key: key}}
		}
		index[name] = len(plan.Nodes)
		plan.Nodes = append(plan.Nodes, n)
	}
	return plan
}

func independent(n int) *graph.Plan {
	specs := make([]string, n)
	for i := range specs {
		specs[i] = fmt.Sprintf("t%02d", i)
	}
	return platformPlan(specs...)
}

// TestRunPoolSpreads runs 24 independent targets on two nodes of three
// slots each, in waves: every wave fills both nodes to their limit and no
// further, and each node runs half of the targets.
func TestRunPoolSpreads(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pool := &Pool{Builders: []Builder{
			{Name: "bk1", Native: []string{"linux/amd64"}, Limit: 3},
			{Name: "bk2", Native: []string{"linux/amd64"}, Limit: 3},
		}}
		f := newFakeNodes(true)
		done := make(chan *Report)
		go func() {
			rep, err := Run(context.Background(), independent(24), f, Options{Pool: pool})
			if err != nil {
				t.Error(err)
			}
			done <- rep
		}()
		for wave := 0; ; wave++ {
			synctest.Wait()
			now := f.releaseAll()
			if len(now) == 0 {
				break
			}
			if diff := cmp.Diff(map[string]int{"bk1": 3, "bk2": 3}, now); diff != "" {
				t.Errorf("wave %d: solves running per node (-want +got):\n%s", wave, diff)
			}
		}
		rep := <-done
		if diff := cmp.Diff(map[string]int{"bk1": 12, "bk2": 12}, f.total); diff != "" {
			t.Errorf("solves per node (-want +got):\n%s", diff)
		}
		for _, o := range rep.Outcomes {
			a := o.Attempts[0]
			if a.Node != "bk1" && a.Node != "bk2" || len(a.Placement) != 1 || a.Placement[0].Platform != "linux/amd64" {
				t.Errorf("%s: attempt node %q, placement %v", o.Name, a.Node, a.Placement)
			}
		}
		if rep.Jobs != 32 {
			t.Errorf("jobs = %d, want the default 32 (the pool's 6 slots are fewer)", rep.Jobs)
		}
	})
}

// TestRunPoolJobsDefault raises the default job count to the pool's total
// limit, so that --jobs does not leave slots of the nodes idle.
func TestRunPoolJobsDefault(t *testing.T) {
	pool := &Pool{Builders: []Builder{
		{Name: "a", Native: []string{"linux/amd64"}, Limit: 40},
		{Name: "b", Native: []string{"linux/amd64"}, Limit: 30},
	}}
	rep, err := Run(context.Background(), independent(2), newFakeNodes(false), Options{Pool: pool})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Jobs != max(70, DefaultJobs()) {
		t.Errorf("jobs = %d, want %d", rep.Jobs, max(70, DefaultJobs()))
	}
}

// TestRunPoolLostBuilder loses a node with solves in flight: they are
// retried on the other node, the lost one takes nothing more, every
// target builds and the report says which node each attempt ran on.
func TestRunPoolLostBuilder(t *testing.T) {
	pool := &Pool{Builders: []Builder{
		{Name: "bk1", Native: []string{"linux/amd64"}, Limit: 2},
		{Name: "bk2", Native: []string{"linux/amd64"}, Limit: 2},
	}}
	clock := newFakeClock()
	f := newFakeNodes(false)
	f.fail = func(job Job) error {
		if job.Placement[0].Node == "bk2" {
			return fmt.Errorf("solve: %w", &LostBuilderError{Node: "bk2", Err: syscall.ECONNRESET})
		}
		return nil
	}
	rep, err := Run(context.Background(), independent(8), f, Options{Pool: pool, Retries: 1, Now: clock.Now, Sleep: clock.Sleep})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	lostAttempts := 0
	for _, o := range rep.Outcomes {
		var nodes []string
		for _, a := range o.Attempts {
			nodes = append(nodes, a.Node)
		}
		switch {
		case slices.Equal(nodes, []string{"bk1"}):
		case slices.Equal(nodes, []string{"bk2", "bk1"}):
			lostAttempts++
			if a := o.Attempts[0]; !a.Transient || !strings.Contains(errText(a.Err), "builder node bk2 went away") {
				t.Errorf("%s: first attempt transient=%v err=%v", o.Name, a.Transient, a.Err)
			}
		default:
			t.Errorf("%s ran on %v, want bk1, or bk2 then bk1", o.Name, nodes)
		}
	}
	// bk2 is marked lost before its slot is freed: at most its two slots'
	// solves ever reach it.
	if lostAttempts < 1 || lostAttempts > 2 || f.total["bk2"] != lostAttempts {
		t.Errorf("%d targets went to bk2 first (%d solves there), want 1 or 2", lostAttempts, f.total["bk2"])
	}
	if want := []string{"builder node bk2 went away; the run does not use it again"}; !cmp.Equal(rep.Warnings, want) {
		t.Errorf("warnings = %q, want %q", rep.Warnings, want)
	}
	var doc struct {
		Targets []struct {
			Attempts []struct {
				Node      string `json:"node"`
				Placement []struct{ Platform, Node string }
			} `json:"attempts"`
			Placement []struct{ Platform, Node string } `json:"placement"`
		} `json:"targets"`
	}
	var b strings.Builder
	if err := rep.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(b.String()), &doc); err != nil {
		t.Fatal(err)
	}
	for i, tj := range doc.Targets {
		last := tj.Attempts[len(tj.Attempts)-1]
		if last.Node != "bk1" || len(tj.Placement) != 1 || tj.Placement[0].Node != "bk1" || tj.Placement[0].Platform != "linux/amd64" {
			t.Errorf("report target %d: attempts %+v, placement %+v; want bk1 for linux/amd64", i, tj.Attempts, tj.Placement)
		}
	}
}

// TestRunPoolLostWithoutRetries fails what the lost node was building
// when no retry is allowed.
func TestRunPoolLostWithoutRetries(t *testing.T) {
	pool := &Pool{Builders: []Builder{
		{Name: "bk1", Native: []string{"linux/amd64"}, Limit: 1},
		{Name: "bk2", Native: []string{"linux/amd64"}, Limit: 1},
	}}
	f := newFakeNodes(false)
	f.fail = func(job Job) error {
		if job.Placement[0].Node == "bk2" {
			return &LostBuilderError{Node: "bk2", Err: syscall.ECONNREFUSED}
		}
		return nil
	}
	rep, _ := Run(context.Background(), independent(4), f, Options{Pool: pool, KeepGoing: true})
	if rep.Count(StatusFailed) != f.total["bk2"] || f.total["bk2"] != 1 {
		t.Errorf("%d failed, %d solves on bk2; want one of each", rep.Count(StatusFailed), f.total["bk2"])
	}
}

// TestRunPoolAffinity keeps a linked child on its parent's node though
// another node is idler, and lets an order-only dependent go anywhere.
func TestRunPoolAffinity(t *testing.T) {
	pool := &Pool{Builders: []Builder{
		{Name: "bk1", Native: []string{"linux/amd64"}, Limit: 4},
		{Name: "bk2", Native: []string{"linux/amd64"}, Limit: 4},
	}}
	f := newFakeNodes(false)
	rep, err := Run(context.Background(), platformPlan("base", "app<base", "later<@base"), f, Options{Pool: pool, Jobs: 1})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, o := range rep.Outcomes {
		got[o.Name] = o.Attempts[0].Node
	}
	// base went to bk1; with one job at a time both nodes are idle when
	// the dependents start, and bk2 has run fewer solves.
	if diff := cmp.Diff(map[string]string{"base": "bk1", "app": "bk1", "later": "bk2"}, got); diff != "" {
		t.Errorf("nodes (-want +got):\n%s", diff)
	}
}

// TestRunPoolSplit hands a splittable multi-platform target one placement
// per platform, each on its native node, and keeps one that may not be
// split on one node.
func TestRunPoolSplit(t *testing.T) {
	pool := mixedPool(2)
	pool.Split = func(n *graph.Node) bool { return n.Name == "split" }
	pool.Normalize = func(p string) string { return strings.TrimSuffix(p, "/v8") }
	f := newFakeNodes(false)
	_, err := Run(context.Background(), platformPlan("split=linux/amd64,linux/arm64/v8", "whole=linux/arm64,linux/amd64"), f, Options{Pool: pool})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][][]Placement{
		"split": {{{"linux/amd64", "bk1"}, {"linux/arm64", "bk3"}}},
		"whole": {{{"linux/arm64", "bk3"}, {"linux/amd64", "bk3"}}},
	}
	// split and whole start at once: which amd64 node split gets, and
	// which of the two goes first to bk3, is a race; normalise bk2.
	for _, ps := range f.jobs["split"] {
		for i := range ps {
			if ps[i].Node == "bk2" {
				ps[i].Node = "bk1"
			}
		}
	}
	if diff := cmp.Diff(want, f.jobs); diff != "" {
		t.Errorf("placements (-want +got):\n%s", diff)
	}
}

// TestRunPoolNoBuilder fails a target whose platform no node builds, with
// a message naming the platform, and builds the rest.
func TestRunPoolNoBuilder(t *testing.T) {
	f := newFakeNodes(false)
	rep, err := Run(context.Background(), platformPlan("ok", "odd=linux/s390x"), f, Options{Pool: mixedPool(1), KeepGoing: true})
	if err == nil {
		t.Fatal("Run succeeded")
	}
	v := verdicts(rep)
	if v["ok"].Status != StatusBuilt || v["odd"].Status != StatusFailed {
		t.Fatalf("verdicts: %+v", v)
	}
	odd := rep.Outcomes[1]
	if want := "no builder node can build linux/s390x; the pool builds linux/386, linux/amd64, linux/arm64"; errText(odd.Err) != want {
		t.Errorf("error:\n got %v\nwant %s", odd.Err, want)
	}
	if len(f.jobs["odd"]) != 0 {
		t.Error("the target was handed to the solver")
	}
}

// TestRunPoolRejects refuses pools no scheduler can use.
func TestRunPoolRejects(t *testing.T) {
	for _, tc := range []struct {
		pool Pool
		want string
	}{
		{Pool{}, "invalid runner options: the builder pool has no nodes"},
		{Pool{Builders: []Builder{{Native: []string{"linux/amd64"}}}}, "invalid runner options: a builder node has no name"},
		{Pool{Builders: []Builder{{Name: "a", Native: []string{"x"}}, {Name: "a", Native: []string{"x"}}}}, "invalid runner options: two builder nodes are named a"},
		{Pool{Builders: []Builder{{Name: "a"}}}, "invalid runner options: builder node a reports no platform"},
		{Pool{Builders: []Builder{{Name: "a", Native: []string{"x"}, Limit: -1}}}, "invalid runner options: builder node a: limit -1, want 1 or more"},
	} {
		_, err := Run(context.Background(), independent(1), newFakeNodes(false), Options{Pool: &tc.pool})
		if errText(err) != tc.want {
			t.Errorf("pool %+v: %v, want %s", tc.pool, err, tc.want)
		}
	}
}
