package buildkit

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/solver/errdefs"
	"github.com/moby/buildkit/util/progress/progressui"
	"github.com/opencontainers/go-digest"

	"github.com/orch-build/orch/runner"
)

// logTailLines is how many output lines of a failed step the summary shows.
const logTailLines = 12

// progress follows the status streams of one node's builds. It writes a
// plain log into the job's Log, forwards copies to the run-wide display,
// counts cached and total steps, and keeps each step's last output lines
// so a failure can be reported with them.
type progress struct {
	solver *Solver
	name   string

	mu       sync.Mutex
	closed   bool
	vertices map[digest.Digest]*client.Vertex
	order    []digest.Digest
	tails    map[digest.Digest][]string
	partial  map[digest.Digest]string
	// warnings are the build's warnings (Dockerfile lint rules and the
	// like), each once, in the order first reported.
	warnings []*client.VertexWarning
	warned   map[string]bool

	plain      chan *client.SolveStatus
	plainDone  chan struct{}
	forwarders sync.WaitGroup
}

func (s *Solver) newProgress(ctx context.Context, job runner.Job) *progress {
	p := &progress{
		solver:    s,
		name:      job.Node.Name,
		vertices:  map[digest.Digest]*client.Vertex{},
		tails:     map[digest.Digest][]string{},
		partial:   map[digest.Digest]string{},
		warned:    map[string]bool{},
		plain:     make(chan *client.SolveStatus, 16),
		plainDone: make(chan struct{}),
	}
	go func() {
		defer close(p.plainDone)
		d, err := progressui.NewDisplay(job.Log, progressui.PlainMode)
		if err != nil {
			for range p.plain {
			}
			return
		}
		// The display must see every status even after a cancellation,
		// so it does not get ctx.
		_, _ = d.UpdateFrom(context.WithoutCancel(ctx), p.plain)
	}()
	return p
}

// channel returns a status channel for one build; the build closes it.
func (p *progress) channel() chan *client.SolveStatus {
	ch, _ := p.trackedChannel()
	return ch
}

// trackedChannel is channel with a second channel that is closed once
// every status of the build has been recorded.
func (p *progress) trackedChannel() (chan *client.SolveStatus, <-chan struct{}) {
	ch := make(chan *client.SolveStatus)
	done := make(chan struct{})
	p.forwarders.Add(1)
	go func() {
		defer p.forwarders.Done()
		defer close(done)
		for st := range ch {
			p.record(st)
			p.mu.Lock()
			if !p.closed {
				p.plain <- st
			}
			p.mu.Unlock()
			p.solver.display(p.name, st)
		}
	}()
	return ch, done
}

// close ends the node's plain log. Builds that outlive the Solve call (a
// parent held open for its children) keep being drained but no longer
// logged.
func (p *progress) close() {
	p.mu.Lock()
	p.closed = true
	close(p.plain)
	p.mu.Unlock()
	<-p.plainDone
}

// record keeps vertex state and log tails.
func (p *progress) record(st *client.SolveStatus) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, v := range st.Vertexes {
		if _, ok := p.vertices[v.Digest]; !ok {
			p.order = append(p.order, v.Digest)
		}
		c := *v
		p.vertices[v.Digest] = &c
	}
	for _, w := range st.Warnings {
		// The hold and the export build of a node, and every platform,
		// report the same warning again.
		if key := warningKey(w); !p.warned[key] {
			p.warned[key] = true
			p.warnings = append(p.warnings, w)
		}
	}
	for _, l := range st.Logs {
		text := p.partial[l.Vertex] + string(l.Data)
		lines := strings.Split(text, "\n")
		p.partial[l.Vertex] = lines[len(lines)-1]
		tail := append(p.tails[l.Vertex], lines[:len(lines)-1]...)
		if len(tail) > logTailLines {
			tail = tail[len(tail)-logTailLines:]
		}
		p.tails[l.Vertex] = tail
	}
}

// counts returns how many distinct steps completed from cache and in all.
func (p *progress) counts() (cached, total int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, v := range p.vertices {
		if v.Completed == nil || v.Error != "" {
			continue
		}
		total++
		if v.Cached {
			cached++
		}
	}
	return cached, total
}

