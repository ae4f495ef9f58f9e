package config

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"github.com/tonistiigi/go-csvvalue"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/gocty"
)

// Resources is bake's resources attribute: cgroup limits for the RUN steps
// of a target, as `docker buildx build --resource` takes them. A nil field
// is not set.
type Resources struct {
	Memory     *string
	MemorySwap *string
	CPUShares  *int64
	CPUPeriod  *int64
	CPUQuota   *int64
	CPUSetCPUs *string
	CPUSetMems *string
}

// resourceField is one key of resources, in the order bake prints them.
type resourceField struct {
	key string
	// str or num points at the field; one of them is set.
	str func(*Resources) **string
	num func(*Resources) **int64
}

var resourceFields = []resourceField{
	{key: "memory", str: func(r *Resources) **string { return &r.Memory }},
	{key: "memory-swap", str: func(r *Resources) **string { return &r.MemorySwap }},
	{key: "cpu-shares", num: func(r *Resources) **int64 { return &r.CPUShares }},
	{key: "cpu-period", num: func(r *Resources) **int64 { return &r.CPUPeriod }},
	{key: "cpu-quota", num: func(r *Resources) **int64 { return &r.CPUQuota }},
	{key: "cpuset-cpus", str: func(r *Resources) **string { return &r.CPUSetCPUs }},
	{key: "cpuset-mems", str: func(r *Resources) **string { return &r.CPUSetMems }},
}

// resourcesType is the object type bake converts a resources value to.
var resourcesType = func() cty.Type {
	attrs := map[string]cty.Type{}
	var optional []string
	for _, f := range resourceFields {
		attrs[f.key] = cty.String
		if f.num != nil {
			attrs[f.key] = cty.Number
		}
		optional = append(optional, f.key)
	}
	return cty.ObjectWithOptionalAttrs(attrs, optional)
}()

// resourcesKind is the resources attribute: an object whose keys merge one
// by one through inherits, as bake's ResourcesConfig.Merge.
type resourcesKind struct{}

func (resourcesKind) kind() Kind { return KindObject }

func (resourcesKind) entryKeys() []string {
	keys := make([]string, len(resourceFields))
	for i, f := range resourceFields {
		keys[i] = f.key
	}
	return keys
}

func (resourcesKind) decode(v cty.Value, _ origin) (any, error) {
	if v.IsNull() {
		return nil, nil
	}
	c, err := convert.Convert(v, resourcesType)
	if err != nil {
		return nil, decodeErrorf("An object of resource limits is required (%s): %v.", resourceKeys(), err)
	}
	r := &Resources{}
	for _, f := range resourceFields {
		a := c.GetAttr(f.key)
		if a.IsNull() || !a.IsKnown() {
			continue
		}
		if f.str != nil {
			s := a.AsString()
			*f.str(r) = &s
			continue
		}
		var n int64
		if err := gocty.FromCtyValue(a, &n); err != nil {
			return nil, decodeErrorf("The resource %s must be a whole number: %v.", f.key, err)
		}
		*f.num(r) = &n
	}
	return r, nil
}

func (resourcesKind) ref(v any) cty.Value {
	r, _ := v.(*Resources)
	if r == nil {
		return cty.NullVal(resourcesType)
	}
	vals := map[string]cty.Value{}
	for _, f := range resourceFields {
		switch {
		case f.str != nil && *f.str(r) != nil:
			vals[f.key] = cty.StringVal(**f.str(r))
		case f.str != nil:
			vals[f.key] = cty.NullVal(cty.String)
		case *f.num(r) != nil:
			vals[f.key] = cty.NumberIntVal(**f.num(r))
		default:
			vals[f.key] = cty.NullVal(cty.Number)
		}
	}
	return cty.ObjectVal(vals)
}

// merge takes every key src sets over dst.
func (resourcesKind) merge(dst, src any) any {
	out := &Resources{}
	if d, _ := dst.(*Resources); d != nil {
		*out = *d
	}
	s, _ := src.(*Resources)
	for _, f := range resourceFields {
		if f.str != nil && *f.str(s) != nil {
			*f.str(out) = *f.str(s)
		}
		if f.num != nil && *f.num(s) != nil {
			*f.num(out) = *f.num(s)
		}
	}
	return out
}

