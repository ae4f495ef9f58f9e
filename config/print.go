package config

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// printData is what PrintJSON needs beyond the resolved Targets: bake's
// unresolved view of every target and the environment.
type printData struct {
	targets    map[string]*bakeTarget
	groupOrder []string
	env        map[string]string
	workDir    string
}

// PrintJSON renders the targets and groups that names select as the JSON
// document `docker buildx bake --print` prints for the same files and
// flags, byte for byte: the same keys and order, outputs, caches and
// attestations as objects, "${" escaped as "$${", a synthetic "default"
// group holding the selection, cacheonly output for targets only reached
// through `target:` links, and SOURCE_DATE_EPOCH from the environment in
// args. Paths are printed as written, relative to the working directory as
// bake sees them, not resolved against the declaring file as Targets are.
//
// With no names, "default" is selected. Names may be globs; "all" selects
// every target whose name does not start with "_" unless the files define
// a target or group called "all".
func (c *Config) PrintJSON(names []string) ([]byte, hcl.Diagnostics) {
	var buf bytes.Buffer
	diags := c.WritePrintJSON(&buf, names)
	if diags.HasErrors() {
		return nil, diags
	}
	return buf.Bytes(), diags
}

// WritePrintJSON writes what PrintJSON returns to w, one target at a time,
// so printing thousands of targets needs little memory. Nothing is written
// when the selection is invalid.
func (c *Config) WritePrintJSON(w io.Writer, names []string) hcl.Diagnostics {
	if c.print == nil {
		return hcl.Diagnostics{errorDiag("Nothing to print", "The configuration did not load.", nil)}
	}
	if len(names) == 0 {
		names = []string{"default"}
	}
	var selected []string
	for _, n := range names {
		n = strings.ReplaceAll(n, ".", "_")
		matched, d := c.matchNames(n)
		if d != nil {
			return hcl.Diagnostics{d}
		}
		selected = append(selected, matched...)
	}
	selected = dedupStrings(selected)

	targets := map[string]*bakeTarget{}
	groups := map[string]*Group{}
	for _, name := range selected {
		ts, gs := c.resolveGroup(name)
		for _, tn := range ts {
			bt, ok := c.print.targets[tn]
			if !ok {
				return hcl.Diagnostics{c.unknownTarget(tn)}
			}
			targets[tn] = copyBake(bt)
		}
		for _, gn := range gs {
			g := *c.Groups[gn]
			g.Targets = slices.Clone(g.Targets)
			groups[gn] = &g
		}
	}
	for _, name := range selected {
		if _, ok := groups["default"]; ok && name == "default" {
			continue
		}
		if _, ok := groups["default"]; !ok {
			groups["default"] = &Group{Name: "default"}
		}
		groups["default"].Targets = append(groups["default"].Targets, name)
	}
	if g, ok := groups["default"]; ok {
		g.Targets = dedupStrings(g.Targets)
		sort.Strings(g.Targets)
	}
	for _, name := range sortedKeys(targets) {
		if d := c.loadLinks(name, targets[name], targets, nil); d != nil {
			return hcl.Diagnostics{d}
		}
	}
	epoch := c.print.env["SOURCE_DATE_EPOCH"]
	for _, t := range targets {
		if _, ok := t.Args["SOURCE_DATE_EPOCH"]; ok || epoch == "" {
			continue
		}
		if t.Args == nil {
			t.Args = map[string]*string{}
		}
		e := epoch
		t.Args["SOURCE_DATE_EPOCH"] = &e
	}
	// Render every target first: any error must come before output.
	names = sortedKeys(targets)
	rendered := make([][]byte, len(names))
	for i, n := range names {
		pt, d := c.printTarget(targets[n])
		if d != nil {
			return hcl.Diagnostics{d}
		}
		b, err := json.MarshalIndent(pt, "    ", "  ")
		if err != nil {
			return hcl.Diagnostics{errorDiag("Cannot render JSON", err.Error(), nil)}
		}
		rendered[i] = b
		delete(targets, n)
	}
	bw := bufio.NewWriter(w)
	bw.WriteString("{\n")
	if len(groups) > 0 {
		doc := map[string]*printGroup{}
		for n, g := range groups {
			doc[n] = &printGroup{Description: g.Description, Targets: g.Targets}
		}
		b, err := json.MarshalIndent(doc, "  ", "  ")
		if err != nil {
			return hcl.Diagnostics{errorDiag("Cannot render JSON", err.Error(), nil)}
		}
		bw.WriteString("  \"group\": ")
		bw.Write(b)
		bw.WriteString(",\n")
	}
	bw.WriteString("  \"target\": {")
	for i, n := range names {
		if i > 0 {
			bw.WriteString(",")
		}
		key, _ := json.Marshal(n)
		bw.WriteString("\n    ")
		bw.Write(key)
		bw.WriteString(": ")
		bw.Write(rendered[i])
		rendered[i] = nil
	}
	if len(names) > 0 {
		bw.WriteString("\n  ")
	}
	bw.WriteString("}\n}\n")
	if err := bw.Flush(); err != nil {
		return hcl.Diagnostics{errorDiag("Cannot write output", err.Error(), nil)}
	}
	return nil
}