// warningTexts returns the warnings the node's builds reported, for the
// run's report: each as its one-line text (for a lint rule "RULE: what
// (line N)"), after the file it is about when it has one. BuildKit's
// plain display shows them in the log; without this they would reach
// nothing else.
func (p *progress) warningTexts(req *request) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]string, 0, len(p.warnings))
	for _, w := range p.warnings {
		text := strings.TrimSpace(string(w.Short))
		if file := warningFile(req, w); file != "" {
			text = file + ": " + text
		}
		out = append(out, text)
	}
	return out
}

// steps returns the vertices that started, in the order first reported,
// with the daemon's times, for the run report's timeline.
func (p *progress) steps() []runner.Step {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []runner.Step
	for _, d := range p.order {
		v := p.vertices[d]
		if v.Started == nil {
			continue
		}
		s := runner.Step{Name: v.Name, Started: *v.Started, Cached: v.Cached, Error: v.Error}
		if v.Completed != nil {
			s.Completed = *v.Completed
		}
		out = append(out, s)
	}
	return out
}

// warningFile names the file a warning is about: the Dockerfile for the
// frontend's own (its source is named after the filename attribute), the
// source's name otherwise.
func warningFile(req *request, w *client.VertexWarning) string {
	if w.SourceInfo == nil {
		return ""
	}
	name := w.SourceInfo.Filename
	if name == "" || name == req.attrs["filename"] || name == "Dockerfile" {
		return req.dockerfile
	}
	return name
}

// stepError turns a solve error that names a failing vertex into a
// *runner.StepError with the step, its Dockerfile line and the step's last
// output lines. Other errors are returned unchanged.
func (p *progress) stepError(req *request, err error) error {
	var ve *errdefs.VertexError
	if !errors.As(err, &ve) || ve.Vertex == nil {
		return err
	}
	d := digest.Digest(ve.Digest)
	p.mu.Lock()
	step := ""
	if v := p.vertices[d]; v != nil {
		step = v.Name
	}
	tail := append([]string(nil), p.tails[d]...)
	if rest := strings.TrimSpace(p.partial[d]); rest != "" {
		tail = append(tail, rest)
	}
	p.mu.Unlock()
	se := &runner.StepError{Step: step, LogTail: tail, Err: errors.Unwrap(ve)}
	if se.Err == nil {
		se.Err = err
	}
	if srcs := errdefs.Sources(err); len(srcs) > 0 {
		src := srcs[len(srcs)-1]
		if info := src.GetInfo(); info != nil {
			se.File = info.Filename
		}
		if rs := src.GetRanges(); len(rs) > 0 && rs[0].GetStart() != nil {
			se.Line = int(rs[0].GetStart().GetLine())
		}
	}
	if se.File == "" || se.File == "Dockerfile" {
		se.File = req.dockerfile
	}
	return se
}

// display forwards st, reported by the solve of target name, to the
// run-wide display. The attribution decides which target each vertex is
// shown under (see attribution); routing and sending happen under one lock
// so that a vertex reaches the display before any log line about it.
func (s *Solver) display(name string, st *client.SolveStatus) {
	if s.multi == nil {
		return
	}
	s.closeMu.RLock()
	defer s.closeMu.RUnlock()
	if s.closed {
		return
	}
	s.attribution.show(name, st, func(target string, part *client.SolveStatus) {
		select {
		case s.prefixed[target].Status() <- part:
		case <-s.printer.Done():
			// The display has stopped; nothing would read the status.
		}
	})
}

// logWindowSize bounds how many log chunks of one running vertex
// attribution remembers to drop the copies other targets' streams repeat;
// streams lag behind each other by a few batches, not by hundreds of
// chunks.
const logWindowSize = 256

