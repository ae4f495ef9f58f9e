package runner

import (
	"encoding/json"
	"io"
	"math"
	"time"
)

// ReportVersion is the version of the JSON run report's format. It changes
// only when a field is removed or changes meaning; new fields may appear
// without a change. schema/report.schema.json describes the format and a
// test keeps the two in sync.
const ReportVersion = 1

// The JSON run report's shape. These types are the format: the schema sync
// test walks them, so a field added here without the schema (or the other
// way round) fails the tests.
type (
	reportJSON struct {
		Version         int          `json:"version"`
		Status          string       `json:"status"`
		Started         time.Time    `json:"started"`
		DurationSeconds float64      `json:"duration_seconds"`
		Jobs            int          `json:"jobs"`
		KeepGoing       bool         `json:"keep_going"`
		Retries         int          `json:"retries"`
		Counts          countsJSON   `json:"counts"`
		Targets         []targetJSON `json:"targets"`
		Warnings        []string     `json:"warnings,omitempty"`
	}
	countsJSON struct {
		Built     int `json:"built"`
		Cached    int `json:"cached"`
		UpToDate  int `json:"up_to_date"`
		Failed    int `json:"failed"`
		Skipped   int `json:"skipped"`
		Cancelled int `json:"cancelled"`
	}
	targetJSON struct {
		Name            string        `json:"name"`
		Status          Status        `json:"status"`
		Reason          string        `json:"reason,omitempty"`
		BlockedBy       string        `json:"blocked_by,omitempty"`
		Exported        bool          `json:"exported"`
		Dependencies    []string      `json:"dependencies"`
		Links           []string      `json:"links,omitempty"`
		Ready           *time.Time    `json:"ready,omitempty"`
		Finished        *time.Time    `json:"finished,omitempty"`
		Started         *time.Time    `json:"started,omitempty"`
		DurationSeconds float64       `json:"duration_seconds"`
		Steps           *stepsJSON    `json:"steps,omitempty"`
		Digest          string        `json:"digest,omitempty"`
		Destinations    []string      `json:"destinations"`
		Attempts        []attemptJSON `json:"attempts"`
		Placement       []placeJSON   `json:"placement,omitempty"`
		Error           *errorJSON    `json:"error,omitempty"`
		LogFile         string        `json:"log_file,omitempty"`
	}
	stepsJSON struct {
		Cached int `json:"cached"`
		Total  int `json:"total"`
	}
	attemptJSON struct {
		Number            int             `json:"number"`
		Queued            *time.Time      `json:"queued,omitempty"`
		Started           time.Time       `json:"started"`
		DurationSeconds   float64         `json:"duration_seconds"`
		Phases            []phaseJSON     `json:"phases,omitempty"`
		Steps             []buildStepJSON `json:"steps,omitempty"`
		Error             string          `json:"error,omitempty"`
		Transient         bool            `json:"transient"`
		RetryAfterSeconds float64         `json:"retry_after_seconds,omitempty"`
		Node              string          `json:"node,omitempty"`
		Placement         []placeJSON     `json:"placement,omitempty"`
	}
	placeJSON struct {
		Platform string `json:"platform"`
		Node     string `json:"node"`
	}
	phaseJSON struct {
		Phase   Phase     `json:"phase"`
		Started time.Time `json:"started"`
	}
	buildStepJSON struct {
		Name      string     `json:"name"`
		Started   time.Time  `json:"started"`
		Completed *time.Time `json:"completed,omitempty"`
		Cached    bool       `json:"cached"`
		Error     string     `json:"error,omitempty"`
	}
	errorJSON struct {
		Message string   `json:"message"`
		Step    string   `json:"step,omitempty"`
		File    string   `json:"file,omitempty"`
		Line    int      `json:"line,omitempty"`
		LogTail []string `json:"log_tail,omitempty"`
	}
)

// WriteJSON writes the versioned JSON run report (see ReportVersion):
// every target in plan order with its status, timings, every attempt, and
// for a failure the error, the failing step and its last output lines.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r.toJSON())
}

