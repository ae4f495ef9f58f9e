package graph

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// Every error New returns for a problem in the user's files or selection is
// one of the types below, or several of them joined with errors.Join. Each
// carries the source ranges involved, so the CLI can print file:line (the
// Error text does) or render a snippet from Diagnostics.

// UnknownNameError is a name that is neither a target nor a group: in the
// selection, in a group's targets, in a `target:` context or in depends_on.
type UnknownNameError struct {
	// Name is the name as written.
	Name string
	// Referrer says where the name was written, e.g. `group "ci"` or
	// `target "app" context "base"`; empty for the command-line selection.
	Referrer string
	// TargetsOnly is true when only a target fits (links), false when a
	// group would do as well (selection, group members).
	TargetsOnly bool
	// Suggestion is the closest existing name, empty when none is close.
	Suggestion string
	// Range is where the name was written; nil for the command line.
	Range *hcl.Range
}

func (e *UnknownNameError) Error() string {
	what := "target or group"
	if e.TargetsOnly {
		what = "target"
	}
	var b strings.Builder
	b.WriteString(rangePrefix(e.Range))
	if e.Referrer == "" {
		fmt.Fprintf(&b, "unknown %s %q", what, e.Name)
	} else {
		fmt.Fprintf(&b, "%s names unknown %s %q", e.Referrer, what, e.Name)
	}
	if e.Suggestion != "" {
		fmt.Fprintf(&b, "; did you mean %q?", e.Suggestion)
	}
	return b.String()
}

// NoDefaultError is returned when nothing is selected and the files declare
// no "default" group or target to fall back on.
type NoDefaultError struct{}

func (e *NoDefaultError) Error() string {
	return `no target named and no "default" group or target declared: name targets or groups, or use "all"`
}

// PatternError is a glob in the selection that is malformed or matches no
// target or group.
type PatternError struct {
	Pattern string
	// Err is the syntax error of a malformed pattern, nil when the pattern
	// is valid but matches nothing.
	Err error
}

func (e *PatternError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("bad pattern %q: %v", e.Pattern, e.Err)
	}
	return fmt.Sprintf("no target or group matches %q", e.Pattern)
}

func (e *PatternError) Unwrap() error { return e.Err }

// Link is one dependency as the user wrote it: From needs To, either as the
// named context Key (a DataEdge) or through depends_on (an OrderEdge).
type Link struct {
	From, To string
	Kind     EdgeKind
	// Key is the context name of a DataEdge, empty for an OrderEdge.
	Key string
	// Range is the expression that declares the link.
	Range hcl.Range
}

// String describes the link in words, e.g.
// `target "app" uses "base" as context "src"` or `target "app" depends on "db"`.
func (l Link) String() string {
	if l.Kind == DataEdge {
		return fmt.Sprintf("target %q uses %q as context %q", l.From, l.To, l.Key)
	}
	return fmt.Sprintf("target %q depends on %q", l.From, l.To)
}

// SelfLinkError is a target that names itself in contexts or depends_on.
type SelfLinkError struct {
	Link Link
}

func (e *SelfLinkError) Error() string {
	how := "through depends_on"
	if e.Link.Kind == DataEdge {
		how = fmt.Sprintf("as context %q", e.Link.Key)
	}
	return fmt.Sprintf("%starget %q links to itself %s", rangePrefix(&e.Link.Range), e.Link.From, how)
}

// CycleError is a dependency cycle. Links[0].From is the cycle's
// alphabetically first target and Links[i].To == Links[i+1].From, the last
// link leading back to Links[0].From.
type CycleError struct {
	Links []Link
}

// Path renders the cycle as "a → b → c → a".
func (e *CycleError) Path() string {
	if len(e.Links) == 0 {
		return ""
	}
	names := make([]string, 0, len(e.Links)+1)
	names = append(names, e.Links[0].From)
	for _, l := range e.Links {
		names = append(names, l.To)
	}
	return strings.Join(names, " → ")
}

func (e *CycleError) Error() string {
	var b strings.Builder
	b.WriteString("dependency cycle: ")
	b.WriteString(e.Path())
	for _, l := range e.Links {
		fmt.Fprintf(&b, "\n  %s%s", rangePrefix(&l.Range), l)
	}
	return b.String()
}

// PlatformError breaks bake's rule for `target:` links: when both the child
// and the parent build several platforms, the child's platforms must be a
// subset of the parent's, since each child platform builds on the parent's
// result for that same platform.
type PlatformError struct {
	Link Link
	// ChildPlatforms and ParentPlatforms are the two targets' platforms as
	// declared; Missing lists the child's platforms the parent lacks.
	ChildPlatforms, ParentPlatforms, Missing []string
	// ParentRange is where the parent declares its platforms.
	ParentRange hcl.Range
}

func (e *PlatformError) Error() string {
	declared := strings.Join(e.ParentPlatforms, ", ")
	if e.ParentRange.Filename != "" {
		declared = "declared at " + rangePrefix(&e.ParentRange) + declared
	}
	return fmt.Sprintf("%s%s, but %q does not build %s (%s); "+
		"when both build several platforms, those of %q must be a subset of those of %q",
		rangePrefix(&e.Link.Range), e.Link, e.Link.To, strings.Join(e.Missing, ", "),
		declared, e.Link.From, e.Link.To)
}

// Writer is one output of one target that writes to a local path or stdout.
type Writer struct {
	Target string
	// Output is the index of the output in the target's Outputs.
	Output int
	// Dest is the destination as displayed (e.g. "oci-layout:/w/out/app").
	Dest string
	// Range is where the target declares its outputs.
	Range hcl.Range
}

// ConflictError is a local destination written by more than one output,
// of one target or of several. bake lets the last writer win; orch refuses
// to plan it because the result would be a mix or a loss.
type ConflictError struct {
	// Path is the cleaned destination path, or "-" for stdout.
	Path    string
	Writers []Writer
}

func (e *ConflictError) Error() string {
	var b strings.Builder
	where := e.Path
	if where == stdoutDest {
		where = "stdout (dest=-)"
	}
	fmt.Fprintf(&b, "destination conflict: %s is written by %d outputs", where, len(e.Writers))
	for _, w := range e.Writers {
		fmt.Fprintf(&b, "\n  %starget %q output %d (%s)", rangePrefix(&w.Range), w.Target, w.Output+1, w.Dest)
	}
	return b.String()
}

// rangePrefix renders "file:line: " for r, or "" when r is unknown.
func rangePrefix(r *hcl.Range) string {
	if r == nil || r.Filename == "" {
		return ""
	}
	return fmt.Sprintf("%s:%d: ", r.Filename, r.Start.Line)
}
