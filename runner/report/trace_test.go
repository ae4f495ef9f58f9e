package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/orch-build/orch/runner"
)

// decodedEvent is a trace event as a viewer reads it; numbers stay
// json.Number so that a fraction or a string is noticed.
type decodedEvent struct {
	Name string         `json:"name"`
	Cat  string         `json:"cat"`
	Ph   string         `json:"ph"`
	Ts   *json.Number   `json:"ts"`
	Dur  *json.Number   `json:"dur"`
	Pid  *json.Number   `json:"pid"`
	Tid  *json.Number   `json:"tid"`
	Args map[string]any `json:"args"`
}

type decodedTrace struct {
	Events  []decodedEvent
	Threads map[int64]string // tid → thread_name
	Spans   map[int64][]decodedEvent
}

// checkTraceFormat checks raw against the Trace Event Format as the
// viewers import it (the JSON object form): an object with a traceEvents
// array; every event has a known phase, a name, integer pid and tid; a
// complete event ("X") has a non-negative ts and dur; metadata events
// ("M") are the documented names with their argument; every thread with
// events is named; and on one thread complete events nest: an event that
// starts inside another ends inside it (Perfetto's JSON importer drops
// the rest as misnested slices). It returns every problem found.
func checkTraceFormat(raw []byte) (*decodedTrace, []string) {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	var doc map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return nil, []string{"not a JSON object: " + err.Error()}
	}
	if unit, ok := doc["displayTimeUnit"]; ok && string(unit) != `"ms"` && string(unit) != `"ns"` {
		bad("displayTimeUnit %s: want \"ms\" or \"ns\"", unit)
	}
	var events []decodedEvent
	d2 := json.NewDecoder(bytes.NewReader(doc["traceEvents"]))
	d2.UseNumber()
	d2.DisallowUnknownFields()
	if err := d2.Decode(&events); err != nil {
		return nil, append(problems, "traceEvents: "+err.Error())
	}
	tr := &decodedTrace{Events: events, Threads: map[int64]string{}, Spans: map[int64][]decodedEvent{}}
	integer := func(i int, field string, n *json.Number, min int64) int64 {
		if n == nil {
			bad("event %d (%s): no %s", i, events[i].Name, field)
			return 0
		}
		v, err := n.Int64()
		if err != nil || v < min {
			bad("event %d (%s): %s %s is not an integer of at least %d", i, events[i].Name, field, n, min)
		}
		return v
	}
	for i, e := range events {
		if e.Name == "" {
			bad("event %d: no name", i)
		}
		if integer(i, "pid", e.Pid, 0); e.Tid == nil {
			bad("event %d (%s): no tid", i, e.Name)
			continue
		}
		tid := integer(i, "tid", e.Tid, 0)
		switch e.Ph {
		case "X":
			integer(i, "ts", e.Ts, 0)
			integer(i, "dur", e.Dur, 0)
			tr.Spans[tid] = append(tr.Spans[tid], e)
		case "M":
			key := map[string]string{"process_name": "name", "thread_name": "name", "process_sort_index": "sort_index", "thread_sort_index": "sort_index"}[e.Name]
			if key == "" {
				bad("event %d: unknown metadata event %q", i, e.Name)
			} else if _, ok := e.Args[key]; !ok {
				bad("event %d (%s): no args.%s", i, e.Name, key)
			}
			if e.Name == "thread_name" {
				name, _ := e.Args["name"].(string)
				tr.Threads[tid] = name
			}
		default:
			bad("event %d (%s): phase %q is not one this file should have", i, e.Name, e.Ph)
		}
	}
	tids := make([]int64, 0, len(tr.Spans))
	for tid := range tr.Spans {
		tids = append(tids, tid)
	}
	slices.Sort(tids)
	for _, tid := range tids {
		if tr.Threads[tid] == "" {
			bad("thread %d has events but no thread_name", tid)
		}
		spans := slices.Clone(tr.Spans[tid])
		// By start, the longer first: a parent before its children.
		sort.SliceStable(spans, func(a, b int) bool {
			ta, tb := num(spans[a].Ts), num(spans[b].Ts)
			return ta < tb || ta == tb && num(spans[a].Dur) > num(spans[b].Dur)
		})
		var stack []decodedEvent
		for _, e := range spans {
			for len(stack) > 0 && end(stack[len(stack)-1]) <= num(e.Ts) {
				stack = stack[:len(stack)-1]
			}
			if n := len(stack); n > 0 && end(e) > end(stack[n-1]) {
				bad("thread %d (%s): %q [%d, %d] starts inside %q [%d, %d] and ends after it",
					tid, tr.Threads[tid], e.Name, num(e.Ts), end(e), stack[n-1].Name, num(stack[n-1].Ts), end(stack[n-1]))
			}
			stack = append(stack, e)
		}
	}
	return tr, problems
}

func num(n *json.Number) int64 {
	if n == nil {
		return 0
	}
	v, _ := n.Int64()
	return v
}

func end(e decodedEvent) int64 { return num(e.Ts) + num(e.Dur) }

