package buildkit

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"golang.org/x/term"

	"github.com/orch-build/orch/config"
	"github.com/orch-build/orch/internal/realpath"
	"github.com/orch-build/orch/runner/dest"
)

// CheckTargets checks targets as Solve would translate them, without a
// builder: missing context directories (the main one and named ones) and
// Dockerfiles, a Dockerfile that is not a file or a symlink to none, secret
// sources that are unset, not regular files or larger than BuildKit's
// limit of 500 KiB, bad network, shm-size, ulimit, entitlement, call,
// attest, annotation and output values. A mistake in any target thus stops
// the run before anything is built, and each comes as a diagnostic at the
// attribute that caused it, every problem of every target at once. It
// needs no plan, so it also runs when planning failed. Destinations are
// resolved through paths, the cache of the pass that compared them for
// conflicts (nil reads the file system again).
func CheckTargets(targets []*config.Target, paths *realpath.Cache) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, t := range targets {
		r, err := newRequest(t, nil)
		if err == nil {
			r.cleanup()
		}
		for _, e := range append(splitJoined(err), checkOutputs(t, paths)...) {
			diags = append(diags, targetDiagnostic(t, e))
		}
	}
	return diags
}

// CheckStdout reports every output of targets with dest=- when w, where
// such outputs stream, is a terminal: an image archive is binary, and
// buildx refuses it too. It is a check of a build, not of a file: the same
// file is fine for `orch build > app.tar`. Pass the targets that write
// their outputs (a target only built as another's context writes none).
func CheckStdout(targets []*config.Target, w io.Writer) hcl.Diagnostics {
	f, ok := w.(interface{ Fd() uintptr })
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	var diags hcl.Diagnostics
	for _, t := range targets {
		for _, o := range t.Outputs {
			if o.Stdout() {
				diags = append(diags, targetDiagnostic(t, &attrError{attr: "output", err: fmt.Errorf(
					"output type=%s,dest=-: standard output is a terminal, and orch does not write an archive to one; redirect it to a file or a pipe, or set dest=PATH", o.Type)}))
			}
		}
	}
	return diags
}

// CheckEntitlements reports every target that asks for an entitlement
// (`entitlements`, or `network = "host"`) that allow does not grant. bake
// refuses to build such a target until `--allow` grants what it asks for;
// orch does the same, without prompting. Targets with problems of their
// own are left to CheckTargets.
func CheckEntitlements(targets []*config.Target, allow []string) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, t := range targets {
		r, err := newRequest(t, nil)
		if err != nil {
			continue
		}
		r.cleanup()
		var missing []string
		for _, e := range r.entitlements {
			if !slices.Contains(allow, e) && !slices.Contains(missing, e) {
				missing = append(missing, e)
			}
		}
		if len(missing) == 0 {
			continue
		}
		attr := "entitlements"
		if _, ok := t.AttrRanges[attr]; !ok {
			attr = "network"
		}
		flags := make([]string, len(missing))
		for i, e := range missing {
			flags[i] = "--allow " + e
		}
		d := targetDiagnostic(t, &attrError{attr: attr, err: fmt.Errorf("it asks for %s, which this run does not grant; pass %s to allow it",
			strings.Join(missing, " and "), strings.Join(flags, " "))})
		d.Summary = "Entitlement not granted"
		diags = append(diags, d)
	}
	return diags
}

// splitJoined returns the errors err joins, err itself when it joins none,
// and nothing for nil.
func splitJoined(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// checkOutputs validates annotations and outputs without staging anything:
// each destination as runner/dest checks it (kinds of local paths, names,
// image store attributes), and what BuildKit can export in one solve. It
// returns every problem.
func checkOutputs(t *config.Target, paths *realpath.Cache) []error {
	var errs []error
	if _, err := annotationAttrs(t.Annotations); err != nil {
		errs = append(errs, &attrError{attr: "annotations", err: err})
	}
	for _, o := range t.Outputs {
		if err := dest.Check(t, o, paths); err != nil {
			errs = append(errs, &attrError{attr: "output", err: err})
		}
	}
	if err := checkLayouts(t); err != nil {
		errs = append(errs, &attrError{attr: "output", err: err})
	}
	return errs
}

// targetDiagnostic places err at the attribute it concerns, or at the
// target block when it has no better place.
func targetDiagnostic(t *config.Target, err error) *hcl.Diagnostic {
	d := &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Cannot build target",
		Detail:   fmt.Sprintf("Target %q: %s.", t.Name, err),
	}
	rng := t.DefRange
	var ae *attrError
	if errors.As(err, &ae) {
		if r, ok := t.ContextRanges[ae.key]; ok && ae.key != "" {
			rng = r
		} else if r, ok := t.AttrRanges[ae.attr]; ok {
			rng = r
		}
	}
	if rng.Filename != "" {
		d.Subject = &rng
	}
	return d
}
