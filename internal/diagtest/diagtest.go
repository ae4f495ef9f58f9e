// Package diagtest holds the convention of the invalid-file tests of
// config and graph: a file marks each line that must be reported with a
// "# ERROR: <Summary>" comment, and the test compares those marks with the
// diagnostics' lines and summaries. It is for tests only.
package diagtest

import (
	"bufio"
	"bytes"
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// Markers returns "LINE: Summary" for every "# ERROR: Summary" comment of
// src, sorted.
func Markers(src []byte) []string {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(src))
	for line := 1; sc.Scan(); line++ {
		if _, m, ok := strings.Cut(sc.Text(), "# ERROR: "); ok {
			out = append(out, fmt.Sprintf("%d: %s", line, strings.TrimSpace(m)))
		}
	}
	sort.Strings(out)
	return out
}

// Errors returns "LINE: Summary" for every error of diags, sorted; an error
// without a location is "?: Summary (Detail)", which no marker matches.
func Errors(diags hcl.Diagnostics) []string {
	var out []string
	for _, d := range diags {
		switch {
		case d.Severity != hcl.DiagError:
		case d.Subject == nil:
			out = append(out, fmt.Sprintf("?: %s (%s)", d.Summary, d.Detail))
		default:
			out = append(out, fmt.Sprintf("%d: %s", d.Subject.Start.Line, d.Summary))
		}
	}
	sort.Strings(out)
	return out
}
