package report

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/orch-build/orch/runner"
)

// The timeline's geometry, in pixels.
const (
	ganttLabelW = 210
	ganttChartW = 700
	ganttNoteW  = 220
	ganttRowH   = 16
	ganttAxisH  = 20
)

type ganttView struct {
	Width, Height, RowH int
	Ticks               []tickView
	Rows                []rowView
}

type tickView struct{ X, Label string }

type rowView struct {
	I                  int
	Name, Label, Title string
	Status             runner.Status
	Crit               bool
	Y, TextY, NoteX    string
	Bars               []barView
	Note               string
}

type barView struct{ Class, X, Y, W, H, Title string }

// newGantt lays out one row per target in plan order, its spans as bars
// on a shared time axis.
func newGantt(rep *runner.Report, tl timeline, onPath map[int]bool) ganttView {
	g := ganttView{Width: ganttLabelW + ganttChartW + ganttNoteW, RowH: ganttRowH, Height: ganttAxisH + ganttRowH*len(rep.Outcomes) + 4}
	total := max(tl.total, 1)
	x := func(off int64) float64 { return ganttLabelW + float64(off)*ganttChartW/float64(total) }
	step := tickStep(total)
	for t := int64(0); t <= total; t += step {
		g.Ticks = append(g.Ticks, tickView{X: px(x(t)), Label: human(t)})
	}
	for i := range rep.Outcomes {
		o := &rep.Outcomes[i]
		y := float64(ganttAxisH + i*ganttRowH)
		r := rowView{
			I: i, Name: o.Name, Label: truncate(o.Name, 32), Status: o.Status, Crit: onPath[i],
			Y: px(y), TextY: px(y + ganttRowH - 4), Title: rowTitle(o),
		}
		end := float64(ganttLabelW)
		bar := func(class string, s Span, inset float64, title string) {
			x0, x1 := x(tl.off(s.Start)), x(tl.off(s.End))
			w := max(x1-x0, 1.5)
			r.Bars = append(r.Bars, barView{Class: class, X: px(x0), Y: px(y + inset), W: px(w), H: px(ganttRowH - 2*inset), Title: title})
			end = max(end, x0+w)
		}
		if root, ok := Spans(o); ok {
			if len(o.Attempts) == 0 {
				bar("st-"+string(o.Status), root, 3, fmt.Sprintf("%s: %s %s", o.Name, o.Status, o.Reason))
			}
			for _, c := range root.Children {
				switch c.Kind {
				case SpanQueued:
					bar("ph-queued", c, 5, fmt.Sprintf("%s: waited %s for a slot", o.Name, human(tl.off(c.End)-tl.off(c.Start))))
				case SpanBackoff:
					bar("ph-backoff", c, 5, fmt.Sprintf("%s: retry backoff %s", o.Name, human(tl.off(c.End)-tl.off(c.Start))))
				case SpanAttempt:
					final := c.Attempt == len(o.Attempts)
					for _, p := range c.Children {
						class := "ph-" + p.Name
						if p.Name == string(runner.PhaseSolve) {
							class = "ph-failed"
							if final {
								class = "st-" + string(o.Status)
							}
						}
						bar(class, p, 2, fmt.Sprintf("%s: attempt %d %s %s, %d steps", o.Name, c.Attempt, p.Name, human(tl.off(p.End)-tl.off(p.Start)), len(p.Children)))
					}
				}
			}
		}
		r.NoteX, r.Note = px(end+4), rowNote(o)
		g.Rows = append(g.Rows, r)
	}
	return g
}

// tickStep is 1, 2 or 5 times a power of ten milliseconds, giving at most
// ten ticks over total.
func tickStep(total int64) int64 {
	for step := int64(1); ; step *= 10 {
		for _, m := range []int64{1, 2, 5} {
			if total/(step*m) <= 10 {
				return step * m
			}
		}
	}
}

// rowTitle is the tooltip of a target's row.
func rowTitle(o *runner.Outcome) string {
	parts := []string{o.Name + ": " + string(o.Status)}
	if !o.Started.IsZero() {
		parts = append(parts, "in "+human(ms(o.Duration)))
	}
	if s := stepsText(o); s != "-" {
		parts = append(parts, "steps cached "+s)
	}
	if n := len(o.Attempts); n > 1 {
		parts = append(parts, strconv.Itoa(n)+" attempts")
	}
	if o.Reason != "" {
		parts = append(parts, o.Reason)
	}
	return strings.Join(parts, ", ")
}

// rowNote is the text after a row's bars.
func rowNote(o *runner.Outcome) string {
	var parts []string
	if s := stepsText(o); s != "-" {
		parts = append(parts, s+" cached")
	}
	if n := len(o.Attempts); n > 1 {
		parts = append(parts, fmt.Sprintf("%d attempts", n))
	}
	if o.Reason != "" {
		parts = append(parts, o.Reason)
	}
	if o.Status == runner.StatusFailed {
		if step := o.StepError(); step != nil && step.Location() != "" {
			parts = append(parts, step.Location())
		}
	}
	return strings.Join(parts, " · ")
}
