package main

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
)

func TestWriteDiagnostics(t *testing.T) {
	src := map[string][]byte{"f.hcl": []byte("target \"a\" {\n\ttags = [x]\n}\n")}
	rng := func(line, col, startByte, endByte int) *hcl.Range {
		return &hcl.Range{Filename: "f.hcl",
			Start: hcl.Pos{Line: line, Column: col, Byte: startByte},
			End:   hcl.Pos{Line: line, Column: col + endByte - startByte, Byte: endByte}}
	}
	tests := []struct {
		name string
		diag *hcl.Diagnostic
		want string
	}{
		{
			name: "tabs are kept under the caret",
			diag: &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unknown variable", Detail: "There is no variable named \"x\".", Subject: rng(2, 10, 22, 23)},
			want: "f.hcl:2:10: error: Unknown variable\n    2 | \ttags = [x]\n      | \t        ^\n  There is no variable named \"x\".\n",
		},
		{
			name: "warning without a location",
			diag: &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "Careful", Detail: "Line one.\nLine two."},
			want: "orch: warning: Careful\n  Line one.\n  Line two.\n",
		},
		{
			name: "unknown file has no snippet",
			diag: &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "S", Subject: &hcl.Range{Filename: "other.hcl", Start: hcl.Pos{Line: 1, Column: 1}}},
			want: "other.hcl:1:1: error: S\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			writeDiagnostics(&b, hcl.Diagnostics{tt.diag}, src)
			if diff := cmp.Diff(tt.want, b.String()); diff != "" {
				t.Errorf("output (-want +got):\n%s", diff)
			}
		})
	}
}