func (resourcesKind) normalize(v any, _ *bakeTarget) any { return v }

// set applies --set TARGET.resources.KEY=VALUE.
func (resourcesKind) set(cur any, o *override, _ string) (any, error) {
	out := &Resources{}
	if c, _ := cur.(*Resources); c != nil {
		*out = *c
	}
	for _, f := range resourceFields {
		if f.key != o.sub {
			continue
		}
		if f.str != nil {
			s := o.value
			*f.str(out) = &s
			return out, nil
		}
		n, err := strconv.ParseInt(o.value, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("--set resources.%s: invalid value %q: want a whole number", o.sub, o.value)
		}
		*f.num(out) = &n
		return out, nil
	}
	return nil, fmt.Errorf("--set resources.%s: unknown resources key %q; the keys are %s", o.sub, o.sub, resourceKeys())
}

func (resourcesKind) resolve(v any, t *Target, _ *resolver) {
	r, _ := v.(*Resources)
	t.Resources = r
}

func (resourcesKind) print(name string, v any, w *jsonWriter) {
	r, _ := v.(*Resources)
	if r == nil {
		return
	}
	w.key(name)
	w.beginObject()
	for _, f := range resourceFields {
		switch {
		case f.str != nil && *f.str(r) != nil:
			w.key(f.key)
			w.str(**f.str(r))
		case f.num != nil && *f.num(r) != nil:
			w.key(f.key)
			w.buf = strconv.AppendInt(w.buf, **f.num(r), 10)
		}
	}
	w.endObject()
}

func resourceKeys() string { return strings.Join(resourcesKind{}.entryKeys(), ", ") }

// Policy is one entry of bake's policy attribute: source policy files
// (Rego) the build's sources are checked against, and how.
type Policy struct {
	// Files are the policy files, resolved against the directory of the
	// file that declared them.
	Files []string
	// Reset drops the policies of earlier entries; Disabled turns source
	// policies off.
	Reset, Disabled bool
	// Strict is the strict= setting when given.
	Strict *bool
	// LogLevel is the log-level= setting when given, as logrus names it
	// ("warning" for warn).
	LogLevel string
}

// policyEntry is a policy as bake holds it, with the directory its files
// are relative to.
type policyEntry struct {
	Policy
	dir string
}

