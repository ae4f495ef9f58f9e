package buildkit

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/moby/buildkit/client"
	"github.com/opencontainers/go-digest"
)

// sent is one call of the send function given to attribution.show.
type sent struct {
	Target string
	Status client.SolveStatus
}

// report is one status as the solve of target From streamed it.
type report struct {
	From   string
	Status client.SolveStatus
}

var (
	t0      = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	t1      = t0.Add(time.Second)
	t2      = t0.Add(2 * time.Second)
	dShared = digest.FromString("shared")
	dOther  = digest.FromString("other")
)

func vtx(d digest.Digest, name string, started, completed *time.Time) *client.Vertex {
	return &client.Vertex{Digest: d, Name: name, Started: started, Completed: completed}
}

func logLine(d digest.Digest, at time.Time, data string) *client.VertexLog {
	return &client.VertexLog{Vertex: d, Stream: 1, Data: []byte(data), Timestamp: at}
}

func TestAttributionRoutesSharedVertices(t *testing.T) {
	// The plan order is base, api, web.
	plan := []string{"base", "api", "web"}
	pending := vtx(dShared, "[1/2] RUN make", nil, nil)
	started := vtx(dShared, "[1/2] RUN make", &t0, nil)
	done := vtx(dShared, "[1/2] RUN make", &t0, &t1)
	tests := []struct {
		name    string
		reports []report
		want    []sent
	}{
		{
			name: "a linked child repeats its parent's vertex: shown once, under the parent",
			reports: []report{
				{"base", client.SolveStatus{Vertexes: []*client.Vertex{started}}},
				{"base", client.SolveStatus{Vertexes: []*client.Vertex{done}, Logs: []*client.VertexLog{logLine(dShared, t0, "ok\n")}}},
				{"api", client.SolveStatus{Vertexes: []*client.Vertex{pending, started, done}, Logs: []*client.VertexLog{logLine(dShared, t0, "ok\n")}}},
			},
			want: []sent{
				{"base", client.SolveStatus{Vertexes: []*client.Vertex{started}}},
				{"base", client.SolveStatus{Vertexes: []*client.Vertex{done}, Logs: []*client.VertexLog{logLine(dShared, t0, "ok\n")}}},
			},
		},
		{
			name: "a pending vertex is held back; when it starts, the first reporter in plan order owns it",
			reports: []report{
				{"web", client.SolveStatus{Vertexes: []*client.Vertex{pending}}},
				{"api", client.SolveStatus{Vertexes: []*client.Vertex{pending}}},
				{"web", client.SolveStatus{Vertexes: []*client.Vertex{started}}},
				{"web", client.SolveStatus{Vertexes: []*client.Vertex{done}}},
				{"api", client.SolveStatus{Vertexes: []*client.Vertex{started, done}}},
			},
			want: []sent{
				{"api", client.SolveStatus{Vertexes: []*client.Vertex{started}}},
				{"api", client.SolveStatus{Vertexes: []*client.Vertex{done}}},
			},
		},
		{
			name: "a target earlier in plan order that reports a shown vertex does not take it over",
			reports: []report{
				{"web", client.SolveStatus{Vertexes: []*client.Vertex{started}}},
				{"base", client.SolveStatus{Vertexes: []*client.Vertex{pending, started}}},
				{"base", client.SolveStatus{Vertexes: []*client.Vertex{done}}},
			},
			want: []sent{
				{"web", client.SolveStatus{Vertexes: []*client.Vertex{started}}},
				{"web", client.SolveStatus{Vertexes: []*client.Vertex{done}}},
			},
		},
		{
			name: "a log line reveals a hidden vertex, its record first",
			reports: []report{
				{"api", client.SolveStatus{Vertexes: []*client.Vertex{pending}}},
				{"api", client.SolveStatus{Logs: []*client.VertexLog{logLine(dShared, t0, "early\n")}}},
			},
			want: []sent{
				{"api", client.SolveStatus{Vertexes: []*client.Vertex{pending}, Logs: []*client.VertexLog{logLine(dShared, t0, "early\n")}}},
			},
		},
		{
			name: "repeated log chunks are dropped, distinct chunks with one timestamp are kept",
			reports: []report{
				{"api", client.SolveStatus{Vertexes: []*client.Vertex{started}, Logs: []*client.VertexLog{logLine(dShared, t1, "a\n"), logLine(dShared, t1, "b\n")}}},
				{"web", client.SolveStatus{Logs: []*client.VertexLog{logLine(dShared, t1, "b\n"), logLine(dShared, t1, "a\n"), logLine(dShared, t2, "c\n")}}},
			},
			want: []sent{
				{"api", client.SolveStatus{Vertexes: []*client.Vertex{started}, Logs: []*client.VertexLog{logLine(dShared, t1, "a\n"), logLine(dShared, t1, "b\n")}}},
				{"api", client.SolveStatus{Logs: []*client.VertexLog{logLine(dShared, t2, "c\n")}}},
			},
		},
		{
			name: "one status is split by owner, in plan order; lines without a vertex stay with the reporter",
			reports: []report{
				{"web", client.SolveStatus{Vertexes: []*client.Vertex{vtx(dOther, "web step", &t0, nil)}}},
				{"api", client.SolveStatus{
					Vertexes: []*client.Vertex{vtx(dOther, "web step", &t0, &t1), started},
					Logs:     []*client.VertexLog{logLine("", t1, "no vertex\n")},
				}},
			},
			want: []sent{
				{"web", client.SolveStatus{Vertexes: []*client.Vertex{vtx(dOther, "web step", &t0, nil)}}},
				{"api", client.SolveStatus{Vertexes: []*client.Vertex{started}, Logs: []*client.VertexLog{logLine("", t1, "no vertex\n")}}},
				{"web", client.SolveStatus{Vertexes: []*client.Vertex{vtx(dOther, "web step", &t0, &t1)}}},
			},
		},
		{
			name: "progress lines and warnings repeated by another stream are dropped",
			reports: []report{
				{"api", client.SolveStatus{
					Vertexes: []*client.Vertex{started},
					Statuses: []*client.VertexStatus{{ID: "transfer", Vertex: dShared, Current: 10, Timestamp: t1}},
					Warnings: []*client.VertexWarning{{Vertex: dShared, Level: 1, Short: []byte("deprecated")}},
				}},
				{"web", client.SolveStatus{
					Statuses: []*client.VertexStatus{{ID: "transfer", Vertex: dShared, Current: 10, Timestamp: t1}, {ID: "transfer", Vertex: dShared, Current: 20, Timestamp: t2}},
					Warnings: []*client.VertexWarning{{Vertex: dShared, Level: 1, Short: []byte("deprecated")}},
				}},
			},
			want: []sent{
				{"api", client.SolveStatus{
					Vertexes: []*client.Vertex{started},
					Statuses: []*client.VertexStatus{{ID: "transfer", Vertex: dShared, Current: 10, Timestamp: t1}},
					Warnings: []*client.VertexWarning{{Vertex: dShared, Level: 1, Short: []byte("deprecated")}},
				}},
				{"api", client.SolveStatus{Statuses: []*client.VertexStatus{{ID: "transfer", Vertex: dShared, Current: 20, Timestamp: t2}}}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAttribution(plan)
			var got []sent
			for _, r := range tt.reports {
				a.show(r.From, &r.Status, func(target string, part *client.SolveStatus) {
					got = append(got, sent{target, *part})
				})
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("sent (-want +got):\n%s", diff)
			}
		})
	}
}

// TestAttributionSendsCopies: the display prefixes vertex names in place,
// which must not change what the target's own log or another part holds.
func TestAttributionSendsCopies(t *testing.T) {
	a := newAttribution([]string{"api"})
	v := vtx(dShared, "RUN make", &t0, nil)
	a.show("api", &client.SolveStatus{Vertexes: []*client.Vertex{v}}, func(_ string, part *client.SolveStatus) {
		part.Vertexes[0].Name = "[api] " + part.Vertexes[0].Name
	})
	if v.Name != "RUN make" {
		t.Errorf("the reported vertex was renamed to %q", v.Name)
	}
}

// TestAttributionConcurrentStreams feeds the same shared vertices from
// several targets' streams at once, in random interleavings, as BuildKit
// does, and checks the display's view: every vertex under one target from
// its first appearance on, every log chunk once.
func TestAttributionConcurrentStreams(t *testing.T) {
	plan := []string{"t0", "t1", "t2", "t3", "t4", "t5"}
	const vertices, chunks = 8, 40
	digests := make([]digest.Digest, vertices)
	for i := range digests {
		digests[i] = digest.FromString(fmt.Sprint("vertex", i))
	}
	// stream is what one solve reports: every vertex pending, started,
	// its log chunks and completed, in batches, the vertices in an order
	// of the solve's own.
	stream := func(seed uint64) []*client.SolveStatus {
		r := rand.New(rand.NewPCG(seed, 1))
		var out []*client.SolveStatus
		for _, i := range r.Perm(vertices) {
			d, name := digests[i], fmt.Sprint("step ", i)
			start, end := t0.Add(time.Duration(i)*time.Second), t0.Add(time.Duration(i+1)*time.Second)
			out = append(out, &client.SolveStatus{Vertexes: []*client.Vertex{vtx(d, name, nil, nil)}})
			out = append(out, &client.SolveStatus{Vertexes: []*client.Vertex{vtx(d, name, &start, nil)}})
			for c := range chunks {
				at := start.Add(time.Duration(c) * time.Millisecond)
				out = append(out, &client.SolveStatus{Logs: []*client.VertexLog{logLine(d, at, fmt.Sprintf("line %d of %d\n", c, i))}})
			}
			out = append(out, &client.SolveStatus{Vertexes: []*client.Vertex{vtx(d, name, &start, &end)}})
		}
		return out
	}
	for round := range 20 {
		a := newAttribution(plan)
		var mu sync.Mutex
		owner := map[digest.Digest]string{}
		logs := map[string]int{}
		var problems []string
		send := func(target string, part *client.SolveStatus) {
			mu.Lock()
			defer mu.Unlock()
			for _, v := range part.Vertexes {
				if o, ok := owner[v.Digest]; ok && o != target {
					problems = append(problems, fmt.Sprintf("vertex %q shown under %s, then %s", v.Name, o, target))
				}
				owner[v.Digest] = target
			}
			for _, l := range part.Logs {
				if o, ok := owner[l.Vertex]; !ok || o != target {
					problems = append(problems, fmt.Sprintf("log %q under %s before its vertex (owner %q)", l.Data, target, o))
				}
				logs[string(l.Data)]++
			}
		}
		var wg sync.WaitGroup
		for i, name := range plan {
			statuses := stream(uint64(round*len(plan) + i))
			wg.Go(func() {
				for k, st := range statuses {
					a.show(name, st, send)
					if k%7 == 0 {
						runtime.Gosched()
					}
				}
			})
		}
		wg.Wait()
		for _, p := range problems {
			t.Errorf("round %d: %s", round, p)
		}
		if len(logs) != vertices*chunks {
			t.Errorf("round %d: %d distinct log chunks shown, want %d", round, len(logs), vertices*chunks)
		}
		for data, n := range logs {
			if n != 1 {
				t.Errorf("round %d: log %q shown %d times", round, data, n)
			}
		}
		if len(owner) != vertices {
			t.Errorf("round %d: %d vertices shown, want %d", round, len(owner), vertices)
		}
	}
}

// TestLogWindowForgetsOldChunks: past the window, a chunk no newer than
// the newest forgotten one counts as seen (a late stream's replay), and a
// newer one is shown.
func TestLogWindowForgetsOldChunks(t *testing.T) {
	var w logWindow
	for i := range logWindowSize + 10 {
		if !w.add(logLine(dShared, t0.Add(time.Duration(i)), fmt.Sprint(i))) {
			t.Fatalf("chunk %d counted as seen", i)
		}
	}
	if w.add(logLine(dShared, t0, "0")) {
		t.Error("a replayed, forgotten chunk was shown again")
	}
	if !w.add(logLine(dShared, t0.Add(time.Hour), "new")) {
		t.Error("a new chunk counted as seen")
	}
	if len(w.order) != logWindowSize || len(w.seen) != logWindowSize {
		t.Errorf("window holds %d chunks (%d keys), want %d", len(w.order), len(w.seen), logWindowSize)
	}
	w.forget()
	if len(w.order) != 0 || len(w.seen) != 0 {
		t.Errorf("after forget the window holds %d chunks (%d keys)", len(w.order), len(w.seen))
	}
	if w.add(logLine(dShared, t0.Add(time.Hour), "new")) {
		t.Error("after forget, the newest chunk seen counted as new")
	}
	if !w.add(logLine(dShared, t0.Add(2*time.Hour), "newer")) {
		t.Error("after forget, a newer chunk counted as seen")
	}
}

// TestAttributionForgetsCompletedLogs: once a vertex is shown completed,
// its log window is dropped, and a lagging stream's copies of its chunks
// still count as seen.
func TestAttributionForgetsCompletedLogs(t *testing.T) {
	a := newAttribution([]string{"api", "web"})
	var got []sent
	send := func(target string, part *client.SolveStatus) { got = append(got, sent{target, *part}) }
	a.show("api", &client.SolveStatus{
		Vertexes: []*client.Vertex{vtx(dShared, "RUN make", &t0, nil)},
		Logs:     []*client.VertexLog{logLine(dShared, t1, "a\n"), logLine(dShared, t1, "b\n")},
	}, send)
	a.show("api", &client.SolveStatus{Vertexes: []*client.Vertex{vtx(dShared, "RUN make", &t0, &t2)}}, send)
	if w := a.vertices[dShared].logs; len(w.order) != 0 || w.seen != nil {
		t.Errorf("completed vertex keeps %d log chunks", len(w.order))
	}
	a.show("web", &client.SolveStatus{Logs: []*client.VertexLog{logLine(dShared, t1, "b\n"), logLine(dShared, t1, "a\n")}}, send)
	if len(got) != 2 {
		t.Errorf("sent %d parts, want 2 (the lagging stream's copies dropped):\n%v", len(got), got)
	}
}