// matchNames expands one selected name: globs match groups, then targets.
func (c *Config) matchNames(pattern string) ([]string, *hcl.Diagnostic) {
	if pattern == "all" && c.Targets["all"] == nil && c.Groups["all"] == nil {
		var names []string
		for _, n := range sortedTargetNames(c.Targets) {
			if !strings.HasPrefix(n, "_") {
				names = append(names, n)
			}
		}
		return names, nil
	}
	if !strings.ContainsAny(pattern, "*?[]") {
		return []string{pattern}, nil
	}
	var names []string
	for _, g := range c.print.groupOrder {
		if ok, err := path.Match(pattern, g); ok && err == nil {
			names = append(names, g)
		}
	}
	for _, t := range sortedTargetNames(c.Targets) {
		if ok, err := path.Match(pattern, t); ok && err == nil {
			names = append(names, t)
		}
	}
	if len(names) == 0 {
		return nil, errorDiag("No match", fmt.Sprintf("No target or group matches %q.", pattern), nil)
	}
	return names, nil
}

func (c *Config) unknownTarget(name string) *hcl.Diagnostic {
	var all []string
	for n := range c.Targets {
		all = append(all, n)
	}
	for n := range c.Groups {
		all = append(all, n)
	}
	return errorDiag("Unknown target", fmt.Sprintf("There is no target or group named %q.%s", name, didYouMean(name, all)), nil)
}

type visit struct{ targets, groups []string }

// resolveGroup expands a name into its targets and the groups on the way,
// as bake's ResolveGroup does (a name that is not a group is a target).
func (c *Config) resolveGroup(name string) ([]string, []string) {
	ts, gs := c.group(name, map[string]*visit{})
	return dedupStrings(ts), dedupStrings(gs)
}

func (c *Config) group(name string, visited map[string]*visit) ([]string, []string) {
	if v, ok := visited[name]; ok {
		return v.targets, v.groups
	}
	g := c.Groups[name]
	if g == nil {
		return []string{name}, nil
	}
	visited[name] = &visit{}
	var targets []string
	groups := []string{name}
	for _, t := range g.Targets {
		tt, tg := c.group(t, visited)
		if len(tt) > 0 {
			targets = append(targets, tt...)
		} else {
			targets = append(targets, t)
		}
		groups = append(groups, tg...)
	}
	visited[name] = &visit{targets: targets, groups: groups}
	return targets, groups
}

