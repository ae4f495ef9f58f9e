package config

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/tonistiigi/go-csvvalue"
)

// bakeTarget holds a target exactly as bake computes it: raw, unresolved
// values, merged with bake's per-attribute rules. `orch print` renders it;
// Target (with file-relative paths resolved) is derived from it at the end.
//
// Every slice and map is owned by its bakeTarget: merge copies instead of
// sharing, so a parent resolved once can be merged into many children.
type bakeTarget struct {
	Name        string
	Description string
	Inherits    []string

	Annotations      []string
	Attest           []*attestEntry
	Context          *string
	Contexts         map[string]string
	Dockerfile       *string
	DockerfileInline *string
	Args             map[string]*string
	Labels           map[string]*string
	Tags             []string
	CacheFrom        []*cacheEntry
	CacheTo          []*cacheEntry
	Target           *string
	Secrets          []*secretEntry
	SSH              []*sshEntry
	Platforms        []string
	Outputs          []*exportEntry
	Pull             *bool
	NoCache          *bool
	NetworkMode      *string
	NoCacheFilter    []string
	ShmSize          *string
	Ulimits          []string
	Call             *string
	Entitlements     []string
	ExtraHosts       map[string]*string
	DependsOn        []string

	// contextDir is the directory Context is relative to: the directory
	// of the file whose block set it, or the working directory for --set.
	contextDir string
	// contextsDir does the same per Contexts key.
	contextsDir map[string]string
	// ranges maps an attribute name to the expression that set it last,
	// for the blocks of one name only; inherited ranges are combined once,
	// at the end, by attrRanges.
	ranges map[string]hcl.Range
	// contextRanges does the same per contexts key.
	contextRanges map[string]hcl.Range
}

// exportEntry is one output, printed as a flat object.
type exportEntry struct {
	Type  string
	Attrs map[string]string
	Dest  string
	dir   string // directory a relative dest is resolved against
}

// cacheEntry is one cache-from or cache-to item.
type cacheEntry struct {
	Type  string
	Attrs map[string]string
	dir   string
}

// secretEntry is one secret.
type secretEntry struct {
	ID, Src, Env string
	dir          string
}

// sshEntry is one ssh item.
type sshEntry struct {
	ID    string
	Paths []string
	dir   string
}

// attestEntry is one attestation.
type attestEntry struct {
	Type     string
	Disabled bool
	Attrs    map[string]string
}

func (e *exportEntry) equal(o *exportEntry) bool {
	return e.Type == o.Type && e.Dest == o.Dest && maps.Equal(e.Attrs, o.Attrs)
}

func (e *cacheEntry) equal(o *cacheEntry) bool {
	return e.Type == o.Type && maps.Equal(e.Attrs, o.Attrs)
}

// parseExport reads the CSV form of an output. A bare value is a local
// directory ("-" a tar stream on stdout), as for bake.
func parseExport(s, dir string) (*exportEntry, error) {
	fields, err := csvvalue.Fields(s, nil)
	if err != nil {
		return nil, err
	}
	e := &exportEntry{Attrs: map[string]string{}, dir: dir}
	if len(fields) == 1 && fields[0] == s && !strings.HasPrefix(s, "type=") {
		if s != "-" {
			e.Type, e.Dest = "local", s
			return e, nil
		}
		e.Type, e.Dest = "tar", s
		return e, nil
	}
	for _, field := range fields {
		key, value, ok := strings.Cut(field, "=")
		if !ok {
			return nil, fmt.Errorf("invalid value %s", field)
		}
		switch key = strings.TrimSpace(strings.ToLower(key)); key {
		case "type":
			e.Type = value
		case "dest":
			e.Dest = value
		default:
			e.Attrs[key] = value
		}
	}
	if e.Type == "" {
		return nil, fmt.Errorf("type is required for output")
	}
	return e, nil
}

// parseCacheList reads one CSV cache string. A value without "=" is a list
// of registry references, one entry each, as bake reads it.
func parseCacheList(s, dir string) ([]*cacheEntry, error) {
	if !strings.Contains(s, "=") {
		fields, err := csvvalue.Fields(s, nil)
		if err != nil {
			return nil, err
		}
		out := make([]*cacheEntry, 0, len(fields))
		for _, f := range fields {
			e, err := parseCache(f, dir)
			if err != nil {
				return nil, err
			}
			out = append(out, e)
		}
		return out, nil
	}
	e, err := parseCache(s, dir)
	if err != nil {
		return nil, err
	}
	return []*cacheEntry{e}, nil
}

