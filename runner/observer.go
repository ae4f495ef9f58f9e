package runner

import (
	"fmt"
	"io"
	"time"
)

// EventKind says what an Event reports.
type EventKind int

const (
	// NodeStarted: the node's dependencies succeeded and its first attempt
	// got a slot.
	NodeStarted EventKind = iota
	// AttemptStarted: a Solve call begins; Event.Attempt has Number and
	// Started.
	AttemptStarted
	// AttemptFinished: a Solve call returned; Event.Attempt is complete,
	// with RetryAfter set when another attempt follows.
	AttemptFinished
	// NodeFinished: the node has its final status; Event.Outcome is set.
	// Every node gets exactly one, including skipped and cancelled ones.
	NodeFinished
)

// String names the kind for logs.
func (k EventKind) String() string {
	switch k {
	case NodeStarted:
		return "node-started"
	case AttemptStarted:
		return "attempt-started"
	case AttemptFinished:
		return "attempt-finished"
	case NodeFinished:
		return "node-finished"
	default:
		return fmt.Sprintf("EventKind(%d)", int(k))
	}
}

// Event is one step of a run, for progress displays and logs.
type Event struct {
	Kind EventKind
	Time time.Time
	// Index is the node's position in Plan.Nodes; Name is its target.
	Index int
	Name  string
	// Attempt is set for AttemptStarted and AttemptFinished.
	Attempt Attempt
	// Outcome is set for NodeFinished. It must not be modified.
	Outcome *Outcome
}

// Observer receives a run's events. Run calls Observe from one goroutine at
// a time, in the order the events happened, so an implementation needs no
// locking of its own; it should return quickly because solves wait for it.
type Observer interface {
	Observe(Event)
}

// ObserverFunc adapts a function to Observer.
type ObserverFunc func(Event)

// Observe calls f.
func (f ObserverFunc) Observe(e Event) { f(e) }

// Observers combines observers into one that calls each in order; nil
// entries are ignored.
func Observers(obs ...Observer) Observer {
	var list multiObserver
	for _, o := range obs {
		if o != nil {
			list = append(list, o)
		}
	}
	return list
}

type multiObserver []Observer

func (m multiObserver) Observe(e Event) {
	for _, o := range m {
		o.Observe(e)
	}
}

// NewLineObserver returns an Observer that writes one plain line per
// target start, retry and finish to w, e.g. "api: failed after 1.2s: ...".
// It suits non-interactive output where BuildKit's own display shows the
// steps but not the targets' verdicts.
func NewLineObserver(w io.Writer) Observer {
	return ObserverFunc(func(e Event) {
		switch e.Kind {
		case NodeStarted:
			fmt.Fprintf(w, "%s: started\n", e.Name)
		case AttemptFinished:
			if e.Attempt.RetryAfter > 0 {
				fmt.Fprintf(w, "%s: attempt %d failed, retrying in %s: %v\n",
					e.Name, e.Attempt.Number, formatDuration(e.Attempt.RetryAfter), e.Attempt.Err)
			}
		case NodeFinished:
			fmt.Fprintf(w, "%s: %s\n", e.Name, outcomeLine(e.Outcome))
		}
	})
}

// outcomeLine is the one-line verdict used by NewLineObserver and the
// per-target log files.
func outcomeLine(o *Outcome) string {
	switch o.Status {
	case StatusBuilt, StatusCached:
		return fmt.Sprintf("%s in %s", o.Status, formatDuration(o.Duration))
	case StatusUpToDate:
		if len(o.Attempts) > 0 {
			return fmt.Sprintf("up-to-date, solved for its dependents in %s", formatDuration(o.Duration))
		}
		return "up-to-date"
	case StatusFailed:
		return fmt.Sprintf("failed after %s: %v", formatDuration(o.Duration), o.Err)
	default:
		return fmt.Sprintf("%s: %s", o.Status, o.Reason)
	}
}
