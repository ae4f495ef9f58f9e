// Package report renders views of a finished run from its *runner.Report:
// a self-contained HTML page (WriteHTML) and a Chrome trace-event file
// (WriteTrace) for Perfetto and chrome://tracing. Both read only what the
// JSON run report holds, so a report read back with runner.ReadReport
// gives the same pages as the live one. Spans is the one timeline both
// views and the OpenTelemetry export (runner/telemetry) are made of.
//
// It neither runs builds nor reads any file: the caller hands it a report
// and a writer.
package report

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/orch-build/orch/runner"
)

// SpanKind says what a Span stands for.
type SpanKind string

// The kinds of span, from the outside in: a target holds its queueing,
// attempts and backoffs; an attempt holds its phases; a phase holds the
// build steps that began in it.
const (
	SpanTarget  SpanKind = "target"
	SpanQueued  SpanKind = "queued"
	SpanAttempt SpanKind = "attempt"
	SpanBackoff SpanKind = "backoff"
	SpanPhase   SpanKind = "phase"
	SpanStep    SpanKind = "step"
)

// Span is one interval of a target's timeline. Children lie within it and
// are ordered by start.
type Span struct {
	Kind       SpanKind
	Name       string
	Start, End time.Time
	// Attrs describe the span, in a fixed order (status, error, ...).
	Attrs    []Attr
	Children []Span
	// Attempt is the attempt number of an attempt span and of what it
	// holds, 0 outside attempts.
	Attempt int
}

// Attr is one key and value of a Span.
type Attr struct{ Key, Value string }

// Spans returns the timeline of one target as a tree rooted at its
// target span, from the moment it was ready to the moment it finished:
// waiting for a slot, each attempt with its solve, export and push
// phases and the builder's steps inside them, and the backoffs between
// attempts. A target with no recorded times (a report of an older orch)
// gives nothing.
//
// The builder's step times come from its own clock; a step is clipped to
// the phase it began in, so that the tree nests even when the builder's
// clock is a little off orch's.
func Spans(o *runner.Outcome) (Span, bool) {
	start, end := o.Ready, o.Finished
	if start.IsZero() {
		start = o.Started
	}
	if end.IsZero() && !o.Started.IsZero() {
		end = o.Started.Add(o.Duration)
	}
	if start.IsZero() || end.IsZero() {
		return Span{}, false
	}
	// The report rounds durations to the millisecond: an attempt may end
	// a fraction after the target finished, and the target holds it.
	for _, a := range o.Attempts {
		end = later(end, a.Started.Add(a.Duration))
	}
	root := Span{Kind: SpanTarget, Name: o.Name, Start: start, End: later(start, end), Attrs: targetAttrs(o)}
	for k := range o.Attempts {
		a := &o.Attempts[k]
		if !a.Queued.IsZero() && a.Started.After(a.Queued) {
			root.Children = append(root.Children, clip(Span{Kind: SpanQueued, Name: "queued", Start: a.Queued, End: a.Started, Attempt: a.Number}, root))
		}
		root.Children = append(root.Children, clip(attemptSpan(a), root))
		if a.RetryAfter > 0 {
			aEnd := a.Started.Add(a.Duration)
			bEnd := aEnd.Add(a.RetryAfter)
			if k+1 < len(o.Attempts) && !o.Attempts[k+1].Queued.IsZero() {
				bEnd = o.Attempts[k+1].Queued
			}
			root.Children = append(root.Children, clip(Span{Kind: SpanBackoff, Name: "retry backoff", Start: aEnd, End: bEnd, Attempt: a.Number}, root))
		}
	}
	return root, true
}

// attemptSpan is one attempt with its phases and steps.
func attemptSpan(a *runner.Attempt) Span {
	s := Span{
		Kind: SpanAttempt, Name: "attempt " + strconv.Itoa(a.Number),
		Start: a.Started, End: a.Started.Add(a.Duration), Attempt: a.Number,
	}
	if a.Err != nil {
		s.Attrs = append(s.Attrs, Attr{"error", a.Err.Error()}, Attr{"transient", strconv.FormatBool(a.Transient)})
	}
	// The phases: solve from the start, then each mark until the next.
	marks := append([]runner.PhaseMark{{Phase: runner.PhaseSolve, Started: a.Started}}, a.Phases...)
	for i, m := range marks {
		p := Span{Kind: SpanPhase, Name: string(m.Phase), Start: m.Started, End: s.End, Attempt: a.Number}
		if i+1 < len(marks) {
			p.End = marks[i+1].Started
		}
		p = clip(p, s)
		s.Children = append(s.Children, p)
	}
	for _, st := range a.Steps {
		// A step belongs to the last phase that began at or before it.
		k := 0
		for i := range s.Children {
			if !st.Started.Before(s.Children[i].Start) {
				k = i
			}
		}
		p := &s.Children[k]
		end := st.Completed
		if end.IsZero() {
			end = p.End
		}
		step := Span{Kind: SpanStep, Name: st.Name, Start: st.Started, End: later(st.Started, end), Attempt: a.Number}
		step.Attrs = append(step.Attrs, Attr{"cached", strconv.FormatBool(st.Cached)})
		if st.Completed.IsZero() {
			step.Attrs = append(step.Attrs, Attr{"completed", "false"})
		}
		if st.Error != "" {
			step.Attrs = append(step.Attrs, Attr{"error", st.Error})
		}
		p.Children = append(p.Children, clip(step, *p))
	}
	for i := range s.Children {
		slices.SortStableFunc(s.Children[i].Children, func(x, y Span) int { return x.Start.Compare(y.Start) })
	}
	return s
}

// targetAttrs describe a target's verdict.
func targetAttrs(o *runner.Outcome) []Attr {
	attrs := []Attr{{"status", string(o.Status)}}
	if o.Reason != "" {
		attrs = append(attrs, Attr{"reason", o.Reason})
	}
	if o.BlockedBy != "" {
		attrs = append(attrs, Attr{"blocked_by", o.BlockedBy})
	}
	attrs = append(attrs, Attr{"attempts", strconv.Itoa(len(o.Attempts))})
	if res := o.Result; res != nil {
		if res.Total > 0 {
			attrs = append(attrs, Attr{"steps", fmt.Sprintf("%d/%d cached", res.Cached, res.Total)})
		}
		if res.Digest != "" {
			attrs = append(attrs, Attr{"digest", res.Digest})
		}
	}
	if o.Status == runner.StatusFailed && o.Err != nil {
		attrs = append(attrs, Attr{"error", o.Err.Error()})
		if step := o.StepError(); step != nil && step.Location() != "" {
			attrs = append(attrs, Attr{"location", step.Location()})
		}
	}
	return attrs
}

// clip keeps s, and what it holds, within parent, never ending before it
// starts.
func clip(s, parent Span) Span {
	if s.Start.Before(parent.Start) {
		s.Start = parent.Start
	}
	if s.Start.After(parent.End) {
		s.Start = parent.End
	}
	if s.End.After(parent.End) {
		s.End = parent.End
	}
	s.End = later(s.Start, s.End)
	for i := range s.Children {
		s.Children[i] = clip(s.Children[i], s)
	}
	return s
}

func later(a, b time.Time) time.Time {
	if b.Before(a) {
		return a
	}
	return b
}
