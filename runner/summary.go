package runner

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// WriteSummary writes the end-of-run summary for a terminal or CI log: a
// table with one row per target (status, duration, cached/total steps,
// short digest, destinations and a note), a line of counts, then for every
// root failure the failing step, its Dockerfile line and the last lines of
// its output. Skipped targets are listed but not explained again: their
// note names the failure that caused them.
func (r *Report) WriteSummary(w io.Writer) error {
	ew := &errWriter{w: w}
	var table bytes.Buffer
	tw := tabwriter.NewWriter(&table, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "TARGET\tSTATUS\tDURATION\tCACHED\tDIGEST\tDESTINATIONS\tNOTE")
	for i := range r.Outcomes {
		o := &r.Outcomes[i]
		dur, steps, digest, dests := "-", "-", "-", "-"
		if !o.Started.IsZero() {
			dur = formatDuration(o.Duration)
		}
		if res := o.Result; res != nil {
			if res.Total > 0 {
				steps = fmt.Sprintf("%d/%d", res.Cached, res.Total)
			}
			if res.Digest != "" {
				digest = shortDigest(res.Digest)
			}
			if len(res.Destinations) > 0 {
				dests = strings.Join(res.Destinations, ", ")
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", o.Name, o.Status, dur, steps, digest, dests, summaryNote(o))
	}
	tw.Flush()
	// tabwriter pads an empty last cell; trailing blanks only trouble diffs.
	for line := range strings.Lines(table.String()) {
		fmt.Fprintln(ew, strings.TrimRight(line, " \n"))
	}

	fmt.Fprintf(ew, "\n%s: %s in %s\n", plural(len(r.Outcomes), "target"), r.countsLine(), formatDuration(r.Duration))
	for _, o := range r.Failed() {
		writeFailure(ew, o)
	}
	if len(r.Warnings) > 0 {
		fmt.Fprintln(ew)
		for _, msg := range r.Warnings {
			fmt.Fprintf(ew, "warning: %s\n", msg)
		}
	}
	return ew.err
}

// countsLine renders the non-zero status counts, e.g. "2 built, 1 failed".
func (r *Report) countsLine() string {
	var parts []string
	for _, s := range Statuses {
		if n := r.Count(s); n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, s))
		}
	}
	if len(parts) == 0 {
		return "nothing to do"
	}
	return strings.Join(parts, ", ")
}

// summaryNote is the NOTE cell: why a target did not build, how many
// attempts it took, whether its outputs were written.
func summaryNote(o *Outcome) string {
	var notes []string
	if o.Reason != "" {
		notes = append(notes, o.Reason)
	}
	if n := len(o.Attempts); n > 1 {
		notes = append(notes, fmt.Sprintf("%d attempts", n))
	}
	switch {
	case o.Status == StatusUpToDate && len(o.Attempts) > 0:
		notes = append(notes, "solved for its dependents, outputs not written")
	case !o.Exported && o.Status.Succeeded():
		notes = append(notes, "not exported")
	}
	return strings.Join(notes, "; ")
}

// writeFailure explains one root failure.
func writeFailure(w io.Writer, o *Outcome) {
	fmt.Fprintf(w, "\nfailed: %s", o.Name)
	if n := len(o.Attempts); n > 1 {
		fmt.Fprintf(w, " (after %d attempts)", n)
	}
	fmt.Fprintln(w)
	cause := o.Err
	tail := o.LogTail
	if step := o.StepError(); step != nil {
		if step.Step != "" {
			fmt.Fprintf(w, "  step:   %s\n", step.Step)
		}
		if loc := step.Location(); loc != "" {
			fmt.Fprintf(w, "  at:     %s\n", loc)
		}
		if step.Err != nil {
			cause = step.Err
		}
		if len(step.LogTail) > 0 {
			tail = step.LogTail
		}
	}
	if cause != nil {
		fmt.Fprintf(w, "  error:  %v\n", cause)
	}
	if len(tail) > 0 {
		fmt.Fprintln(w, "  output:")
		for _, line := range tail {
			fmt.Fprintf(w, "    > %s\n", line)
		}
	}
	if o.LogFile != "" {
		fmt.Fprintf(w, "  log:    %s\n", o.LogFile)
	}
}

// shortDigest keeps the algorithm and 12 hex digits, as image listings do.
func shortDigest(d string) string {
	algo, hex, ok := strings.Cut(d, ":")
	if !ok {
		return d
	}
	return algo + ":" + hex[:min(len(hex), 12)]
}

// formatDuration rounds d for people: milliseconds below a second, tenths
// of a second below a minute, whole seconds above.
func formatDuration(d time.Duration) string {
	switch {
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	default:
		return d.Round(time.Second).String()
	}
}

// errWriter remembers the first write error so the writers can print
// freely and report it once.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	if err != nil {
		e.err = err
	}
	return n, err
}
