// Package diagtest holds the convention of the invalid-file tests of
// config and graph: a file marks each line that must be reported with a
// "# ERROR: <Summary>" comment, and the test compares those marks with the
// diagnostics' lines and summaries. It is for tests only.
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

// Run checks every file dir/*.hcl in a subtest: check loads the file (by
// its base name, relative to dir) and returns its diagnostics, whose errors
// must be exactly the file's markers. A file without a marker fails.
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
			want := Markers(src)
			if len(want) == 0 {
				t.Fatal("file has no # ERROR: marker")
			}
			diags := check(t, filepath.Base(f))
			if diff := cmp.Diff(want, Errors(diags)); diff != "" {
				t.Errorf("errors (-want +got):\n%s\nall diagnostics:\n%s", diff, diags.Error())
			}
		})
	}
}