// loadLinks adds the targets reached through `target:` contexts, with a
// cacheonly output when they are not selected themselves, and propagates
// entitlements, as bake does.
func (c *Config) loadLinks(name string, t *bakeTarget, m map[string]*bakeTarget, visited []string) *hcl.Diagnostic {
	visited = append(visited, name)
	for _, k := range sortedKeys(t.Contexts) {
		link, ok := strings.CutPrefix(t.Contexts[k], "target:")
		if !ok {
			continue
		}
		var rng *hcl.Range
		if ct := c.Targets[name]; ct != nil {
			if r, ok := ct.ContextRanges[k]; ok {
				rng = &r
			}
		}
		if link == name {
			return errorDiag("Target links to itself", fmt.Sprintf("Target %q uses itself as context %q.", name, k), rng)
		}
		if slices.Contains(visited, link) {
			return errorDiag("Link cycle", fmt.Sprintf("Targets link to each other in a cycle: %s → %s.", strings.Join(visited, " → "), link), rng)
		}
		t2, ok := m[link]
		if !ok {
			bt, exists := c.print.targets[link]
			if !exists {
				return errorDiag("Unknown target in contexts", fmt.Sprintf("Context %q of target %q links to target %q, which does not exist.", k, name, link), rng)
			}
			t2 = copyBake(bt)
			t2.Outputs = []*exportEntry{{Type: "cacheonly"}}
			m[link] = t2
		}
		if d := c.loadLinks(link, t2, m, visited); d != nil {
			return d
		}
		for _, e := range t2.Entitlements {
			if !slices.Contains(t.Entitlements, e) {
				t.Entitlements = append(t.Entitlements, e)
			}
		}
		if len(t.Platforms) > 1 && len(t2.Platforms) > 1 {
			for _, p := range t.Platforms {
				if !slices.Contains(t2.Platforms, p) {
					return errorDiag("Incompatible platforms", fmt.Sprintf("Target %s can't be used by %s because its platforms %v are not a subset of %v.", link, name, t.Platforms, t2.Platforms), rng)
				}
			}
		}
	}
	return nil
}

// copyBake returns a copy of t whose args, contexts, entitlements and
// outputs can be changed without touching t.
func copyBake(t *bakeTarget) *bakeTarget {
	c := *t
	c.Args = mergeNullableMap(t.Args, nil)
	c.Entitlements = cloneStrings(t.Entitlements)
	c.Outputs = slices.Clone(t.Outputs)
	return &c
}

type printGroup struct {
	Description string   `json:"description,omitempty"`
	Targets     []string `json:"targets"`
}

type printSecret struct {
	ID  string `json:"id,omitempty"`
	Src string `json:"src,omitempty"`
	Env string `json:"env,omitempty"`
}

type printSSH struct {
	ID    string   `json:"id,omitempty"`
	Paths []string `json:"paths,omitempty"`
}

// printTarget has bake's JSON field names and order.
type printTarget struct {
	Description      string              `json:"description,omitempty"`
	Annotations      []string            `json:"annotations,omitempty"`
	Attest           []map[string]any    `json:"attest,omitempty"`
	Context          *string             `json:"context,omitempty"`
	Contexts         map[string]string   `json:"contexts,omitempty"`
	Dockerfile       *string             `json:"dockerfile,omitempty"`
	DockerfileInline *string             `json:"dockerfile-inline,omitempty"`
	Args             map[string]*string  `json:"args,omitempty"`
	Labels           map[string]*string  `json:"labels,omitempty"`
	Tags             []string            `json:"tags,omitempty"`
	CacheFrom        []map[string]string `json:"cache-from,omitempty"`
	CacheTo          []map[string]string `json:"cache-to,omitempty"`
	Target           *string             `json:"target,omitempty"`
	Secrets          []printSecret       `json:"secret,omitempty"`
	SSH              []printSSH          `json:"ssh,omitempty"`
	Platforms        []string            `json:"platforms,omitempty"`
	Outputs          []map[string]string `json:"output,omitempty"`
	Pull             *bool               `json:"pull,omitempty"`
	NoCache          *bool               `json:"no-cache,omitempty"`
	NetworkMode      *string             `json:"network,omitempty"`
	NoCacheFilter    []string            `json:"no-cache-filter,omitempty"`
	ShmSize          *string             `json:"shm-size,omitempty"`
	Ulimits          []string            `json:"ulimits,omitempty"`
	Call             *string             `json:"call,omitempty"`
	Entitlements     []string            `json:"entitlements,omitempty"`
	ExtraHosts       map[string]*string  `json:"extra-hosts,omitempty"`
}

// escapeTemplate writes "${" and "%{" so that the printed JSON, read back as
// a bake file, yields the same strings.
func escapeTemplate(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "${", "$${"), "%{", "%%{")
}

