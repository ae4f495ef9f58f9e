package runner

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"time"
)

// ReadReport reads a JSON run report that WriteJSON wrote back into a
// Report, so that views of a run (the HTML report, the trace file) can be
// made later from the JSON alone, as CI keeps it. What the JSON does not
// hold is absent: errors come back as their text (a failed step as a
// *StepError with its step, location and output lines, but no underlying
// error), results without Handle, Release or Metadata, and durations
// rounded to the millisecond as the file has them.
func ReadReport(r io.Reader) (*Report, error) {
	var doc reportJSON
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("read run report: %w", err)
	}
	if doc.Version != ReportVersion {
		return nil, fmt.Errorf("read run report: version %d, this orch reads version %d", doc.Version, ReportVersion)
	}
	rep := &Report{
		Started:     doc.Started,
		Duration:    fromSeconds(doc.DurationSeconds),
		Jobs:        doc.Jobs,
		KeepGoing:   doc.KeepGoing,
		Retries:     doc.Retries,
		Interrupted: doc.Status == "interrupted",
		Outcomes:    make([]Outcome, len(doc.Targets)),
		Warnings:    doc.Warnings,
	}
	for i := range doc.Targets {
		rep.Outcomes[i] = targetFromJSON(i, &doc.Targets[i])
	}
	return rep, nil
}

func targetFromJSON(i int, t *targetJSON) Outcome {
	o := Outcome{
		Index:        i,
		Name:         t.Name,
		Exported:     t.Exported,
		Dependencies: t.Dependencies,
		Links:        t.Links,
		Status:       t.Status,
		Reason:       t.Reason,
		BlockedBy:    t.BlockedBy,
		Ready:        fromOptionalTime(t.Ready),
		Finished:     fromOptionalTime(t.Finished),
		Started:      fromOptionalTime(t.Started),
		Duration:     fromSeconds(t.DurationSeconds),
		LogFile:      t.LogFile,
	}
	if len(o.Dependencies) == 0 {
		o.Dependencies = nil
	}
	if o.Status.Succeeded() {
		o.Result = &Result{Digest: t.Digest, Destinations: t.Destinations}
		if t.Steps != nil {
			o.Result.Cached, o.Result.Total = t.Steps.Cached, t.Steps.Total
		}
		if len(o.Result.Destinations) == 0 {
			o.Result.Destinations = nil
		}
	}
	for _, a := range t.Attempts {
		att := Attempt{
			Number:     a.Number,
			Queued:     fromOptionalTime(a.Queued),
			Started:    a.Started,
			Duration:   fromSeconds(a.DurationSeconds),
			Transient:  a.Transient,
			RetryAfter: fromSeconds(a.RetryAfterSeconds),
			Node:       a.Node,
		}
		for _, p := range a.Placement {
			att.Placement = append(att.Placement, Placement{Platform: p.Platform, Node: p.Node})
		}
		if a.Error != "" {
			att.Err = errors.New(a.Error)
		}
		for _, p := range a.Phases {
			att.Phases = append(att.Phases, PhaseMark{Phase: p.Phase, Started: p.Started})
		}
		for _, s := range a.Steps {
			att.Steps = append(att.Steps, Step{Name: s.Name, Started: s.Started, Completed: fromOptionalTime(s.Completed), Cached: s.Cached, Error: s.Error})
		}
		o.Attempts = append(o.Attempts, att)
	}
	if e := t.Error; e != nil {
		rec := &recordedError{msg: e.Message}
		if e.Step != "" || e.File != "" || e.Line > 0 {
			rec.step = &StepError{Step: e.Step, File: e.File, Line: e.Line, LogTail: e.LogTail}
		} else {
			o.LogTail = e.LogTail
		}
		o.Err = rec
	}
	return o
}

// recordedError is an error read back from a report: its text, and the
// failed step it named, if any.
type recordedError struct {
	msg  string
	step *StepError
}

func (e *recordedError) Error() string { return e.msg }

func (e *recordedError) Unwrap() error {
	if e.step == nil {
		return nil
	}
	return e.step
}

func fromSeconds(s float64) time.Duration {
	return time.Duration(math.Round(s * float64(time.Second)))
}

func fromOptionalTime(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}
