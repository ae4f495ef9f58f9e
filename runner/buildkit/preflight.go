package buildkit

import (
	"errors"
	"fmt"

	"github.com/hashicorp/hcl/v2"

	"github.com/orch-build/orch/config"
	"github.com/orch-build/orch/graph"
)

// Preflight checks every node of a plan as Solve would translate it, without
// a builder: missing context directories and Dockerfiles, unset secret
// variables, bad network, shm-size, ulimit, entitlement, attest,
// annotation and output values. A mistake in any target thus stops the run before
// anything is built, and each comes as a diagnostic at the attribute that
// caused it.
func Preflight(plan *graph.Plan) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, n := range plan.Nodes {
		t := n.Target
		r, err := newRequest(t, nil)
		if err == nil {
			r.cleanup()
			err = checkOutputs(t)
		}
		if err != nil {
			diags = append(diags, targetDiagnostic(t, err))
		}
	}
	return diags
}

// checkOutputs validates annotations and outputs without staging anything.
func checkOutputs(t *config.Target) error {
	annotations, err := annotationAttrs(t.Annotations)
	if err != nil {
		return &attrError{attr: "annotations", err: err}
	}
	if _, err := newExports(t, annotations, exportEnv{check: true}); err != nil {
		return &attrError{attr: "output", err: err}
	}
	return nil
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