// attribution chooses the one target each vertex is shown under in the
// run-wide display. Targets share vertices: a `target:` child solves its
// parent's vertices again (BuildKit runs them once and reports them to
// both), and targets with the same context directory or the same steps
// produce the same digests. BuildKit sends a shared vertex's progress and
// logs to every solve that loaded it, each on its own stream, and those
// streams arrive concurrently.
//
// The rule: a vertex stays hidden while it is only pending (not started,
// no output), and its owner is fixed at the moment it is first shown (its
// first status with a start, completion or error time, or its first log,
// progress or warning line): the earliest target in plan order among those
// that have reported the vertex by then. From then on every update about
// the vertex, from any target's stream, is shown under that owner, so its
// name never changes, and the updates, progress lines, logs and warnings
// other streams repeat are dropped.
//
// Which targets have reported a vertex when it starts depends on timing in
// one case only: targets that solve concurrently and load the same vertex
// at different moments. Wherever the sharers load a vertex before it
// starts, and always for a `target:` link (the parent's vertices have
// started before the child's solve begins), the owner is the first sharer
// in plan order. Waiting for every possible sharer instead would hold back
// the whole display, since no target's vertices are known before its
// Dockerfile has been parsed inside BuildKit.
type attribution struct {
	mu       sync.Mutex
	rank     map[string]int
	vertices map[digest.Digest]*sharedVertex
}

// sharedVertex is what attribution knows of one vertex.
type sharedVertex struct {
	// owner is empty while the vertex is hidden; candidate is then the
	// best-ranked target that reported it and held its latest record.
	owner     string
	candidate string
	held      *client.Vertex
	// last is the record last shown, statuses the last progress line per
	// ID, logs the recent log chunks and warnings every warning shown.
	last     *client.Vertex
	statuses map[string]*client.VertexStatus
	logs     logWindow
	warnings map[string]bool
}

// newAttribution ranks targets by their position in the plan, given as
// the names of its nodes in order.
func newAttribution(names []string) *attribution {
	a := &attribution{rank: map[string]int{}, vertices: map[digest.Digest]*sharedVertex{}}
	for i, n := range names {
		a.rank[n] = i
	}
	return a
}

// before reports whether target x comes before y in the plan; unknown
// names come last, in name order.
func (a *attribution) before(x, y string) bool {
	rx, okx := a.rank[x]
	ry, oky := a.rank[y]
	switch {
	case okx && oky:
		return rx < ry
	case okx != oky:
		return okx
	default:
		return x < y
	}
}

// show routes st, reported by target name, and calls send once per target
// that has something to show, in plan order, with a status holding only
// fresh copies of vertices (the display rewrites their names). Calls are
// serialised: send runs under the lock so that what one call routes
// reaches the display before what the next one does.
func (a *attribution) show(name string, st *client.SolveStatus, send func(target string, part *client.SolveStatus)) {
	a.mu.Lock()
	defer a.mu.Unlock()
	parts := map[string]*client.SolveStatus{}
	part := func(target string) *client.SolveStatus {
		p := parts[target]
		if p == nil {
			p = &client.SolveStatus{}
			parts[target] = p
		}
		return p
	}
	// reveal fixes the owner of a hidden vertex that is about to be shown.
	// When a line about the vertex shows it, rather than a record of the
	// vertex itself, the held record goes first, so that the display knows
	// the vertex before its first line.
	reveal := func(d digest.Digest, byRecord bool) (*sharedVertex, string) {
		sv := a.vertex(d, name)
		if sv.owner == "" {
			sv.owner = sv.candidate
			if sv.held != nil && !byRecord {
				part(sv.owner).Vertexes = append(part(sv.owner).Vertexes, sv.held)
				sv.last = sv.held
			}
			sv.held = nil
		}
		return sv, sv.owner
	}

	for _, v := range st.Vertexes {
		sv := a.vertex(v.Digest, name)
		c := *v
		if sv.owner == "" && c.Started == nil && c.Completed == nil && c.Error == "" {
			sv.held = &c
			continue
		}
		sv, owner := reveal(v.Digest, true)
		if sv.last != nil && !newer(&c, sv.last) {
			continue
		}
		sv.last = &c
		if c.Completed != nil {
			// What other streams still send about a completed vertex
			// repeats what was shown: keep only the newest time, so a
			// run of thousands of steps does not keep every window.
			sv.logs.forget()
		}
		part(owner).Vertexes = append(part(owner).Vertexes, &c)
	}
	for _, s := range st.Statuses {
		if s.Vertex == "" {
			part(name).Statuses = append(part(name).Statuses, s)
			continue
		}
		sv, owner := reveal(s.Vertex, false)
		if prev := sv.statuses[s.ID]; prev != nil && !s.Timestamp.After(prev.Timestamp) && (s.Completed == nil || prev.Completed != nil) {
			continue
		}
		if sv.statuses == nil {
			sv.statuses = map[string]*client.VertexStatus{}
		}
		sv.statuses[s.ID] = s
		part(owner).Statuses = append(part(owner).Statuses, s)
	}
	for _, w := range st.Warnings {
		if w.Vertex == "" {
			part(name).Warnings = append(part(name).Warnings, w)
			continue
		}
		sv, owner := reveal(w.Vertex, false)
		key := warningKey(w)
		if sv.warnings[key] {
			continue
		}
		if sv.warnings == nil {
			sv.warnings = map[string]bool{}
		}
		sv.warnings[key] = true
		part(owner).Warnings = append(part(owner).Warnings, w)
	}
	for _, l := range st.Logs {
		if l.Vertex == "" {
			part(name).Logs = append(part(name).Logs, l)
			continue
		}
		sv, owner := reveal(l.Vertex, false)
		if sv.logs.add(l) {
			part(owner).Logs = append(part(owner).Logs, l)
		}
	}

	targets := make([]string, 0, len(parts))
	for t := range parts {
		targets = append(targets, t)
	}
	sort.Slice(targets, func(i, j int) bool { return a.before(targets[i], targets[j]) })
	for _, t := range targets {
		send(t, parts[t])
	}
}