func parseCache(s, dir string) (*cacheEntry, error) {
	fields, err := csvvalue.Fields(s, nil)
	if err != nil {
		return nil, err
	}
	if len(fields) == 1 && !strings.Contains(fields[0], "=") {
		return &cacheEntry{Type: "registry", Attrs: map[string]string{"ref": fields[0]}, dir: dir}, nil
	}
	e := &cacheEntry{Attrs: map[string]string{}, dir: dir}
	for _, field := range fields {
		key, value, ok := strings.Cut(field, "=")
		if !ok {
			return nil, fmt.Errorf("invalid value %s", field)
		}
		switch key = strings.ToLower(key); key {
		case "type":
			e.Type = value
		default:
			e.Attrs[key] = value
		}
	}
	if e.Type == "" {
		return nil, fmt.Errorf("type required for %q", s)
	}
	return e, nil
}

func parseSecret(s, dir string) (*secretEntry, error) {
	fields, err := csvvalue.Fields(s, nil)
	if err != nil {
		return nil, fmt.Errorf("parse csv secret: %w", err)
	}
	e := &secretEntry{dir: dir}
	var typ string
	for _, field := range fields {
		key, value, ok := strings.Cut(field, "=")
		key = strings.ToLower(key)
		if !ok {
			return nil, fmt.Errorf("invalid field '%s' must be a key=value pair", field)
		}
		switch key {
		case "type":
			if value != "file" && value != "env" {
				return nil, fmt.Errorf("unsupported secret type %q", value)
			}
			typ = value
		case "id":
			e.ID = value
		case "source", "src":
			e.Src = value
		case "env":
			e.Env = value
		default:
			return nil, fmt.Errorf("unexpected key '%s' in '%s'", key, field)
		}
	}
	if typ == "env" && e.Env == "" {
		e.Env, e.Src = e.Src, ""
	}
	return e, nil
}

func parseSSH(s, dir string) *sshEntry {
	id, paths, ok := strings.Cut(s, "=")
	e := &sshEntry{ID: id, dir: dir}
	if ok {
		e.Paths = strings.Split(paths, ",")
	}
	return e
}

func parseAttest(s string) (*attestEntry, error) {
	fields, err := csvvalue.Fields(s, nil)
	if err != nil {
		return nil, err
	}
	e := &attestEntry{Attrs: map[string]string{}}
	for _, field := range fields {
		key, value, ok := strings.Cut(field, "=")
		if !ok {
			return nil, fmt.Errorf("invalid value %s", field)
		}
		switch strings.TrimSpace(strings.ToLower(key)) {
		case "type":
			e.Type = value
		case "disabled":
			b, err := strconv.ParseBool(value)
			if err != nil {
				return nil, fmt.Errorf("invalid value %s: %w", field, err)
			}
			e.Disabled = b
		default:
			e.Attrs[key] = value
		}
	}
	if e.Type == "" {
		return nil, fmt.Errorf("attestation type not specified")
	}
	return e, nil
}

// removeDupes drops later duplicates the way bake does: walking backwards,
// a duplicate is swapped with the last element and cut off. The swap
// reorders the tail, and bake's output shows that order, so it is kept.
func removeDupes[E any](s []E, equal func(a, b E) bool) []E {
	for i := len(s) - 2; i >= 0; i-- {
		for j := i + 1; j < len(s); j++ {
			if equal(s[i], s[j]) {
				s[j], s[len(s)-1] = s[len(s)-1], s[j]
				s = s[:len(s)-1]
				break
			}
		}
	}
	return s
}

// removeDupesByKey keeps the first position of every key and the last value
// given for it (secrets and ssh by id, attestations by type).
func removeDupesByKey[E any](s []E, key func(E) string) []E {
	var res []E
	seen := map[string]int{}
	for _, e := range s {
		if i, ok := seen[key(e)]; ok {
			res[i] = e
		} else {
			seen[key(e)] = len(res)
			res = append(res, e)
		}
	}
	return res
}

// removeDupesStr drops duplicates and empty strings, keeping first
// occurrences in order.
func removeDupesStr(s []string) []string {
	if s == nil {
		return nil
	}
	out := s[:0]
	seen := make(map[string]struct{}, len(s))
	for _, v := range s {
		if _, ok := seen[v]; ok || v == "" {
			continue
		}
		seen[v] = struct{}{}
		out = append(out, v)
	}
	return out
}