// TestTraceCheckerRejects proves the checker can fail.
func TestTraceCheckerRejects(t *testing.T) {
	named := `{"name":"thread_name","ph":"M","pid":1,"tid":1,"args":{"name":"a"}}`
	for _, tc := range []struct{ name, events, want string }{
		{"misnested", named + `,{"name":"p","ph":"X","ts":0,"dur":10,"pid":1,"tid":1},{"name":"c","ph":"X","ts":5,"dur":10,"pid":1,"tid":1}`,
			`thread 1 (a): "c" [5, 15] starts inside "p" [0, 10] and ends after it`},
		{"negative", named + `,{"name":"p","ph":"X","ts":-1,"dur":10,"pid":1,"tid":1}`, "event 1 (p): ts -1 is not an integer of at least 0"},
		{"no dur", named + `,{"name":"p","ph":"X","ts":0,"pid":1,"tid":1}`, "event 1 (p): no dur"},
		{"unnamed thread", `{"name":"p","ph":"X","ts":0,"dur":1,"pid":1,"tid":2}`, "thread 2 has events but no thread_name"},
		{"odd phase", named + `,{"name":"p","ph":"Q","ts":0,"pid":1,"tid":1}`, `event 1 (p): phase "Q" is not one this file should have`},
		{"fraction", named + `,{"name":"p","ph":"X","ts":0.5,"dur":1,"pid":1,"tid":1}`, "event 1 (p): ts 0.5 is not an integer of at least 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, problems := checkTraceFormat([]byte(`{"traceEvents":[` + tc.events + `]}`))
			if diff := cmp.Diff([]string{tc.want}, problems); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

// TestTrace: the trace of a run with a link, a retry, a failure, skipped
// dependents and parallel steps is well formed, has a track per target,
// and its spans are the report's times.
func TestTrace(t *testing.T) {
	rep := fixtureReport(t)
	var buf bytes.Buffer
	if err := WriteTrace(&buf, rep); err != nil {
		t.Fatal(err)
	}
	// The trace tells what the JSON report holds.
	back, err := fromJSON(rep)
	if err != nil {
		t.Fatal(err)
	}
	checkTrace(t, buf.Bytes(), back)
	tr, _ := checkTraceFormat(buf.Bytes())
	// app's second stage overlapped its first: it is on a track of its own.
	var lanes []string
	for _, name := range tr.Threads {
		if strings.Contains(name, "parallel") {
			lanes = append(lanes, name)
		}
	}
	if diff := cmp.Diff([]string{"app (parallel steps 2)"}, lanes); diff != "" {
		t.Errorf("overflow tracks (-want +got):\n%s", diff)
	}
}

// checkTrace checks raw's format and that it tells rep's timeline: every
// target has a track whose target span runs from ready to finished, and
// each attempt span starts and lasts as in the report, with the phases and
// steps inside it.
func checkTrace(t *testing.T, raw []byte, rep *runner.Report) {
	t.Helper()
	tr, problems := checkTraceFormat(raw)
	for _, p := range problems {
		t.Error(p)
	}
	if tr == nil {
		return
	}
	byName := map[string]int64{}
	for tid, name := range tr.Threads {
		byName[name] = tid
	}
	for i := range rep.Outcomes {
		o := &rep.Outcomes[i]
		tid, ok := byName[o.Name]
		if !ok {
			t.Errorf("%s: no track", o.Name)
			continue
		}
		find := func(cat, name string) *decodedEvent {
			for _, e := range tr.Spans[tid] {
				if e.Cat == cat && e.Name == name {
					return &e
				}
			}
			return nil
		}
		target := find("target", o.Name)
		if target == nil {
			t.Errorf("%s: no target span", o.Name)
			continue
		}
		wantTs, wantEnd := o.Ready.Sub(rep.Started).Microseconds(), o.Finished.Sub(rep.Started).Microseconds()
		// The last attempt may end up to half a millisecond later: the
		// report rounds its duration.
		if num(target.Ts) != wantTs || end(*target) < wantEnd || end(*target) > wantEnd+500 {
			t.Errorf("%s: target span [%d, %d] µs, report says ready %d, finished %d", o.Name, num(target.Ts), end(*target), wantTs, wantEnd)
		}
		if target.Args["status"] != string(o.Status) {
			t.Errorf("%s: status %v, want %s", o.Name, target.Args["status"], o.Status)
		}
		for _, a := range o.Attempts {
			e := find("attempt", fmt.Sprintf("attempt %d", a.Number))
			if e == nil {
				t.Errorf("%s: no span for attempt %d", o.Name, a.Number)
				continue
			}
			ts, dur := a.Started.Sub(rep.Started).Microseconds(), a.Started.Add(a.Duration).Sub(rep.Started).Microseconds()-a.Started.Sub(rep.Started).Microseconds()
			if num(e.Ts) != ts || num(e.Dur) != dur {
				t.Errorf("%s: attempt %d at %d for %d µs, report says %d for %d", o.Name, a.Number, num(e.Ts), num(e.Dur), ts, dur)
			}
			if len(a.Phases) > 0 && find("phase", string(a.Phases[len(a.Phases)-1].Phase)) == nil {
				t.Errorf("%s: attempt %d: no span for phase %s", o.Name, a.Number, a.Phases[len(a.Phases)-1].Phase)
			}
			for _, s := range a.Steps {
				found := false
				for lane := tid; tr.Threads[lane] == o.Name || strings.HasPrefix(tr.Threads[lane], o.Name+" (parallel"); lane++ {
					for _, e := range tr.Spans[lane] {
						found = found || e.Cat == "step" && e.Name == s.Name
					}
				}
				if !found {
					t.Errorf("%s: attempt %d: step %q is on no track of the target", o.Name, a.Number, s.Name)
				}
			}
			if a.Queued.Before(a.Started) && find("queued", "queued") == nil {
				t.Errorf("%s: attempt %d waited for a slot; no queued span", o.Name, a.Number)
			}
			if a.RetryAfter > 0 && find("backoff", "retry backoff") == nil {
				t.Errorf("%s: attempt %d was retried; no backoff span", o.Name, a.Number)
			}
		}
	}
}
