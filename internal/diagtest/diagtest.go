// Package diagtest holds the convention of the invalid-file tests of
// config and graph: a file marks each line that must be reported with a
// "# ERROR: <Summary>" comment (or "# WARNING: <Summary>" for a warning),
// and the test compares those marks with the diagnostics' lines and
// summaries. It is for tests only.
package diagtest

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
)

// Markers returns "LINE: Summary" for every "# ERROR: Summary" comment of
// src, sorted.
func Markers(src []byte) []string { return markers(src, "# ERROR: ") }

// WarningMarkers returns "LINE: Summary" for every "# WARNING: Summary"
// comment of src, sorted.
func WarningMarkers(src []byte) []string { return markers(src, "# WARNING: ") }

func markers(src []byte, prefix string) []string {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(src))
	for line := 1; sc.Scan(); line++ {
		if _, m, ok := strings.Cut(sc.Text(), prefix); ok {
			out = append(out, fmt.Sprintf("%d: %s", line, strings.TrimSpace(m)))
		}
	}
	sort.Strings(out)
	return out
}

// Errors returns "LINE: Summary" for every error of diags, sorted; an error
// without a location is "?: Summary (Detail)", which no marker matches.
func Errors(diags hcl.Diagnostics) []string { return ofSeverity(diags, hcl.DiagError) }

// Warnings returns "LINE: Summary" for every warning of diags, as Errors
// does for errors.
func Warnings(diags hcl.Diagnostics) []string { return ofSeverity(diags, hcl.DiagWarning) }

func ofSeverity(diags hcl.Diagnostics, severity hcl.DiagnosticSeverity) []string {
	var out []string
	for _, d := range diags {
		switch {
		case d.Severity != severity:
		case d.Subject == nil:
			out = append(out, fmt.Sprintf("?: %s (%s)", d.Summary, d.Detail))
		default:
			out = append(out, fmt.Sprintf("%d: %s", d.Subject.Start.Line, d.Summary))
		}
	}
	sort.Strings(out)
	return out
}

// Run checks every file dir/*.hcl in a subtest: check loads the file (by
// its base name, relative to dir) and returns its diagnostics, whose errors
// must be exactly the file's ERROR markers and whose warnings exactly its
// WARNING markers. A file without a marker fails.
func Run(t *testing.T, dir string, check func(t *testing.T, name string) hcl.Diagnostics) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.hcl"))
	if len(files) == 0 {
		t.Fatalf("no files in %s", dir)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			want, wantWarnings := Markers(src), WarningMarkers(src)
			if len(want)+len(wantWarnings) == 0 {
				t.Fatal("file has no # ERROR: or # WARNING: marker")
			}
			diags := check(t, filepath.Base(f))
			if diff := cmp.Diff(want, Errors(diags)); diff != "" {
				t.Errorf("errors (-want +got):\n%s\nall diagnostics:\n%s", diff, diags.Error())
			}
			if diff := cmp.Diff(wantWarnings, Warnings(diags)); diff != "" {
				t.Errorf("warnings (-want +got):\n%s\nall diagnostics:\n%s", diff, diags.Error())
			}
		})
	}
}
