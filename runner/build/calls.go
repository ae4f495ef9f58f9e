package build

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/orch-build/orch/graph"
	"github.com/orch-build/orch/runner"
)

// ErrCallStatus marks a run whose called frontend methods reported
// problems: `--call check` (or `call = "check"`) found warnings or a
// Dockerfile it could not read. bake exits 1 then, and so does orch;
// ignorestatus=true leaves only the unreadable Dockerfiles.
var ErrCallStatus = errors.New("the called method reported problems")

// calls returns the call answers of the run, by target name.
func (r *Result) calls() map[string]*runner.CallResult {
	out := map[string]*runner.CallResult{}
	if r.Report == nil {
		return out
	}
	for _, o := range r.Report.Outcomes {
		if o.Result != nil && o.Result.Call != nil {
			out[o.Name] = o.Result.Call
		}
	}
	return out
}

// callStatus is the run's error for its call answers: ErrCallStatus naming
// every target whose answer had a status (unless --call said
// ignorestatus=true) or an error, in name order; nil when none had.
func (r *Result) callStatus() error {
	calls := r.calls()
	var bad []string
	for _, name := range slices.Sorted(maps.Keys(calls)) {
		c := calls[name]
		if c.Error != "" || (c.Status != 0 && (r.call == nil || !r.call.IgnoreStatus)) {
			bad = append(bad, c.Method+" of "+name)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s", ErrCallStatus, strings.Join(bad, ", "))
}

// WriteCalls prints the answers of the targets that called a frontend
// method, as bake prints them: in name order, each under the target's
// name and description, separated by blank lines; a method's error as
// "error: ..."; with --call ...,format=json, one JSON document holding
// every target's definition (as `orch print` shows it) beside its answer.
// It writes nothing when no target called a method.
func (r *Result) WriteCalls(w io.Writer) error {
	calls := r.calls()
	if len(calls) == 0 {
		return nil
	}
	if r.call != nil && r.call.Format == "json" {
		return r.writeCallsJSON(w, calls)
	}
	for i, name := range slices.Sorted(maps.Keys(calls)) {
		c := calls[name]
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintln(w, name)
		if t := r.Config.Targets[name]; t != nil && t.Description != "" {
			fmt.Fprintln(w, t.Description)
		}
		fmt.Fprintln(w)
		io.WriteString(w, c.Text)
		if c.Error != "" {
			fmt.Fprintf(w, "error: %s\n", c.Error)
		}
	}
	return nil
}

// writeCallsJSON prints bake's JSON form of call answers: the print
// document's groups, and for every target {"build": definition, METHOD:
// answer}, the answer's fields with "error" when the method reported one.
func (r *Result) writeCallsJSON(w io.Writer, calls map[string]*runner.CallResult) error {
	set, err := graph.PrintSet(r.Config, r.selection)
	if err != nil {
		return err
	}
	var def bytes.Buffer
	if diags := r.Config.WritePrintJSON(&def, set); diags.HasErrors() {
		return diags
	}
	var printed struct {
		Group  json.RawMessage            `json:"group,omitempty"`
		Target map[string]json.RawMessage `json:"target"`
	}
	if err := json.Unmarshal(def.Bytes(), &printed); err != nil {
		return fmt.Errorf("print: %w", err)
	}
	out := struct {
		Group  json.RawMessage           `json:"group,omitempty"`
		Target map[string]map[string]any `json:"target"`
	}{Group: printed.Group, Target: map[string]map[string]any{}}
	for name, d := range printed.Target {
		out.Target[name] = map[string]any{"build": d}
		c, ok := calls[name]
		if !ok || len(c.JSON) == 0 {
			continue
		}
		answer := map[string]any{}
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(c.JSON, &fields); err == nil {
			for k, v := range fields {
				answer[k] = v
			}
		} else {
			answer[c.Method] = json.RawMessage(c.JSON)
		}
		if c.Error != "" {
			answer["error"] = c.Error
		}
		out.Target[name][c.Method] = answer
	}
	dt, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(w, string(dt))
	return err
}
