package config

import (
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// override is the accumulated effect of every --set for one target and key,
// as bake accumulates them.
type override struct {
	key      string // normalized: "arg.NAME", "tag", "output", ...
	value    string
	arr      []string
	appendTo bool
	clear    bool
}

// setKeys lists the keys --set accepts (after alias normalization), with
// whether each takes a sub-key (".NAME").
var setKeys = map[string]bool{
	"context": false, "dockerfile": false, "arg": true, "contexts": true, "label": true,
	"tag": false, "cache-from": false, "cache-to": false, "target": false, "call": false,
	"secret": false, "ssh": false, "platform": false, "output": false, "entitlement": false,
	"annotation": false, "attest": false, "no-cache": false, "no-cache-filter": false,
	"shm-size": false, "ulimit": false, "network": false, "pull": false, "push": false,
	"load": false, "extra-host": true,
}

// setAliases maps the plural spellings bake also accepts.
var setAliases = map[string]string{
	"annotations": "annotation", "args": "arg", "entitlements": "entitlement",
	"extra-hosts": "extra-host", "labels": "label", "platforms": "platform",
	"tags": "tag", "ulimits": "ulimit", "secrets": "secret",
}

// listKeys are keys whose values accumulate into a list and support +=.
var listKeys = map[string]bool{
	"output": true, "cache-to": true, "cache-from": true, "tag": true, "platform": true,
	"ssh": true, "attest": true, "entitlement": true, "annotation": true, "ulimit": true,
	"no-cache-filter": true,
}

func setError(format string, args ...any) *hcl.Diagnostic {
	return errorDiag("Invalid --set override", fmt.Sprintf(format, args...), nil)
}

// parseSets turns --set flags into per-target overrides, in the order the
// keys first appear. Patterns match target names (globs allowed).
func (l *loader) parseSets() {
	l.overrides = map[string][]*override{}
	for _, s := range l.opts.Sets {
		lhs, value, hasValue := strings.Cut(s, "=")
		appendTo := strings.HasSuffix(lhs, "+")
		lhs = strings.TrimSuffix(lhs, "+")
		keys := strings.SplitN(lhs, ".", 3)
		if len(keys) < 2 {
			l.add(setError("%q: expected TARGET.KEY=VALUE, e.g. app.tags=app:dev.", s))
			continue
		}
		key, written := keys[1], keys[1]
		if a, ok := setAliases[key]; ok {
			if key == "secrets" && len(keys) != 2 {
				l.add(setError("%q: secrets does not take a sub-key; use secret.ID=VALUE.", s))
				continue
			}
			key = a
		}
		sub, known := setKeys[key]
		if !known {
			if key == "policy" || key == "resource" || key == "resources" {
				l.add(setError("%q: orch does not support the bake key %q.", s, key))
				continue
			}
			valid := sortedKeys(setKeys)
			l.add(setError("%q: unknown key %q;%s", s, key, suggestionOr(key, append(valid, sortedKeys(setAliases)...), " valid keys are "+strings.Join(valid, ", ")+".")))
			continue
		}
		switch {
		case key == "secret" && len(keys) == 3:
			if appendTo {
				l.add(setError("%q: secret.ID does not support +=.", s))
				continue
			}
		case sub && len(keys) != 3:
			l.add(setError("%q: %s needs a name: TARGET.%s.NAME=VALUE.", s, written, written))
			continue
		case !sub && len(keys) != 2:
			l.add(setError("%q: %s does not take a sub-key.", s, written))
			continue
		}
		if !hasValue && key != "arg" {
			l.add(setError("%q: expected TARGET.KEY=VALUE.", s))
			continue
		}
		if appendTo && !listKeys[key] && key != "secret" {
			l.add(setError("%q: %s does not support +=; only list keys do.", s, written))
			continue
		}
		names, d := l.matchTargets(keys[0])
		if d != nil {
			l.add(d)
			continue
		}
		okey := key
		if len(keys) == 3 {
			okey = key + "." + keys[2]
		}
		if key == "arg" && !hasValue {
			v, ok := l.env[keys[2]]
			if !ok {
				continue
			}
			value = v
		}
		for _, name := range names {
			var o *override
			for _, existing := range l.overrides[name] {
				if existing.key == okey {
					o = existing
				}
			}
			if o == nil {
				o = &override{key: okey}
				l.overrides[name] = append(l.overrides[name], o)
			}
			if listKeys[key] || (key == "secret" && len(keys) == 2) {
				if !appendTo && value == "" {
					o.clear, o.arr = true, nil
				} else {
					o.arr = append(o.arr, value)
				}
				o.appendTo = appendTo && !o.clear
			} else {
				o.value = value
			}
		}
	}
}

// matchTargets expands a --set pattern: an exact target name, or a glob
// over all target names.
func (l *loader) matchTargets(pattern string) ([]string, *hcl.Diagnostic) {
	if _, ok := l.targets[pattern]; ok {
		return []string{pattern}, nil
	}
	var names []string
	for _, name := range l.targetNames {
		ok, err := path.Match(pattern, name)
		if err != nil {
			return nil, setError("invalid target pattern %q: %v.", pattern, err)
		}
		if ok {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return nil, setError("no target matches %q.%s", pattern, didYouMean(pattern, l.targetNames))
	}
	return names, nil
}

// parseValues parses every non-empty value of a list override with parse;
// what names an entry in the error.
func parseValues[E any](o *override, what string, parse func(string) ([]E, error)) ([]E, error) {
	var out []E
	for _, v := range o.arr {
		if v == "" {
			continue
		}
		es, err := parse(v)
		if err != nil {
			return nil, fmt.Errorf("--set %s: invalid %s %q: %w", o.key, what, v, err)
		}
		out = append(out, es...)
	}
	return out, nil
}

// setList sets a list attribute from an override: += merges the entries
// in, = replaces the list.
func setList[E any](dst *[]E, entries []E, appendTo bool, norm func([]E) []E) {
	if appendTo {
		*dst = mergeList(*dst, entries, norm)
	} else {
		*dst = entries
	}
}

// applyOverrides applies a target's overrides as bake's AddOverrides does.
// Relative paths in values given on the command line resolve against the
// working directory.
func (l *loader) applyOverrides(t *bakeTarget, overrides []*override) error {
	dir := l.workDir
	var secretUpdates []*override
	for _, o := range overrides {
		key, sub, _ := strings.Cut(o.key, ".")
		value := o.value
		switch key {
		case "context":
			t.Context, t.contextDir = &value, dir
		case "dockerfile":
			t.Dockerfile = &value
		case "arg":
			t.Args = mergeNullableMap(t.Args, map[string]*string{sub: &value})
		case "contexts":
			if t.Contexts == nil {
				t.Contexts, t.contextsDir = map[string]string{}, map[string]string{}
			}
			t.Contexts[sub], t.contextsDir[sub] = value, dir
		case "label":
			t.Labels = mergeNullableMap(t.Labels, map[string]*string{sub: &value})
		case "tag":
			if o.appendTo {
				t.Tags = appendStrings(t.Tags, o.arr)
			} else {
				t.Tags = cloneStrings(o.arr)
			}
		case "cache-from", "cache-to":
			entries, err := parseValues(o, "cache entry", func(v string) ([]*cacheEntry, error) { return parseCacheList(v, dir) })
			if err != nil {
				return err
			}
			dst := &t.CacheFrom
			if key == "cache-to" {
				dst = &t.CacheTo
			}
			setList(dst, entries, o.appendTo, normCaches)
		case "target":
			t.Target = &value
		case "call":
			t.Call = &value
		case "secret":
			if sub != "" {
				secretUpdates = append(secretUpdates, o)
				break
			}
			secrets, err := parseValues(o, "secret", func(v string) ([]*secretEntry, error) {
				s, err := parseSecret(v, dir)
				return []*secretEntry{s}, err
			})
			if err != nil {
				return err
			}
			setList(&t.Secrets, secrets, o.appendTo, normSecrets)
		case "ssh":
			keys, _ := parseValues(o, "ssh", func(v string) ([]*sshEntry, error) {
				return []*sshEntry{parseSSH(v, dir)}, nil
			})
			setList(&t.SSH, keys, o.appendTo, normSSH)
		case "platform":
			if o.appendTo {
				t.Platforms = appendStrings(t.Platforms, o.arr)
			} else {
				t.Platforms = cloneStrings(o.arr)
			}
		case "output":
			outs, err := parseValues(o, "output", func(v string) ([]*exportEntry, error) {
				e, err := parseExport(v, dir)
				return []*exportEntry{e}, err
			})
			if err != nil {
				return err
			}
			setList(&t.Outputs, outs, o.appendTo, normExports)
		case "entitlement":
			if o.clear {
				t.Entitlements = nil
			}
			t.Entitlements = appendStrings(t.Entitlements, o.arr)
		case "annotation":
			if o.clear {
				t.Annotations = nil
			}
			t.Annotations = appendStrings(t.Annotations, o.arr)
		case "attest":
			var attests []*attestEntry
			for _, v := range o.arr {
				a, err := parseAttest(v)
				if err != nil {
					return fmt.Errorf("--set attest: invalid attestation %q: %w", v, err)
				}
				attests = append(attests, a)
			}
			if o.clear {
				t.Attest = nil
			}
			t.Attest = mergeList(t.Attest, attests, normAttests)
		case "no-cache", "pull", "push", "load":
			b, err := strconv.ParseBool(value)
			if err != nil {
				return fmt.Errorf("--set %s: invalid value %q: want true or false", key, value)
			}
			switch key {
			case "no-cache":
				t.NoCache = &b
			case "pull":
				t.Pull = &b
			case "push":
				t.Outputs = setPush(t.Outputs, b, dir)
			case "load":
				t.Outputs = setLoad(t.Outputs, b, dir)
			}
		case "no-cache-filter":
			if o.appendTo {
				t.NoCacheFilter = appendStrings(t.NoCacheFilter, o.arr)
			} else {
				t.NoCacheFilter = cloneStrings(o.arr)
			}
		case "shm-size":
			t.ShmSize = &value
		case "ulimit":
			if o.appendTo {
				t.Ulimits = appendStrings(t.Ulimits, o.arr)
			} else {
				t.Ulimits = cloneStrings(o.arr)
			}
		case "network":
			t.NetworkMode = &value
		case "extra-host":
			t.ExtraHosts = mergeNullableMap(t.ExtraHosts, map[string]*string{sub: &value})
		}
	}
	for _, o := range secretUpdates {
		_, id, _ := strings.Cut(o.key, ".")
		if err := updateSecret(t, id, o.value, dir); err != nil {
			return err
		}
	}
	return nil
}

// updateSecret applies --set TARGET.secret.ID=VALUE to a declared secret.
func updateSecret(t *bakeTarget, id, value, dir string) error {
	for i, s := range t.Secrets {
		if s.ID != id {
			continue
		}
		next, err := parseSecret(value, dir)
		if err != nil {
			return fmt.Errorf("--set secret.%s: %w", id, err)
		}
		if next.ID != "" && next.ID != id {
			return fmt.Errorf("--set secret.%s: the value names secret %q", id, next.ID)
		}
		c := *s
		c.Env, c.Src, c.dir = next.Env, next.Src, dir
		t.Secrets[i] = &c
		return nil
	}
	return fmt.Errorf("--set secret.%s: target %q declares no secret %q to override", id, t.Name, id)
}

// overrideAttr maps a --set key to the attribute whose range it replaces.
var overrideAttr = map[string]string{
	"arg": "args", "label": "labels", "tag": "tags", "platform": "platforms",
	"entitlement": "entitlements", "annotation": "annotations", "ulimit": "ulimits",
	"extra-host": "extra-hosts", "push": "output", "load": "output",
}

// dropOverridden forgets the source ranges of attributes a --set replaced,
// so later messages do not point at a value that no longer applies.
func dropOverridden(ranges, contextRanges map[string]hcl.Range, overrides []*override) {
	for _, o := range overrides {
		key, sub, _ := strings.Cut(o.key, ".")
		if key == "contexts" {
			delete(contextRanges, sub)
			continue
		}
		attr := key
		if a, ok := overrideAttr[key]; ok {
			attr = a
		}
		delete(ranges, attr)
	}
}
