package main

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
)

// writeDiagnostics renders diagnostics for a terminal, each as
//
//	orch.hcl:3:3: error: Unknown target attribute
//	    3 |   platfrom = ["linux/amd64"]
//	      |   ^^^^^^^^
//	  Unknown target attribute "platfrom"; did you mean "platforms"?
//
// The first line is the file:line:col form editors jump to. sources holds
// the files by the names diagnostics use.
func writeDiagnostics(w io.Writer, diags hcl.Diagnostics, sources map[string][]byte) {
	for _, d := range diags {
		writeDiagnostic(w, d, sources)
	}
}

func writeDiagnostic(w io.Writer, d *hcl.Diagnostic, sources map[string][]byte) {
	sev := "error"
	if d.Severity == hcl.DiagWarning {
		sev = "warning"
	}
	if d.Subject == nil {
		fmt.Fprintf(w, "orch: %s: %s\n", sev, d.Summary)
	} else {
		r := d.Subject
		fmt.Fprintf(w, "%s:%d:%d: %s: %s\n", r.Filename, r.Start.Line, r.Start.Column, sev, d.Summary)
		writeSnippet(w, r, sources[r.Filename])
	}
	if d.Detail != "" {
		for _, line := range strings.Split(d.Detail, "\n") {
			fmt.Fprintf(w, "  %s\n", line)
		}
	}
}

// writeSnippet prints the first source line of r with the range underlined.
func writeSnippet(w io.Writer, r *hcl.Range, src []byte) {
	if len(src) == 0 || r.Start.Byte > len(src) {
		return
	}
	lineStart := bytes.LastIndexByte(src[:r.Start.Byte], '\n') + 1
	lineEnd := bytes.IndexByte(src[lineStart:], '\n')
	if lineEnd < 0 {
		lineEnd = len(src)
	} else {
		lineEnd += lineStart
	}
	line := strings.TrimRight(string(src[lineStart:lineEnd]), "\r")
	num := fmt.Sprintf("%5d", r.Start.Line)
	fmt.Fprintf(w, "%s | %s\n", num, line)

	// Underline from the start to the end of the range, or to the end of
	// the line when the range spans several lines. Tabs are kept so the
	// carets line up under the text.
	startCol := r.Start.Byte - lineStart
	endCol := len(line)
	if r.End.Byte > r.Start.Byte && r.End.Byte-lineStart <= len(line) {
		endCol = r.End.Byte - lineStart
	}
	if startCol > len(line) {
		startCol = len(line)
	}
	var pad strings.Builder
	for _, c := range line[:startCol] {
		if c == '\t' {
			pad.WriteByte('\t')
		} else {
			pad.WriteByte(' ')
		}
	}
	n := utf8.RuneCountInString(line[startCol:endCol])
	if n < 1 {
		n = 1
	}
	fmt.Fprintf(w, "%s | %s%s\n", strings.Repeat(" ", len(num)), pad.String(), strings.Repeat("^", n))
}