func normExports(s []*exportEntry) []*exportEntry {
	if len(s) == 0 {
		return nil
	}
	return removeDupes(s, (*exportEntry).equal)
}

func normCaches(s []*cacheEntry) []*cacheEntry {
	if len(s) == 0 {
		return nil
	}
	return removeDupes(s, (*cacheEntry).equal)
}

func normSecrets(s []*secretEntry) []*secretEntry {
	if len(s) == 0 {
		return nil
	}
	return removeDupesByKey(s, func(e *secretEntry) string { return e.ID })
}

func normSSH(s []*sshEntry) []*sshEntry {
	if len(s) == 0 {
		return nil
	}
	return removeDupesByKey(s, func(e *sshEntry) string { return e.ID })
}

func normAttests(s []*attestEntry) []*attestEntry {
	if len(s) == 0 {
		return nil
	}
	return removeDupesByKey(s, func(e *attestEntry) string { return e.Type })
}

// mergeList appends b to a copy of a and normalizes the result, bake's
// Merge for the list types it merges.
func mergeList[E any](a, b []E, norm func([]E) []E) []E {
	if a == nil {
		return norm(slices.Clone(b))
	}
	out := make([]E, 0, len(a)+len(b))
	return norm(append(append(out, a...), b...))
}

// cloneStrings copies a list keeping nil and empty apart: an empty list set
// in a file replaces an inherited one.
func cloneStrings(s []string) []string {
	if s == nil {
		return nil
	}
	return append(make([]string, 0, len(s)), s...)
}

func appendStrings(a, b []string) []string {
	out := make([]string, 0, len(a)+len(b))
	return append(append(out, a...), b...)
}

// merge applies t2 on top of t with bake's rules: scalars are replaced when
// set, args/labels/extra-hosts/contexts merge per key, tags, platforms,
// cache-to and output are replaced, and annotations, attest, secret, ssh,
// cache-from, no-cache-filter, ulimits and entitlements are appended.
func (t *bakeTarget) merge(t2 *bakeTarget) {
	if t2.Context != nil {
		t.Context = t2.Context
		t.contextDir = t2.contextDir
	}
	if t2.Dockerfile != nil {
		t.Dockerfile = t2.Dockerfile
	}
	if t2.DockerfileInline != nil {
		t.DockerfileInline = t2.DockerfileInline
	}
	t.Args = mergeNullableMap(t.Args, t2.Args)
	for k, v := range t2.Contexts {
		if t.Contexts == nil {
			t.Contexts = map[string]string{}
			t.contextsDir = map[string]string{}
		}
		t.Contexts[k] = v
		t.contextsDir[k] = t2.contextsDir[k]
	}
	t.Labels = mergeNullableMap(t.Labels, t2.Labels)
	if t2.Tags != nil {
		t.Tags = cloneStrings(t2.Tags)
	}
	if t2.Target != nil {
		t.Target = t2.Target
	}
	if t2.Call != nil {
		t.Call = t2.Call
	}
	if t2.Annotations != nil {
		t.Annotations = appendStrings(t.Annotations, t2.Annotations)
	}
	if t2.Attest != nil {
		t.Attest = mergeList(t.Attest, t2.Attest, normAttests)
	}
	if t2.Secrets != nil {
		t.Secrets = mergeList(t.Secrets, t2.Secrets, normSecrets)
	}
	if t2.SSH != nil {
		t.SSH = mergeList(t.SSH, t2.SSH, normSSH)
	}
	if t2.Platforms != nil {
		t.Platforms = cloneStrings(t2.Platforms)
	}
	if t2.CacheFrom != nil {
		t.CacheFrom = mergeList(t.CacheFrom, t2.CacheFrom, normCaches)
	}
	if t2.CacheTo != nil {
		t.CacheTo = slices.Clone(t2.CacheTo)
	}
	if t2.Outputs != nil {
		t.Outputs = slices.Clone(t2.Outputs)
	}
	if t2.Pull != nil {
		t.Pull = t2.Pull
	}
	if t2.NoCache != nil {
		t.NoCache = t2.NoCache
	}
	if t2.NetworkMode != nil {
		t.NetworkMode = t2.NetworkMode
	}
	if t2.NoCacheFilter != nil {
		t.NoCacheFilter = appendStrings(t.NoCacheFilter, t2.NoCacheFilter)
	}
	if t2.ShmSize != nil {
		t.ShmSize = t2.ShmSize
	}
	if t2.Ulimits != nil {
		t.Ulimits = appendStrings(t.Ulimits, t2.Ulimits)
	}
	if t2.Description != "" {
		t.Description = t2.Description
	}
	if t2.Entitlements != nil {
		t.Entitlements = appendStrings(t.Entitlements, t2.Entitlements)
	}
	t.ExtraHosts = mergeNullableMap(t.ExtraHosts, t2.ExtraHosts)
	// depends_on is an orch addition; like tags it is replaced, so a
	// child can drop its parent's ordering.
	if t2.DependsOn != nil {
		t.DependsOn = cloneStrings(t2.DependsOn)
	}
	t.Inherits = appendStrings(t.Inherits, t2.Inherits)
}

