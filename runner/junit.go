package runner

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

// The JUnit XML shape CI systems read (the Ant/Jenkins dialect): one suite
// for the run, one testcase per target.
type (
	junitSuites struct {
		XMLName  xml.Name     `xml:"testsuites"`
		Name     string       `xml:"name,attr"`
		Tests    int          `xml:"tests,attr"`
		Failures int          `xml:"failures,attr"`
		Errors   int          `xml:"errors,attr"`
		Skipped  int          `xml:"skipped,attr"`
		Time     string       `xml:"time,attr"`
		Suites   []junitSuite `xml:"testsuite"`
	}
	junitSuite struct {
		Name      string      `xml:"name,attr"`
		Tests     int         `xml:"tests,attr"`
		Failures  int         `xml:"failures,attr"`
		Errors    int         `xml:"errors,attr"`
		Skipped   int         `xml:"skipped,attr"`
		Time      string      `xml:"time,attr"`
		Timestamp string      `xml:"timestamp,attr"`
		Cases     []junitCase `xml:"testcase"`
	}
	junitCase struct {
		Name      string        `xml:"name,attr"`
		ClassName string        `xml:"classname,attr"`
		Time      string        `xml:"time,attr"`
		Failure   *junitMessage `xml:"failure,omitempty"`
		Skipped   *junitMessage `xml:"skipped,omitempty"`
		SystemOut *junitText    `xml:"system-out,omitempty"`
	}
	junitMessage struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr,omitempty"`
		Body    string `xml:",cdata"`
	}
	// junitText is element text kept as CDATA so line breaks stay
	// readable in the file.
	junitText struct {
		Body string `xml:",cdata"`
	}
)

// WriteJUnit writes the run as JUnit XML, one testcase per target. A failed
// target is a <failure> carrying the failing step, its location and output
// tail; skipped and cancelled targets are <skipped> with their reason, so a
// CI page shows the root failures alone as red. An up-to-date target is
// <skipped> by design: nothing needed building, which is not a failure.
func (r *Report) WriteJUnit(w io.Writer) error {
	suite := junitSuite{
		Name:      "orch",
		Tests:     len(r.Outcomes),
		Failures:  r.Count(StatusFailed),
		Skipped:   r.Count(StatusSkipped) + r.Count(StatusCancelled) + r.Count(StatusUpToDate),
		Time:      junitTime(r.Duration.Seconds()),
		Timestamp: r.Started.UTC().Format("2006-01-02T15:04:05"),
		Cases:     make([]junitCase, len(r.Outcomes)),
	}
	for i := range r.Outcomes {
		o := &r.Outcomes[i]
		c := junitCase{Name: o.Name, ClassName: "orch", Time: junitTime(o.Duration.Seconds())}
		switch o.Status {
		case StatusFailed:
			c.Failure = junitFailure(o)
		case StatusSkipped, StatusCancelled:
			c.Skipped = &junitMessage{Message: string(o.Status) + ": " + o.Reason}
		case StatusUpToDate:
			c.Skipped = &junitMessage{Message: "up-to-date: every destination holds the image of its current inputs", Type: "up-to-date"}
			c.SystemOut = junitBuilt(o)
		default:
			c.SystemOut = junitBuilt(o)
		}
		suite.Cases[i] = c
	}
	doc := junitSuites{
		Name: "orch", Tests: suite.Tests, Failures: suite.Failures, Skipped: suite.Skipped,
		Time: suite.Time, Suites: []junitSuite{suite},
	}
	ew := &errWriter{w: w}
	io.WriteString(ew, xml.Header)
	enc := xml.NewEncoder(ew)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	io.WriteString(ew, "\n")
	return ew.err
}

func junitFailure(o *Outcome) *junitMessage {
	m := &junitMessage{Type: "error"}
	if o.Err != nil {
		m.Message = o.Err.Error()
	}
	var body strings.Builder
	tail := o.LogTail
	if step := o.StepError(); step != nil {
		m.Type = "step"
		fmt.Fprintf(&body, "step: %s\n", step.Step)
		if loc := step.Location(); loc != "" {
			fmt.Fprintf(&body, "at: %s\n", loc)
		}
		if len(step.LogTail) > 0 {
			tail = step.LogTail
		}
	}
	if n := len(o.Attempts); n > 1 {
		fmt.Fprintf(&body, "attempts: %d\n", n)
	}
	for _, line := range tail {
		fmt.Fprintf(&body, "> %s\n", line)
	}
	m.Body = xmlText(body.String())
	return m
}

// junitBuilt lists a built target's digest and destinations as its output.
func junitBuilt(o *Outcome) *junitText {
	if o.Result == nil {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "status: %s\n", o.Status)
	if o.Result.Digest != "" {
		fmt.Fprintf(&b, "digest: %s\n", o.Result.Digest)
	}
	for _, d := range o.Result.Destinations {
		fmt.Fprintf(&b, "destination: %s\n", d)
	}
	return &junitText{Body: xmlText(b.String())}
}

// xmlText replaces the characters XML 1.0 forbids even in CDATA (terminal
// escapes in build output, for one) so that CI parsers accept the file.
func xmlText(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t', r == '\n', r == '\r',
			r >= 0x20 && r <= 0xD7FF, r >= 0xE000 && r <= 0xFFFD, r >= 0x10000 && r <= 0x10FFFF:
			return r
		default:
			return '\uFFFD'
		}
	}, s)
}

func junitTime(s float64) string { return fmt.Sprintf("%.3f", s) }
