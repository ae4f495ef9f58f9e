package report

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/orch-build/orch/runner"
)

// The page's assets, embedded so that the file needs nothing else.
var (
	//go:embed assets/report.html.tmpl
	pageTemplate string
	//go:embed assets/report.css
	pageCSS string
	//go:embed assets/report.js
	pageJS string

	page = template.Must(template.New("report").Parse(pageTemplate))
)

// contentPolicy is the page's Content-Security-Policy: nothing may be
// loaded (default-src 'none'), and only the page's own style and script,
// named by their hashes, may run. A page that reached for the network
// would be refused by the browser, not only by this package's tests.
var contentPolicy = fmt.Sprintf("default-src 'none'; style-src '%s'; script-src '%s'; img-src data:; base-uri 'none'; form-action 'none'",
	cspHash(pageCSS), cspHash(pageJS))

func cspHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}

// HTMLOptions adjust WriteHTML.
type HTMLOptions struct {
	// Dir is the directory the page is written to: links to the targets'
	// log files (--log-dir) are made relative to it. Log paths that are
	// relative are taken from the working directory, as the run wrote
	// them. Empty leaves the paths as the report has them.
	Dir string
}

// WriteHTML writes the run as one self-contained HTML page: a header with
// the run's status, counts, wall time and critical path; every failure
// with its step, Dockerfile line, last output lines and the targets
// skipped because of it; the warnings; a timeline of every target
// (waiting, solving, exporting, pushing, backoffs, coloured by status,
// with step counts and cache ratios, details on hover and click); the
// dependency graph as SVG, links and order-only edges drawn apart; and a
// table of the targets with their log files.
//
// The page loads nothing: its style and script are inline and a
// Content-Security-Policy forbids everything else. It is made from what
// the JSON report holds (see runner.ReadReport), so the page of a run and
// the page of its --report file are the same.
func WriteHTML(w io.Writer, rep *runner.Report, opts HTMLOptions) error {
	rep, err := fromJSON(rep)
	if err != nil {
		return err
	}
	v := newPageView(rep, opts)
	var buf bytes.Buffer
	if err := page.Execute(&buf, v); err != nil {
		return fmt.Errorf("render HTML report: %w", err)
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// fromJSON is rep as its JSON report reads back: the views show only what
// the file keeps, rounded as the file rounds it.
func fromJSON(rep *runner.Report) (*runner.Report, error) {
	var buf bytes.Buffer
	if err := rep.WriteJSON(&buf); err != nil {
		return nil, err
	}
	return runner.ReadReport(&buf)
}

// pageView is what the template shows.
type pageView struct {
	CSP           string
	CSS           template.CSS
	JS            template.JS
	Status        string
	Counts        []countView
	Wall, Started string
	Jobs, Retries int
	KeepGoing     bool
	Critical      []string
	CriticalTime  string
	Failures      []failureView
	Warnings      []string
	Targets       []targetView
	Gantt         ganttView
	Graph         graphView
	Data          pageData
}

type countView struct {
	Status runner.Status
	N      int
}

type failureView struct {
	Name, Step, Location, Message, Log string
	Attempts                           int
	Tail, Skipped                      []string
}

type targetView struct {
	I                          int
	Name                       string
	Status                     runner.Status
	Duration, Steps, Note, Log string
	Attempts                   int
}

// pageData is what the script shows on a click, as JSON in the page.
type pageData struct {
	Targets []targetData `json:"targets"`
}

type targetData struct {
	Name     string        `json:"name"`
	Status   runner.Status `json:"status"`
	Reason   string        `json:"reason,omitempty"`
	Log      string        `json:"log,omitempty"`
	Error    *errorData    `json:"error,omitempty"`
	Attempts []attemptData `json:"attempts"`
}

type errorData struct {
	Message  string   `json:"message"`
	Location string   `json:"location,omitempty"`
	Tail     []string `json:"tail,omitempty"`
}

// attemptData times are milliseconds: queued is the wait for a slot,
// phases hold [name, start from the attempt's start], steps [name, start,
// duration, cached, error].
type attemptData struct {
	Number   int     `json:"number"`
	Queued   int64   `json:"queued"`
	Duration int64   `json:"duration"`
	Error    string  `json:"error,omitempty"`
	Phases   [][]any `json:"phases"`
	Steps    [][]any `json:"steps"`
}

func newPageView(rep *runner.Report, opts HTMLOptions) *pageView {
	tl := newTimeline(rep)
	v := &pageView{
		CSP:       contentPolicy,
		CSS:       template.CSS(pageCSS),
		JS:        template.JS(pageJS),
		Status:    rep.Status(),
		Wall:      human(ms(rep.Duration)),
		Started:   rep.Started.UTC().Format("2006-01-02 15:04:05 UTC"),
		Jobs:      rep.Jobs,
		Retries:   rep.Retries,
		KeepGoing: rep.KeepGoing,
		Warnings:  rep.Warnings,
	}
	for _, s := range runner.Statuses {
		if n := rep.Count(s); n > 0 {
			v.Counts = append(v.Counts, countView{s, n})
		}
	}
	crit := criticalPath(rep)
	onPath := map[int]bool{}
	for _, i := range crit {
		onPath[i] = true
		v.Critical = append(v.Critical, rep.Outcomes[i].Name)
	}
	if len(crit) > 0 {
		first, last := &rep.Outcomes[crit[0]], &rep.Outcomes[crit[len(crit)-1]]
		v.CriticalTime = human(tl.off(last.Finished) - tl.off(first.Ready))
	}
	logs := make([]string, len(rep.Outcomes))
	for i := range rep.Outcomes {
		logs[i] = logLink(rep.Outcomes[i].LogFile, opts.Dir)
	}
	for _, o := range rep.Failed() {
		f := failureView{Name: o.Name, Attempts: len(o.Attempts), Message: o.Err.Error(), Tail: o.LogTail, Log: logs[o.Index]}
		if step := o.StepError(); step != nil {
			f.Step, f.Location = step.Step, step.Location()
			if len(step.LogTail) > 0 {
				f.Tail = step.LogTail
			}
		}
		for j := range rep.Outcomes {
			if s := &rep.Outcomes[j]; s.Status == runner.StatusSkipped && s.BlockedBy == o.Name {
				f.Skipped = append(f.Skipped, s.Name)
			}
		}
		v.Failures = append(v.Failures, f)
	}
	for i := range rep.Outcomes {
		o := &rep.Outcomes[i]
		t := targetView{I: i, Name: o.Name, Status: o.Status, Duration: "-", Steps: "-", Attempts: len(o.Attempts), Note: note(o), Log: logs[i]}
		if !o.Started.IsZero() {
			t.Duration = human(ms(o.Duration))
		}
		t.Steps = stepsText(o)
		v.Targets = append(v.Targets, t)
		v.Data.Targets = append(v.Data.Targets, tl.data(o, logs[i]))
	}
	v.Gantt = newGantt(rep, tl, onPath)
	v.Graph = newGraph(rep, onPath, crit)
	return v
}

// note is a target's note: why it did not build, whether it was exported.
func note(o *runner.Outcome) string {
	var parts []string
	if o.Reason != "" {
		parts = append(parts, o.Reason)
	}
	if !o.Exported && o.Status.Succeeded() {
		parts = append(parts, "not exported")
	}
	return strings.Join(parts, "; ")
}

// stepsText is "3/5 (60%)": cached of all steps, "-" when unknown.
func stepsText(o *runner.Outcome) string {
	if o.Result == nil || o.Result.Total == 0 {
		return "-"
	}
	return fmt.Sprintf("%d/%d (%d%%)", o.Result.Cached, o.Result.Total, o.Result.Cached*100/o.Result.Total)
}

// logLink is the href of a log file for a page written to dir.
func logLink(path, dir string) string {
	if path == "" || dir == "" {
		return filepath.ToSlash(path)
	}
	abs, err1 := filepath.Abs(path)
	base, err2 := filepath.Abs(dir)
	if err1 != nil || err2 != nil {
		return filepath.ToSlash(path)
	}
	rel, err := filepath.Rel(base, abs)
	if err != nil {
		return filepath.ToSlash(abs)
	}
	return filepath.ToSlash(rel)
}

// timeline converts the run's times to milliseconds from its start.
type timeline struct {
	origin time.Time
	total  int64
}

func newTimeline(rep *runner.Report) timeline {
	tl := timeline{origin: rep.Started, total: ms(rep.Duration)}
	for i := range rep.Outcomes {
		// Steps may end a little after the run, by the builder's clock.
		tl.total = max(tl.total, tl.off(rep.Outcomes[i].Finished))
	}
	return tl
}

// off is t in milliseconds from the run's start; zero stays zero.
func (tl timeline) off(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return ms(t.Sub(tl.origin))
}

func ms(d time.Duration) int64 { return int64(math.Round(d.Seconds() * 1000)) }

// data is what the script needs of o.
func (tl timeline) data(o *runner.Outcome, log string) targetData {
	d := targetData{Name: o.Name, Status: o.Status, Reason: o.Reason, Log: log, Attempts: []attemptData{}}
	if o.Status == runner.StatusFailed && o.Err != nil {
		d.Error = &errorData{Message: o.Err.Error(), Tail: o.LogTail}
		if step := o.StepError(); step != nil {
			d.Error.Location = step.Location()
			if len(step.LogTail) > 0 {
				d.Error.Tail = step.LogTail
			}
		}
	}
	for _, a := range o.Attempts {
		ad := attemptData{Number: a.Number, Duration: ms(a.Duration), Phases: [][]any{}, Steps: [][]any{}}
		if !a.Queued.IsZero() {
			ad.Queued = ms(a.Started.Sub(a.Queued))
		}
		if a.Err != nil {
			ad.Error = a.Err.Error()
		}
		for _, p := range a.Phases {
			ad.Phases = append(ad.Phases, []any{string(p.Phase), ms(p.Started.Sub(a.Started))})
		}
		for _, s := range a.Steps {
			dur := int64(-1)
			if !s.Completed.IsZero() {
				dur = ms(s.Completed.Sub(s.Started))
			}
			ad.Steps = append(ad.Steps, []any{s.Name, ms(s.Started.Sub(a.Started)), dur, s.Cached, s.Error})
		}
		d.Attempts = append(d.Attempts, ad)
	}
	return d
}

// human renders milliseconds for people, as the summary does.
func human(msec int64) string {
	d := time.Duration(msec) * time.Millisecond
	switch {
	case d < time.Second:
		return d.String()
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	default:
		return d.Round(time.Second).String()
	}
}

// criticalPath is the chain of targets that decided the wall time, as
// plan indexes from first to last: from the target that finished last,
// back through the dependency that finished last (the one it waited for)
// until a target that waited for none.
func criticalPath(rep *runner.Report) []int {
	index := map[string]int{}
	last := -1
	for i := range rep.Outcomes {
		o := &rep.Outcomes[i]
		index[o.Name] = i
		if !o.Finished.IsZero() && (last < 0 || o.Finished.After(rep.Outcomes[last].Finished)) {
			last = i
		}
	}
	var path []int
	for i := last; i >= 0; {
		path = append(path, i)
		next := -1
		for _, d := range rep.Outcomes[i].Dependencies {
			j, ok := index[d]
			if ok && (next < 0 || rep.Outcomes[j].Finished.After(rep.Outcomes[next].Finished)) {
				next = j
			}
		}
		i = next
	}
	for a, b := 0, len(path)-1; a < b; a, b = a+1, b-1 {
		path[a], path[b] = path[b], path[a]
	}
	return path
}

// truncate shortens s to n runes with an ellipsis.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// px renders a coordinate with at most one decimal.
func px(f float64) string { return strconv.FormatFloat(math.Round(f*10)/10, 'f', -1, 64) }
