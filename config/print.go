package config

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// printData is what PrintJSON needs beyond the resolved Targets: bake's
// unresolved view of every target and the environment.
type printData struct {
	targets map[string]*bakeTarget
	env     map[string]string
	// relative: contexts print rebased onto the file that set them
	// (BUILDX_BAKE_FILE_RELATIVE_PATHS).
	relative bool
}

// PrintSet says what `orch print` shows. The planner decides it
// (graph.PrintSet), with the one selection and link check every command
// uses; config only renders it.
type PrintSet struct {
	// Names are the names the user selected, globs and "all" expanded:
	// bake lists them in the "default" group it prints.
	Names []string
	// Groups are the groups the selection went through.
	Groups []string
	// Targets are the selected targets.
	Targets []string
	// Linked are the targets reached only through `target:` contexts of
	// the printed ones; bake prints them with a cacheonly output.
	Linked []string
}

// PrintJSON renders set as the JSON document `docker buildx bake --print`
// prints for the same files and flags, byte for byte: the same keys and
// order, outputs, caches and attestations as objects, "${" escaped as
// "$${", a "default" group holding the selected names, a cacheonly output
// for targets only reached through `target:` links, entitlements of
// linked targets added to the targets that use them, and
// SOURCE_DATE_EPOCH from the environment in args. Paths are printed as
// written, relative to the working directory as bake sees them, not
// resolved against the declaring file as Targets are.
func (c *Config) PrintJSON(set PrintSet) ([]byte, hcl.Diagnostics) {
	var buf bytes.Buffer
	diags := c.WritePrintJSON(&buf, set)
	if diags.HasErrors() {
		return nil, diags
	}
	return buf.Bytes(), diags
}

// WritePrintJSON writes what PrintJSON returns to w, one target at a time,
// so printing thousands of targets needs little memory. Nothing is written
// when a target cannot be printed.
func (c *Config) WritePrintJSON(w io.Writer, set PrintSet) hcl.Diagnostics {
	if c.print == nil {
		return hcl.Diagnostics{errorDiag("Nothing to print", "The configuration did not load.", nil)}
	}
	targets := make(map[string]*bakeTarget, len(set.Targets)+len(set.Linked))
	for _, name := range set.Targets {
		bt, ok := c.print.targets[name]
		if !ok {
			return hcl.Diagnostics{errorDiag("Unknown target", fmt.Sprintf("There is no target named %q.", name), nil)}
		}
		targets[name] = bt.copy()
	}
	for _, name := range set.Linked {
		bt, ok := c.print.targets[name]
		if !ok {
			return hcl.Diagnostics{errorDiag("Unknown target", fmt.Sprintf("There is no target named %q.", name), nil)}
		}
		if _, selected := targets[name]; !selected {
			t := bt.copy()
			t.vals[outputAttr.index] = []*exportEntry{{Type: "cacheonly"}}
			targets[name] = t
		}
	}
	names := sortedKeys(targets)
	if c.print.relative {
		for _, t := range targets {
			rebaseTarget(t)
		}
	}
	done := map[string]bool{}
	for _, name := range names {
		linkEntitlements(name, targets, done)
	}
	if epoch := c.print.env["SOURCE_DATE_EPOCH"]; epoch != "" {
		for _, t := range targets {
			args, _ := t.vals[argsAttr.index].(map[string]*string)
			if _, ok := args["SOURCE_DATE_EPOCH"]; !ok {
				t.vals[argsAttr.index] = mergeNullableMap(args, map[string]*string{"SOURCE_DATE_EPOCH": &epoch})
			}
		}
	}
	// Every error must come before any output.
	var diags hcl.Diagnostics
	for _, name := range names {
		if d := c.printable(targets[name]); d != nil {
			diags = append(diags, d)
		}
		if t := c.Targets[name]; t != nil {
			diags = append(diags, checkSources(t, c.print.env)...)
		}
	}
	if diags.HasErrors() {
		return diags
	}

	bw := bufio.NewWriter(w)
	jw := &jsonWriter{}
	jw.beginObject()
	if groups := c.printGroups(set); len(groups) > 0 {
		jw.key("group")
		printGroups(jw, groups)
	}
	jw.key("target")
	jw.beginObject()
	for _, name := range names {
		jw.key(name)
		printTarget(jw, targets[name])
		// Flush each target so the buffer stays small.
		if _, err := bw.Write(jw.buf); err != nil {
			return hcl.Diagnostics{errorDiag("Cannot write output", err.Error(), nil)}
		}
		jw.buf = jw.buf[:0]
		delete(targets, name)
	}
	jw.endObject()
	jw.endObject()
	jw.buf = append(jw.buf, '\n')
	bw.Write(jw.buf)
	if err := bw.Flush(); err != nil {
		return hcl.Diagnostics{errorDiag("Cannot write output", err.Error(), nil)}
	}
	return nil
}