func (r *Report) toJSON() reportJSON {
	out := reportJSON{
		Version:         ReportVersion,
		Status:          r.Status(),
		Started:         r.Started.UTC(),
		DurationSeconds: seconds(r.Duration),
		Jobs:            r.Jobs,
		KeepGoing:       r.KeepGoing,
		Retries:         r.Retries,
		Counts: countsJSON{
			Built:     r.Count(StatusBuilt),
			Cached:    r.Count(StatusCached),
			UpToDate:  r.Count(StatusUpToDate),
			Failed:    r.Count(StatusFailed),
			Skipped:   r.Count(StatusSkipped),
			Cancelled: r.Count(StatusCancelled),
		},
		Targets:  make([]targetJSON, len(r.Outcomes)),
		Warnings: r.Warnings,
	}
	for i := range r.Outcomes {
		out.Targets[i] = targetToJSON(&r.Outcomes[i])
	}
	return out
}

func targetToJSON(o *Outcome) targetJSON {
	t := targetJSON{
		Name:            o.Name,
		Status:          o.Status,
		Reason:          o.Reason,
		BlockedBy:       o.BlockedBy,
		Exported:        o.Exported,
		Dependencies:    nonNil(o.Dependencies),
		Links:           o.Links,
		Ready:           optionalTime(o.Ready),
		Finished:        optionalTime(o.Finished),
		Started:         optionalTime(o.Started),
		DurationSeconds: seconds(o.Duration),
		Destinations:    []string{},
		Attempts:        make([]attemptJSON, len(o.Attempts)),
		LogFile:         o.LogFile,
	}
	if res := o.Result; res != nil {
		if res.Total > 0 {
			t.Steps = &stepsJSON{Cached: res.Cached, Total: res.Total}
		}
		t.Digest = res.Digest
		t.Destinations = nonNil(res.Destinations)
	}
	for k, a := range o.Attempts {
		t.Attempts[k] = attemptJSON{
			Number:            a.Number,
			Queued:            optionalTime(a.Queued),
			Started:           a.Started.UTC(),
			Phases:            phasesToJSON(a.Phases),
			Steps:             stepsToJSON(a.Steps),
			DurationSeconds:   seconds(a.Duration),
			Transient:         a.Transient,
			RetryAfterSeconds: seconds(a.RetryAfter),
			Node:              a.Node,
			Placement:         placementJSON(a.Placement),
		}
		if a.Err != nil {
			t.Attempts[k].Error = a.Err.Error()
		}
	}
	if n := len(o.Attempts); n > 0 && o.Status.Succeeded() {
		// Where the result was built: the last attempt, the one that
		// succeeded.
		t.Placement = placementJSON(o.Attempts[n-1].Placement)
	}
	if o.Status == StatusFailed && o.Err != nil {
		t.Error = &errorJSON{Message: o.Err.Error(), LogTail: o.LogTail}
		if step := o.StepError(); step != nil {
			t.Error.Step, t.Error.File, t.Error.Line = step.Step, step.File, step.Line
			if len(step.LogTail) > 0 {
				t.Error.LogTail = step.LogTail
			}
		}
	}
	return t
}

func phasesToJSON(marks []PhaseMark) []phaseJSON {
	var out []phaseJSON
	for _, m := range marks {
		out = append(out, phaseJSON{Phase: m.Phase, Started: m.Started.UTC()})
	}
	return out
}

func stepsToJSON(steps []Step) []buildStepJSON {
	var out []buildStepJSON
	for _, s := range steps {
		out = append(out, buildStepJSON{Name: s.Name, Started: s.Started.UTC(), Completed: optionalTime(s.Completed), Cached: s.Cached, Error: s.Error})
	}
	return out
}

// optionalTime is nil for the zero time, so that it is left out.
func optionalTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// seconds renders d in seconds with millisecond precision.
func seconds(d time.Duration) float64 {
	return math.Round(d.Seconds()*1000) / 1000
}

// nonNil makes empty lists print as [] rather than null.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// placementJSON renders where each platform was built.
func placementJSON(ps []Placement) []placeJSON {
	if len(ps) == 0 {
		return nil
	}
	out := make([]placeJSON, len(ps))
	for i, p := range ps {
		out[i] = placeJSON{Platform: p.Platform, Node: p.Node}
	}
	return out
}
