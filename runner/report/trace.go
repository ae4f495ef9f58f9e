package report

import (
	"bytes"
	"encoding/json"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/orch-build/orch/runner"
)

// traceEvent is one event of the Trace Event Format's JSON object form
// (the format chrome://tracing and Perfetto load): "X" complete events
// with a start and a duration in microseconds, "M" metadata events naming
// processes and threads.
type traceEvent struct {
	Name string         `json:"name"`
	Cat  string         `json:"cat,omitempty"`
	Ph   string         `json:"ph"`
	Ts   int64          `json:"ts"`
	Dur  *int64         `json:"dur,omitempty"`
	Pid  int            `json:"pid"`
	Tid  int            `json:"tid"`
	Args map[string]any `json:"args,omitempty"`
}

// tracePid is the one process of the trace: the run.
const tracePid = 1

// WriteTrace writes the run as a Chrome trace-event JSON file: track 0
// holds the run, then each target in plan order has a track of its own
// (a thread named after it) with its Spans as complete events, nested
// target ⊃ queued, attempt, backoff ⊃ solve, export, push ⊃ steps. Steps
// that ran in parallel cannot nest on one track, so those that overlap
// an earlier one go to extra tracks right below the target's, named
// "TARGET (parallel steps N)". Times are microseconds from the run's
// start. Like WriteHTML it reads what the JSON report holds, so the trace
// of a run and the trace of its --report file are the same.
func WriteTrace(w io.Writer, rep *runner.Report) error {
	rep, err := fromJSON(rep)
	if err != nil {
		return err
	}
	// The file is made in memory and written at once: its size is that
	// of the report, and one write has one error to return.
	var buf bytes.Buffer
	t := &traceWriter{w: &buf, origin: rep.Started}
	io.WriteString(t.w, `{"displayTimeUnit":"ms","otherData":{"tool":"orch","status":`)
	t.json(rep.Status())
	io.WriteString(t.w, `,"started":`)
	t.json(rep.Started.UTC().Format(time.RFC3339Nano))
	io.WriteString(t.w, "},\"traceEvents\":[\n")
	t.meta("process_name", 0, map[string]any{"name": "orch build"})
	t.thread(0, "run")
	runDur := t.us(rep.Started.Add(rep.Duration))
	t.event(traceEvent{Name: "orch build", Cat: "run", Ph: "X", Ts: 0, Dur: &runDur, Pid: tracePid, Tid: 0,
		Args: map[string]any{"status": rep.Status(), "targets": len(rep.Outcomes), "jobs": rep.Jobs}})
	next := 1
	for i := range rep.Outcomes {
		o := &rep.Outcomes[i]
		root, ok := Spans(o)
		if !ok {
			continue
		}
		tr := &targetTracks{main: next}
		t.thread(next, o.Name)
		next++
		t.span(root, tr)
		for lane := range tr.laneEnd {
			t.thread(next, o.Name+" (parallel steps "+strconv.Itoa(lane+2)+")")
			for _, e := range tr.lanes[lane] {
				e.Tid = next
				t.event(e)
			}
			next++
		}
	}
	io.WriteString(t.w, "\n]}\n")
	if t.err != nil {
		return t.err
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// traceWriter streams events, one a line.
type traceWriter struct {
	w      *bytes.Buffer
	err    error // the first encoding error
	origin time.Time
	n      int
}

// targetTracks are the overflow lanes of one target's parallel steps.
type targetTracks struct {
	main    int
	lanes   [][]traceEvent
	laneEnd []int64
}

func (t *traceWriter) us(at time.Time) int64 { return at.Sub(t.origin).Microseconds() }

// span writes s and what it holds on the target's main track; steps that
// overlap the one before them in their phase go to an overflow lane.
func (t *traceWriter) span(s Span, tr *targetTracks) {
	t.event(t.complete(s, tr.main))
	var mainEnd int64 = -1
	for _, c := range s.Children {
		if c.Kind != SpanStep {
			t.span(c, tr)
			continue
		}
		e := t.complete(c, tr.main)
		if e.Ts >= mainEnd {
			t.event(e)
			mainEnd = e.Ts + *e.Dur
			continue
		}
		lane := slices.IndexFunc(tr.laneEnd, func(end int64) bool { return end <= e.Ts })
		if lane < 0 {
			lane = len(tr.laneEnd)
			tr.laneEnd, tr.lanes = append(tr.laneEnd, 0), append(tr.lanes, nil)
		}
		tr.lanes[lane] = append(tr.lanes[lane], e)
		tr.laneEnd[lane] = e.Ts + *e.Dur
	}
}

// complete is s as an X event. Start and end are rounded to microseconds
// each, so that what nests in time nests in the file.
func (t *traceWriter) complete(s Span, tid int) traceEvent {
	ts, end := t.us(s.Start), t.us(s.End)
	dur := end - ts
	args := map[string]any{}
	for _, a := range s.Attrs {
		args[a.Key] = a.Value
	}
	if s.Attempt > 0 {
		args["attempt"] = s.Attempt
	}
	return traceEvent{Name: s.Name, Cat: string(s.Kind), Ph: "X", Ts: ts, Dur: &dur, Pid: tracePid, Tid: tid, Args: args}
}

func (t *traceWriter) thread(tid int, name string) {
	t.meta("thread_name", tid, map[string]any{"name": name})
	t.meta("thread_sort_index", tid, map[string]any{"sort_index": tid})
}

func (t *traceWriter) meta(name string, tid int, args map[string]any) {
	t.event(traceEvent{Name: name, Ph: "M", Pid: tracePid, Tid: tid, Args: args})
}

func (t *traceWriter) event(e traceEvent) {
	if t.n > 0 {
		io.WriteString(t.w, ",\n")
	}
	t.n++
	t.json(e)
}

func (t *traceWriter) json(v any) {
	b, err := json.Marshal(v)
	if err != nil && t.err == nil {
		t.err = err
	}
	t.w.Write(b)
}