// rebaseTarget rebases t's contexts as bake does with
// BUILDX_BAKE_FILE_RELATIVE_PATHS=1 (t is print's own copy).
func rebaseTarget(t *bakeTarget) {
	for i, a := range TargetAttributes {
		if r, ok := a.ops.(rebaser); ok {
			t.vals[i] = r.rebase(t.vals[i], t)
		}
	}
}

// printGroups writes groups as bake prints them.
func printGroups(w *jsonWriter, groups []Group) {
	w.beginObject()
	for _, g := range groups {
		w.key(g.Name)
		w.beginObject()
		if g.Description != "" {
			w.key("description")
			w.str(g.Description)
		}
		w.key("targets")
		if g.Targets == nil {
			w.null()
		} else {
			w.strings(g.Targets, nil)
		}
		w.endObject()
	}
	w.endObject()
}

// printTarget writes one target: every attribute in table order, as bake
// prints it.
func printTarget(w *jsonWriter, t *bakeTarget) {
	w.beginObject()
	for i, a := range TargetAttributes {
		if a.ops != nil {
			a.ops.print(a.Name, t.vals[i], w)
		}
	}
	w.endObject()
}

// printable reports the values bake refuses to print.
func (c *Config) printable(t *bakeTarget) *hcl.Diagnostic {
	for i, a := range TargetAttributes {
		sc, ok := a.ops.(stdinChecker)
		if !ok {
			continue
		}
		if what, refused := sc.stdinRefused(t.vals[i]); refused {
			var rng *hcl.Range
			if ct := c.Targets[t.Name]; ct != nil {
				if r, ok := ct.AttrRanges[a.Name]; ok {
					rng = &r
				}
			}
			return errorDiag("Invalid "+a.Name, fmt.Sprintf("Target %q: a %s from standard input is not allowed.", t.Name, what), rng)
		}
	}
	return nil
}

// linkEntitlements adds the entitlements of every target name links to,
// transitively, to its own, as bake does for linked targets.
func linkEntitlements(name string, targets map[string]*bakeTarget, done map[string]bool) {
	if done[name] {
		return
	}
	done[name] = true
	t := targets[name]
	contexts, _ := t.vals[contextsAttr.index].(map[string]pathValue)
	for _, k := range sortedKeys(contexts) {
		link, ok := strings.CutPrefix(contexts[k].path, "target:")
		if !ok || targets[link] == nil {
			continue
		}
		linkEntitlements(link, targets, done)
		own := t.strings(entitlementsAttr)
		added := own
		for _, e := range targets[link].strings(entitlementsAttr) {
			if !slices.Contains(added, e) {
				added = append(slices.Clip(added), e)
			}
		}
		if len(added) != len(own) {
			t.vals[entitlementsAttr.index] = added
		}
	}
}

// printGroups returns the groups print shows, sorted by name, as bake's
// ReadTargets makes them: the groups the selection went through, and a
// "default" group holding the selected names (added to the file's own
// default group when the selection went through it).
func (c *Config) printGroups(set PrintSet) []Group {
	groups := map[string]Group{}
	for _, name := range set.Groups {
		if g := c.Groups[name]; g != nil {
			cp := *g
			cp.Targets = slices.Clone(g.Targets)
			groups[name] = cp
		}
	}
	for _, name := range set.Names {
		def, ok := groups["default"]
		if ok && name == "default" {
			continue
		}
		if !ok {
			def = Group{Name: "default"}
		}
		def.Targets = append(def.Targets, name)
		groups["default"] = def
	}
	if def, ok := groups["default"]; ok {
		def.Targets = dedupStrings(def.Targets)
		sort.Strings(def.Targets)
		groups["default"] = def
	}
	out := make([]Group, 0, len(groups))
	for _, name := range sortedKeys(groups) {
		out = append(out, groups[name])
	}
	return out
}

// isBakeRemoteURL mirrors the check bake applies before cleaning a context
// path: git and HTTP(S) URLs are left alone.
func isBakeRemoteURL(p string) bool {
	if strings.HasPrefix(p, "http://") || strings.HasPrefix(p, "https://") || strings.HasPrefix(p, "git://") || strings.HasPrefix(p, "git@") || strings.HasPrefix(p, "ssh://") {
		return true
	}
	return strings.HasPrefix(p, "github.com/") || strings.Contains(p, ".git#") || strings.HasSuffix(p, ".git")
}
