package config

import (
	"fmt"
	"maps"
	"strconv"
	"strings"

	"github.com/tonistiigi/go-csvvalue"
	"github.com/zclconf/go-cty/cty"
)

// This file holds the item types of the list attributes bake accepts either
// as CSV strings or as objects: output, cache-from/cache-to, secret, ssh and
// attest. Each type says, in one place, how its CSV and object forms parse
// (as bake's buildflags parse them), which items are duplicates, what a
// `target.NAME.ATTR` reference sees, how bake prints it and what orch's
// Target holds for it. Every item keeps the directory of the file (or the
// working directory, for --set) its relative paths resolve against.

// entryType describes one item type to the entry-list kind (kinds.go).
type entryType[E any] struct {
	// what names an item in messages: "output", "cache entry", ...
	what string
	// keys are the object keys the schema documents (others may be
	// allowed).
	keys []string
	// closed: an object item has only keys; bake ignores any other, and
	// orch warns (secret, ssh).
	closed bool
	// csv parses the string form; a cache string may hold several
	// references, so it may yield several items.
	csv func(s, dir string) ([]E, error)
	// object parses the object form.
	object func(v cty.Value, dir string) (E, error)
	// norm removes duplicates as bake's Normalize does.
	norm func([]E) []E
	// ref converts an item for `target.NAME.ATTR`; refType is the element
	// type of the list it goes into.
	ref     func(E) cty.Value
	refType cty.Type
	// print writes the item as bake prints it.
	print func(E, *jsonWriter)
}

// single adapts a parser of one item to entryType.csv.
func single[E any](parse func(s, dir string) (E, error)) func(s, dir string) ([]E, error) {
	return func(s, dir string) ([]E, error) {
		e, err := parse(s, dir)
		if err != nil {
			return nil, err
		}
		return []E{e}, nil
	}
}

// exportEntry is one output as bake holds it.
type exportEntry struct {
	Type  string
	Attrs map[string]string
	Dest  string
	dir   string // directory a relative dest is resolved against
}

