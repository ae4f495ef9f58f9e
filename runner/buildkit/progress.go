package buildkit

import (
	"context"
	"errors"
	"strings"
	"sync"

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
	ch := make(chan *client.SolveStatus)
	p.forwarders.Add(1)
	go func() {
		defer p.forwarders.Done()
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
	return ch
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

// display forwards a copy of st to the run-wide display under the target's
// prefix. The copy matters: the prefixing rewrites vertex names.
func (s *Solver) display(name string, st *client.SolveStatus) {
	if s.multi == nil {
		return
	}
	s.closeMu.RLock()
	defer s.closeMu.RUnlock()
	if s.closed {
		return
	}
	c := &client.SolveStatus{Statuses: st.Statuses, Logs: st.Logs, Warnings: st.Warnings}
	for _, v := range st.Vertexes {
		vc := *v
		c.Vertexes = append(c.Vertexes, &vc)
	}
	s.prefixed[name].Status() <- c
}