// mergeRanges copies the source ranges of t2 over those of t; ranges are
// kept per block and per name, not per resolved target (see attrRanges).
func (t *bakeTarget) mergeRanges(t2 *bakeTarget) {
	for k, r := range t2.ranges {
		if t.ranges == nil {
			t.ranges = map[string]hcl.Range{}
		}
		t.ranges[k] = r
	}
	for k, r := range t2.contextRanges {
		if t.contextRanges == nil {
			t.contextRanges = map[string]hcl.Range{}
		}
		t.contextRanges[k] = r
	}
}

// mergeNullableMap copies b's non-null values over a copy of a.
func mergeNullableMap(a, b map[string]*string) map[string]*string {
	var out map[string]*string
	if a != nil {
		out = maps.Clone(a)
	}
	for k, v := range b {
		if v == nil {
			continue
		}
		if out == nil {
			out = map[string]*string{}
		}
		out[k] = v
	}
	return out
}

// normalize removes duplicates and empty values as bake does after every
// inherits level.
func (t *bakeTarget) normalize() {
	t.Annotations = removeDupesStr(t.Annotations)
	t.Attest = normAttests(t.Attest)
	t.Tags = removeDupesStr(t.Tags)
	t.Secrets = normSecrets(t.Secrets)
	t.SSH = normSSH(t.SSH)
	t.Platforms = removeDupesStr(t.Platforms)
	t.CacheFrom = normCaches(t.CacheFrom)
	t.CacheTo = normCaches(t.CacheTo)
	t.Outputs = normExports(t.Outputs)
	t.NoCacheFilter = removeDupesStr(t.NoCacheFilter)
	t.Ulimits = removeDupesStr(t.Ulimits)
	if t.NetworkMode != nil && *t.NetworkMode == "host" {
		t.Entitlements = append(t.Entitlements, "network.host")
	}
	t.Entitlements = removeDupesStr(t.Entitlements)
	t.DependsOn = removeDupesStr(t.DependsOn)
	for k, v := range t.Contexts {
		if v == "" {
			delete(t.Contexts, k)
		}
	}
	if len(t.Contexts) == 0 {
		t.Contexts = nil
	}
}

// setPush applies --set NAME.push=BOOL to outputs as bake does.
func setPush(outputs []*exportEntry, push bool, dir string) []*exportEntry {
	if !push {
		for i := 0; i < len(outputs); {
			switch outputs[i].Type {
			case "registry":
				outputs[i], outputs[len(outputs)-1] = outputs[len(outputs)-1], outputs[i]
				outputs = outputs[:len(outputs)-1]
				continue
			case "image":
				outputs[i] = withAttr(outputs[i], "push", "false")
			}
			i++
		}
		return outputs
	}
	add := true
	for i, o := range outputs {
		if o.Type != "docker" {
			add = false
		}
		if o.Type == "image" {
			outputs[i] = withAttr(o, "push", "true")
		}
	}
	if add {
		outputs = append(outputs, &exportEntry{Type: "image", Attrs: map[string]string{"push": "true"}, dir: dir})
	}
	return outputs
}

// withAttr returns a copy of e with one attribute set; entries may be
// shared with a parent target and are never changed in place.
func withAttr(e *exportEntry, k, v string) *exportEntry {
	c := *e
	c.Attrs = maps.Clone(e.Attrs)
	if c.Attrs == nil {
		c.Attrs = map[string]string{}
	}
	c.Attrs[k] = v
	return &c
}

// setLoad applies --set NAME.load=BOOL to outputs as bake does.
func setLoad(outputs []*exportEntry, load bool, dir string) []*exportEntry {
	if !load {
		return outputs
	}
	for _, o := range outputs {
		switch o.Type {
		case "docker":
			if o.Dest == "" {
				return outputs
			}
		case "image", "registry", "oci":
		default:
			return outputs
		}
	}
	return append(outputs, &exportEntry{Type: "docker", dir: dir})
}