var outputEntries = &entryType[*exportEntry]{
	what: "output",
	keys: []string{"type", "dest"},
	csv:  single(parseExport),
	object: func(v cty.Value, dir string) (*exportEntry, error) {
		m, err := entryMap(v)
		if err != nil {
			return nil, err
		}
		e := &exportEntry{Type: m["type"], Dest: m["dest"], dir: dir}
		delete(m, "type")
		delete(m, "dest")
		e.Attrs = m
		if e.Type == "" {
			return nil, decodeErrorf("Each output needs a type, e.g. {type = \"local\", dest = \"out\"}.")
		}
		return e, nil
	},
	norm: func(s []*exportEntry) []*exportEntry {
		return removeDupes(s, func(a, b *exportEntry) bool {
			return a.Type == b.Type && a.Dest == b.Dest && maps.Equal(a.Attrs, b.Attrs)
		})
	},
	ref: func(e *exportEntry) cty.Value {
		m := stringMapVals(e.Attrs)
		m["type"] = cty.StringVal(e.Type)
		m["dest"] = cty.StringVal(e.Dest)
		return cty.MapVal(m)
	},
	refType: cty.Map(cty.String),
	print: func(e *exportEntry, w *jsonWriter) {
		m := cloneMap(e.Attrs)
		m["type"] = e.Type
		if e.Dest != "" {
			m["dest"] = e.Dest
		}
		w.stringMap(m)
	},
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

// resolveOutputs gives every output its typed form, with a local dest
// resolved against the directory of the file that set it.
func resolveOutputs(es []*exportEntry, r *resolver) []Output {
	var out []Output
	for _, e := range es {
		dest := e.Dest
		if localOutput(e.Type) && dest != "" && dest != "-" {
			dest = resolvePath(r.dirOr(e.dir), dest)
		}
		out = append(out, NewOutput(e.Type, dest, e.Attrs))
	}
	return out
}

// localOutput reports whether an exporter type writes dest on the local
// file system.
func localOutput(typ string) bool {
	switch typ {
	case "local", "tar", "oci", "docker":
		return true
	}
	return false
}

// setPush applies --set NAME.push=BOOL to outputs as bake does.
func setPush(outputs []*exportEntry, push bool, dir string) []*exportEntry {
	outputs = append([]*exportEntry(nil), outputs...)
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
	return append(append([]*exportEntry(nil), outputs...), &exportEntry{Type: "docker", dir: dir})
}

// cacheEntry is one cache-from or cache-to item.
type cacheEntry struct {
	Type  string
	Attrs map[string]string
	dir   string
}

var cacheEntries = &entryType[*cacheEntry]{
	what: "cache entry",
	keys: []string{"type"},
	csv:  parseCacheList,
	object: func(v cty.Value, dir string) (*cacheEntry, error) {
		m, err := entryMap(v)
		if err != nil {
			return nil, err
		}
		e := &cacheEntry{Type: m["type"], dir: dir}
		delete(m, "type")
		e.Attrs = m
		if e.Type == "" {
			return nil, decodeErrorf("Each cache entry needs a type, e.g. {type = \"registry\", ref = \"user/app:cache\"}.")
		}
		return e, nil
	},
	norm: func(s []*cacheEntry) []*cacheEntry {
		return removeDupes(s, func(a, b *cacheEntry) bool { return a.Type == b.Type && maps.Equal(a.Attrs, b.Attrs) })
	},
	ref: func(e *cacheEntry) cty.Value {
		m := stringMapVals(e.Attrs)
		m["type"] = cty.StringVal(e.Type)
		return cty.MapVal(m)
	},
	refType: cty.Map(cty.String),
	print: func(e *cacheEntry, w *jsonWriter) {
		m := cloneMap(e.Attrs)
		m["type"] = e.Type
		w.stringMap(m)
	},
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

// resolveCaches resolves the src and dest of local caches against the
// directory of the file that set them.
func resolveCaches(es []*cacheEntry, r *resolver) []Entry {
	var out []Entry
	for _, e := range es {
		attrs := cloneMap(e.Attrs)
		if e.Type == "local" {
			for _, k := range []string{"src", "dest"} {
				if v, ok := attrs[k]; ok && v != "" {
					attrs[k] = resolvePath(r.dirOr(e.dir), v)
				}
			}
		}
		out = append(out, Entry{Type: e.Type, Attrs: attrs})
	}
	return out
}

// secretEntry is one secret.
type secretEntry struct {
	ID, Src, Env string
	dir          string
}

// secretKeys are the keys of a secret's object form.
var secretKeys = []string{"id", "src", "env"}

var secretEntries = &entryType[*secretEntry]{
	what:   "secret",
	keys:   secretKeys,
	closed: true,
	csv:    single(parseSecret),
	object: func(v cty.Value, dir string) (*secretEntry, error) {
		m, err := entryMap(v)
		if err != nil {
			return nil, err
		}
		return &secretEntry{ID: m["id"], Src: m["src"], Env: m["env"], dir: dir}, nil
	},
	norm: func(s []*secretEntry) []*secretEntry {
		return removeDupesByKey(s, func(e *secretEntry) string { return e.ID })
	},
	ref: func(e *secretEntry) cty.Value {
		return cty.ObjectVal(map[string]cty.Value{"id": cty.StringVal(e.ID), "src": cty.StringVal(e.Src), "env": cty.StringVal(e.Env)})
	},
	refType: cty.Object(map[string]cty.Type{"id": cty.String, "src": cty.String, "env": cty.String}),
	print: func(e *secretEntry, w *jsonWriter) {
		w.beginObject()
		for _, kv := range [][2]string{{"id", e.ID}, {"src", e.Src}, {"env", e.Env}} {
			if kv[1] != "" {
				w.key(kv[0])
				w.str(kv[1])
			}
		}
		w.endObject()
	},
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

// resolveSecrets resolves every secret's src against the directory of the
// file that set it.
func resolveSecrets(es []*secretEntry, r *resolver) []Entry {
	var out []Entry
	for _, s := range es {
		attrs := map[string]string{}
		if s.ID != "" {
			attrs["id"] = s.ID
		}
		if s.Src != "" {
			attrs["src"] = resolvePath(r.dirOr(s.dir), s.Src)
		}
		if s.Env != "" {
			attrs["env"] = s.Env
		}
		out = append(out, Entry{Attrs: attrs})
	}
	return out
}

// updateSecret applies --set TARGET.secret.ID=VALUE to a declared secret.
func updateSecret(secrets []*secretEntry, target, id, value, dir string) ([]*secretEntry, error) {
	for i, s := range secrets {
		if s.ID != id {
			continue
		}
		next, err := parseSecret(value, dir)
		if err != nil {
			return nil, fmt.Errorf("--set secret.%s: %w", id, err)
		}
		if next.ID != "" && next.ID != id {
			return nil, fmt.Errorf("--set secret.%s: the value names secret %q", id, next.ID)
		}
		c := *s
		c.Env, c.Src, c.dir = next.Env, next.Src, dir
		out := append([]*secretEntry(nil), secrets...)
		out[i] = &c
		return out, nil
	}
	return nil, fmt.Errorf("--set secret.%s: target %q declares no secret %q to override", id, target, id)
}

// sshEntry is one ssh item.
type sshEntry struct {
	ID    string
	Paths []string
	dir   string
}

// sshKeys are the keys of an ssh item's object form.
var sshKeys = []string{"id", "paths"}

var sshEntries = &entryType[*sshEntry]{
	what:   "ssh",
	keys:   sshKeys,
	closed: true,
	csv: func(s, dir string) ([]*sshEntry, error) {
		return []*sshEntry{parseSSH(s, dir)}, nil
	},
	object: func(v cty.Value, dir string) (*sshEntry, error) {
		if !v.Type().IsObjectType() && !v.Type().IsMapType() {
			return nil, decodeErrorf("Each ssh item must be a string or an object {id, paths}, but one is %s.", describe(v))
		}
		e := &sshEntry{dir: dir}
		for k, av := range v.AsValueMap() {
			switch k {
			case "id":
				s, _, err := decodeString(av)
				if err != nil {
					return nil, decodeErrorf("The ssh id must be a string.")
				}
				e.ID = s
			case "paths":
				p, err := decodeStringList(av)
				if err != nil {
					return nil, decodeErrorf("The ssh paths must be a list of strings.")
				}
				e.Paths = p
			}
		}
		return e, nil
	},
	norm: func(s []*sshEntry) []*sshEntry {
		return removeDupesByKey(s, func(e *sshEntry) string { return e.ID })
	},
	ref: func(e *sshEntry) cty.Value {
		paths := cty.ListValEmpty(cty.String)
		if len(e.Paths) > 0 {
			paths = listVal(e.Paths)
		}
		return cty.ObjectVal(map[string]cty.Value{"id": cty.StringVal(e.ID), "paths": paths})
	},
	refType: cty.Object(map[string]cty.Type{"id": cty.String, "paths": cty.List(cty.String)}),
	print: func(e *sshEntry, w *jsonWriter) {
		w.beginObject()
		if e.ID != "" {
			w.key("id")
			w.str(e.ID)
		}
		if len(e.Paths) > 0 {
			w.key("paths")
			w.strings(e.Paths, nil)
		}
		w.endObject()
	},
}

func parseSSH(s, dir string) *sshEntry {
	id, paths, ok := strings.Cut(s, "=")
	e := &sshEntry{ID: id, dir: dir}
	if ok {
		e.Paths = strings.Split(paths, ",")
	}
	return e
}

// resolveSSH resolves every key path against the directory of the file
// that set it; Target holds the paths comma-separated.
func resolveSSH(es []*sshEntry, r *resolver) []Entry {
	var out []Entry
	for _, s := range es {
		attrs := map[string]string{"id": s.ID}
		if len(s.Paths) > 0 {
			paths := make([]string, len(s.Paths))
			for i, p := range s.Paths {
				paths[i] = resolvePath(r.dirOr(s.dir), p)
			}
			attrs["paths"] = strings.Join(paths, ",")
		}
		out = append(out, Entry{Attrs: attrs})
	}
	return out
}

// attestEntry is one attestation.
type attestEntry struct {
	Type     string
	Disabled bool
	Attrs    map[string]string
}

var attestEntries = &entryType[*attestEntry]{
	what: "attestation",
	keys: []string{"type", "disabled"},
	csv:  single(func(s, _ string) (*attestEntry, error) { return parseAttest(s) }),
	object: func(v cty.Value, _ string) (*attestEntry, error) {
		m, err := entryMap(v)
		if err != nil {
			return nil, err
		}
		e := &attestEntry{Attrs: map[string]string{}}
		for k, s := range m {
			switch k {
			case "type":
				e.Type = s
			case "disabled":
				b, err := strconv.ParseBool(s)
				if err != nil {
					return nil, decodeErrorf("The attestation's disabled value %q is not a bool.", s)
				}
				e.Disabled = b
			default:
				e.Attrs[k] = s
			}
		}
		return e, nil
	},
	norm: func(s []*attestEntry) []*attestEntry {
		return removeDupesByKey(s, func(e *attestEntry) string { return e.Type })
	},
	ref: func(e *attestEntry) cty.Value {
		m := stringMapVals(e.Attrs)
		m["type"] = cty.StringVal(e.Type)
		if e.Disabled {
			m["disabled"] = cty.StringVal("true")
		}
		return cty.MapVal(m)
	},
	refType: cty.Map(cty.String),
	print: func(e *attestEntry, w *jsonWriter) {
		// bake prints disabled as a bool among the string attributes,
		// keys sorted.
		keys := make([]string, 0, len(e.Attrs)+2)
		for k := range e.Attrs {
			if k != "type" && k != "disabled" {
				keys = append(keys, k)
			}
		}
		keys = append(keys, "type")
		if e.Disabled {
			keys = append(keys, "disabled")
		}
		w.beginObject()
		for _, k := range sortedStrings(keys) {
			w.key(k)
			switch k {
			case "type":
				w.str(e.Type)
			case "disabled":
				w.boolean(true)
			default:
				w.str(e.Attrs[k])
			}
		}
		w.endObject()
	},
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

// resolveAttests gives Target every attestation with disabled as an
// attribute.
func resolveAttests(es []*attestEntry, _ *resolver) []Entry {
	var out []Entry
	for _, a := range es {
		attrs := cloneMap(a.Attrs)
		if a.Disabled {
			attrs["disabled"] = "true"
		}
		out = append(out, Entry{Type: a.Type, Attrs: attrs})
	}
	return out
}

// removeDupes drops later duplicates the way bake does: walking backwards,
// a duplicate is swapped with the last element and cut off. The swap
// reorders the tail, and bake's output shows that order, so it is kept. A
// list without duplicates is returned as it is; otherwise s is left alone
// and a new list returned.
func removeDupes[E any](s []E, equal func(a, b E) bool) []E {
	if len(s) == 0 {
		return nil
	}
	dupes := false
	for i := 0; i < len(s) && !dupes; i++ {
		for j := i + 1; j < len(s); j++ {
			if equal(s[i], s[j]) {
				dupes = true
				break
			}
		}
	}
	if !dupes {
		return s
	}
	s = append([]E(nil), s...)
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
	if len(s) == 0 {
		return nil
	}
	dupes := false
	for i := 0; i < len(s) && !dupes; i++ {
		for j := i + 1; j < len(s); j++ {
			if key(s[i]) == key(s[j]) {
				dupes = true
				break
			}
		}
	}
	if !dupes {
		return s
	}
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

func cloneMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	return out
}