func escapeMap(m map[string]*string) map[string]*string {
	if m == nil {
		return nil
	}
	out := make(map[string]*string, len(m))
	for k, v := range m {
		if v != nil {
			e := escapeTemplate(*v)
			v = &e
		}
		out[k] = v
	}
	return out
}

// printTarget converts a bake target for printing, cleaning the context
// path as bake does before it prints.
func (c *Config) printTarget(t *bakeTarget) (*printTarget, *hcl.Diagnostic) {
	rng := func(attr string) *hcl.Range {
		if ct := c.Targets[t.Name]; ct != nil {
			if r, ok := ct.AttrRanges[attr]; ok {
				return &r
			}
		}
		return nil
	}
	if t.Context != nil && *t.Context == "-" {
		return nil, errorDiag("Invalid context", fmt.Sprintf("Target %q: a context from standard input is not allowed.", t.Name), rng("context"))
	}
	if t.Dockerfile != nil && *t.Dockerfile == "-" {
		return nil, errorDiag("Invalid dockerfile", fmt.Sprintf("Target %q: a Dockerfile from standard input is not allowed.", t.Name), rng("dockerfile"))
	}
	ctx := *t.Context
	if rest, ok := strings.CutPrefix(ctx, "cwd://"); ok {
		ctx = path.Clean(rest)
	} else if !isBakeRemoteURL(ctx) {
		ctx = path.Clean(ctx)
	}
	p := &printTarget{
		Description:   t.Description,
		Context:       &ctx,
		Contexts:      t.Contexts,
		Dockerfile:    t.Dockerfile,
		Args:          escapeMap(t.Args),
		Labels:        escapeMap(t.Labels),
		Tags:          t.Tags,
		Target:        t.Target,
		Platforms:     t.Platforms,
		Pull:          t.Pull,
		NoCache:       t.NoCache,
		NetworkMode:   t.NetworkMode,
		NoCacheFilter: t.NoCacheFilter,
		ShmSize:       t.ShmSize,
		Ulimits:       t.Ulimits,
		Call:          t.Call,
		Entitlements:  t.Entitlements,
		ExtraHosts:    escapeMap(t.ExtraHosts),
	}
	for _, a := range t.Annotations {
		p.Annotations = append(p.Annotations, escapeTemplate(a))
	}
	if t.DockerfileInline != nil {
		e := escapeTemplate(*t.DockerfileInline)
		p.DockerfileInline = &e
	}
	for _, a := range t.Attest {
		m := map[string]any{"type": a.Type}
		for k, v := range a.Attrs {
			m[k] = v
		}
		m["type"] = a.Type
		if a.Disabled {
			m["disabled"] = true
		}
		p.Attest = append(p.Attest, m)
	}
	cache := func(src []*cacheEntry) []map[string]string {
		var out []map[string]string
		for _, e := range src {
			m := cloneMap(e.Attrs)
			m["type"] = e.Type
			out = append(out, m)
		}
		return out
	}
	p.CacheFrom = cache(t.CacheFrom)
	p.CacheTo = cache(t.CacheTo)
	for _, s := range t.Secrets {
		p.Secrets = append(p.Secrets, printSecret{ID: s.ID, Src: s.Src, Env: s.Env})
	}
	for _, s := range t.SSH {
		p.SSH = append(p.SSH, printSSH{ID: s.ID, Paths: s.Paths})
	}
	for _, o := range t.Outputs {
		m := cloneMap(o.Attrs)
		m["type"] = o.Type
		if o.Dest != "" {
			m["dest"] = o.Dest
		}
		p.Outputs = append(p.Outputs, m)
	}
	return p, nil
}

// isBakeRemoteURL mirrors the check bake applies before cleaning a context
// path: git and HTTP(S) URLs are left alone.
func isBakeRemoteURL(p string) bool {
	if strings.HasPrefix(p, "http://") || strings.HasPrefix(p, "https://") || strings.HasPrefix(p, "git://") || strings.HasPrefix(p, "git@") || strings.HasPrefix(p, "ssh://") {
		return true
	}
	return strings.HasPrefix(p, "github.com/") || strings.Contains(p, ".git#") || strings.HasSuffix(p, ".git")
}