// vertex returns the state of d, noting that target name reported it.
func (a *attribution) vertex(d digest.Digest, name string) *sharedVertex {
	sv := a.vertices[d]
	if sv == nil {
		sv = &sharedVertex{candidate: name}
		a.vertices[d] = sv
	} else if sv.owner == "" && a.before(name, sv.candidate) {
		sv.candidate = name
	}
	return sv
}

// newer reports whether b tells the display something a did not: it is
// further along (pending, started, completed), failed, or, equally far
// along, carries other times (BuildKit reports a vertex again, cached,
// when a solve joins after it completed). Repeats and records that went
// backwards, from a stream that lags behind another, tell nothing.
func newer(b, a *client.Vertex) bool {
	switch sb, sa := stage(b), stage(a); {
	case sb != sa:
		return sb > sa
	case b.Error != a.Error:
		return b.Error != ""
	default:
		return !sameTime(a.Started, b.Started) || !sameTime(a.Completed, b.Completed) || a.Cached != b.Cached
	}
}

// stage orders a vertex record: 0 pending, 1 started, 2 completed.
func stage(v *client.Vertex) int {
	switch {
	case v.Completed != nil:
		return 2
	case v.Started != nil:
		return 1
	default:
		return 0
	}
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

// warningKey identifies a warning across the streams that repeat it.
func warningKey(w *client.VertexWarning) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d\x00%s\x00%s", w.Level, w.Short, w.URL)
	for _, d := range w.Detail {
		b.WriteString("\x00")
		b.Write(d)
	}
	return b.String()
}

// logWindow remembers the most recent log chunks of one vertex. BuildKit
// stamps a chunk once and sends the same chunk, with the same timestamp,
// to every solve sharing the vertex; a solve that joins late receives the
// vertex's earlier chunks again. A chunk is new if it is not among the
// remembered ones and not older than the newest one forgotten.
type logWindow struct {
	seen   map[logKey]struct{}
	order  []logKey // oldest first
	floor  int64    // newest timestamp forgotten, when forgot is set
	forgot bool
}

type logKey struct {
	at     int64
	stream int
	sum    uint64
}

// add records l and reports whether it is new.
func (w *logWindow) add(l *client.VertexLog) bool {
	h := fnv.New64a()
	h.Write(l.Data)
	k := logKey{at: l.Timestamp.UnixNano(), stream: l.Stream, sum: h.Sum64()}
	if _, dup := w.seen[k]; dup || (w.forgot && k.at <= w.floor) {
		return false
	}
	if w.seen == nil {
		w.seen = map[logKey]struct{}{}
	}
	if len(w.order) == logWindowSize {
		old := w.order[0]
		w.order = w.order[1:]
		delete(w.seen, old)
		w.floor, w.forgot = max(w.floor, old.at), true
	}
	w.seen[k] = struct{}{}
	w.order = append(w.order, k)
	return true
}

// forget drops the remembered chunks: from now on only chunks newer than
// the newest one seen are new.
func (w *logWindow) forget() {
	for _, k := range w.order {
		w.floor, w.forgot = max(w.floor, k.at), true
	}
	w.seen, w.order = nil, nil
}
