package graph

import (
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// Diagnostics converts an error from New into HCL diagnostics, one per
// problem, so the CLI can render planning errors like configuration errors:
// a Title Case summary, a full-sentence detail and a source snippet of the
// subject range. Errors of other types become a diagnostic without a
// subject.
func Diagnostics(err error) hcl.Diagnostics {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var diags hcl.Diagnostics
		for _, e := range j.Unwrap() {
			diags = append(diags, Diagnostics(e)...)
		}
		return diags
	}
	var d interface{ Diagnostic() *hcl.Diagnostic }
	if errors.As(err, &d) {
		return hcl.Diagnostics{d.Diagnostic()}
	}
	return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot plan", Detail: capitalize(err.Error())}}
}

// Diagnostic describes the error as an HCL diagnostic.
func (e *UnknownNameError) Diagnostic() *hcl.Diagnostic {
	summary, what := "Unknown target or group", "neither a target nor a group"
	if e.TargetsOnly {
		summary, what = "Unknown target", "not a target"
	}
	referrer := "The selection"
	if e.Referrer != "" {
		referrer = capitalize(e.Referrer)
	}
	detail := fmt.Sprintf("%s names %q, which is %s.", referrer, e.Name, what)
	if e.Suggestion != "" {
		detail += fmt.Sprintf(" Did you mean %q?", e.Suggestion)
	}
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: e.Range}
}

// Diagnostic describes the error as an HCL diagnostic.
func (e *NoDefaultError) Diagnostic() *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError, Summary: "Nothing to build",
		Detail: `No target or group was named and the files declare no "default" group or target. ` +
			`Name targets or groups, use "all", or declare a group "default".`,
	}
}

// Diagnostic describes the error as an HCL diagnostic.
func (e *PatternError) Diagnostic() *hcl.Diagnostic {
	if e.Err != nil {
		return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid pattern",
			Detail: fmt.Sprintf("The pattern %q is malformed: %v.", e.Pattern, e.Err)}
	}
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "No match",
		Detail: fmt.Sprintf("The pattern %q matches no target or group.", e.Pattern)}
}

// Diagnostic describes the error as an HCL diagnostic.
func (e *SelfLinkError) Diagnostic() *hcl.Diagnostic {
	r := e.Link.Range
	return &hcl.Diagnostic{
		Severity: hcl.DiagError, Summary: "Target links to itself",
		Detail:  capitalize(strings.TrimPrefix(e.Error(), rangePrefix(&r))) + ". Remove the link: a target cannot wait for its own result.",
		Subject: &r,
	}
}

// Diagnostic describes the error as an HCL diagnostic; the subject is the
// first link and the detail lists every link with its location.
func (e *CycleError) Diagnostic() *hcl.Diagnostic {
	var b strings.Builder
	fmt.Fprintf(&b, "The targets %s wait for each other, so none can start:", e.Path())
	for _, l := range e.Links {
		fmt.Fprintf(&b, "\n  %s%s", rangePrefix(&l.Range), l)
	}
	b.WriteString("\nRemove one of these links.")
	d := &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Dependency cycle", Detail: b.String()}
	if len(e.Links) > 0 {
		r := e.Links[0].Range
		d.Subject = &r
	}
	return d
}

// Diagnostic describes the error as an HCL diagnostic.
func (e *PlatformError) Diagnostic() *hcl.Diagnostic {
	r := e.Link.Range
	return &hcl.Diagnostic{
		Severity: hcl.DiagError, Summary: "Platforms not built by the linked target",
		Detail:  capitalize(strings.TrimPrefix(e.Error(), rangePrefix(&r))) + ".",
		Subject: &r,
	}
}

// Diagnostic describes the error as an HCL diagnostic; the subject is the
// first writer's outputs and the detail lists every writer.
func (e *ConflictError) Diagnostic() *hcl.Diagnostic {
	msg := e.Error()
	head, rest, _ := strings.Cut(msg, "\n")
	d := &hcl.Diagnostic{
		Severity: hcl.DiagError, Summary: "Destination conflict",
		Detail: capitalize(strings.TrimPrefix(head, "destination conflict: ")) + ":\n" + rest +
			"\nOne of them would overwrite or corrupt what another wrote; give each output a path of its own.",
	}
	if len(e.Writers) > 0 {
		r := e.Writers[0].Range
		d.Subject = &r
	}
	return d
}

// capitalize upper-cases the first letter of s (names are ASCII here).
func capitalize(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}