var policyEntries = &entryType[*policyEntry]{
	what: "policy",
	keys: policyKeys,
	csv: func(s, dir string) ([]*policyEntry, error) {
		p, err := parsePolicy(s, dir)
		if err != nil {
			return nil, err
		}
		return []*policyEntry{p}, nil
	},
	object: func(v cty.Value, dir string) (*policyEntry, error) {
		if !v.Type().IsObjectType() && !v.Type().IsMapType() {
			return nil, decodeErrorf("Each policy must be a string or an object, but one is %s.", describe(v))
		}
		var fields []string
		for k, av := range v.AsValueMap() {
			if av.IsNull() || !av.IsKnown() || (av.Type() == cty.String && av.AsString() == "") {
				continue
			}
			switch av.Type() {
			case cty.String:
				fields = append(fields, k+"="+av.AsString())
			case cty.Bool:
				fields = append(fields, fmt.Sprintf("%s=%t", k, av.True()))
			case cty.Number:
				var f big.Float
				f.Set(av.AsBigFloat())
				fields = append(fields, k+"="+f.Text('f', -1))
			default:
				return nil, decodeErrorf("The policy key %q must be a string, a bool or a number, but it is %s.", k, describe(av))
			}
		}
		p, err := policyFields(fields, dir)
		if err != nil {
			return nil, decodeErrorf("Invalid policy: %v.", err)
		}
		return p, nil
	},
	// bake appends policies through inherits without removing any.
	norm: func(s []*policyEntry) []*policyEntry { return s },
	ref: func(p *policyEntry) cty.Value {
		m := map[string]cty.Value{}
		if len(p.Files) > 0 {
			m["filename"] = cty.StringVal(p.Files[0])
		}
		if p.Reset {
			m["reset"] = cty.StringVal("true")
		}
		if p.Disabled {
			m["disabled"] = cty.StringVal("true")
		}
		if p.Strict != nil {
			m["strict"] = cty.StringVal(strconv.FormatBool(*p.Strict))
		}
		if p.LogLevel != "" {
			m["log-level"] = cty.StringVal(p.LogLevel)
		}
		if len(m) == 0 {
			return cty.MapValEmpty(cty.String)
		}
		return cty.MapVal(m)
	},
	refType: cty.Map(cty.String),
	// bake prints its PolicyConfig struct as Go encodes it: field names
	// as keys, every field present.
	print: func(p *policyEntry, w *jsonWriter) {
		w.beginObject()
		w.key("Files")
		if p.Files == nil {
			w.null()
		} else {
			w.beginArray()
			for _, f := range p.Files {
				w.item()
				w.beginObject()
				w.key("Filename")
				w.str(f)
				w.key("Data")
				w.null()
				w.endObject()
			}
			w.endArray()
		}
		w.key("Reset")
		w.boolean(p.Reset)
		w.key("Disabled")
		w.boolean(p.Disabled)
		w.key("Strict")
		if p.Strict == nil {
			w.null()
		} else {
			w.boolean(*p.Strict)
		}
		w.key("LogLevel")
		if p.LogLevel == "" {
			w.null()
		} else {
			w.str(p.LogLevel)
		}
		w.endObject()
	},
}

// policyKeys are the keys of a policy.
var policyKeys = []string{"filename", "reset", "disabled", "strict", "log-level"}

// parsePolicy reads the CSV form of a policy, as bake's ParsePolicyConfig.
func parsePolicy(s, dir string) (*policyEntry, error) {
	fields, err := csvvalue.Fields(s, nil)
	if err != nil {
		return nil, err
	}
	return policyFields(fields, dir)
}

func policyFields(fields []string, dir string) (*policyEntry, error) {
	p := &policyEntry{dir: dir}
	for _, field := range fields {
		key, value, ok := strings.Cut(field, "=")
		if !ok {
			return nil, fmt.Errorf("invalid value %s", field)
		}
		switch key = strings.TrimSpace(strings.ToLower(key)); key {
		case "filename":
			if value == "" {
				return nil, fmt.Errorf("invalid value %s", field)
			}
			p.Files = append(p.Files, value)
		case "reset", "disabled", "strict":
			b, err := strconv.ParseBool(value)
			if err != nil {
				return nil, fmt.Errorf("invalid value %s: %w", field, err)
			}
			switch key {
			case "reset":
				p.Reset = b
			case "disabled":
				p.Disabled = b
			default:
				p.Strict = &b
			}
		case "log-level":
			level, ok := logLevel(value)
			if !ok {
				return nil, fmt.Errorf("invalid value %s: not a valid log level %q", field, value)
			}
			p.LogLevel = level
		default:
			return nil, fmt.Errorf("invalid value %s", field)
		}
	}
	return p, nil
}

// logLevel reads a log level as logrus.ParseLevel does and names it as
// logrus prints it. logrus itself is not imported for a table of seven
// names.
func logLevel(s string) (string, bool) {
	switch l := strings.ToLower(s); l {
	case "panic", "fatal", "error", "info", "debug", "trace":
		return l, true
	case "warn", "warning":
		return "warning", true
	}
	return "", false
}

// resolvePolicies resolves every policy file against the directory of the
// file that declared it.
func resolvePolicies(es []*policyEntry, r *resolver) []Policy {
	var out []Policy
	for _, e := range es {
		p := e.Policy
		p.Files = nil
		for _, f := range e.Files {
			p.Files = append(p.Files, resolvePath(r.dirOr(e.dir), f))
		}
		out = append(out, p)
	}
	return out
}
