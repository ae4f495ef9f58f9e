package config

import "slices"

// Kind says what shape of value an attribute takes. The JSON Schema of the
// file format (package schema) is generated from it; for target
// attributes it is the kind of the entry's behaviour (kinds.go), so the
// schema says what the loader decodes.
type Kind int

const (
	// KindString is a single string; numbers and bools are converted.
	KindString Kind = iota
	// KindBool is true or false; the strings "true" and "false" convert.
	KindBool
	// KindStringList is a list of strings.
	KindStringList
	// KindStringMap is an object of strings.
	KindStringMap
	// KindNullableStringMap is an object of strings whose null values
	// are dropped instead of overriding an inherited value (args,
	// labels, extra-hosts).
	KindNullableStringMap
	// KindEntryList is a list whose items are either CSV strings
	// ("type=local,dest=out") or objects (output, cache, attest).
	KindEntryList
	// KindAny is any value (matrix values, variable defaults).
	KindAny
	// KindObject is an object whose keys are the attribute's EntryKeys
	// (resources).
	KindObject
)

// Attribute describes one attribute a block accepts.
type Attribute struct {
	// Name is the attribute as written in a file, e.g. "cache-from".
	Name string
	Kind Kind
	// Doc is a one-line description used by the JSON Schema and by
	// diagnostics.
	Doc string
	// EntryKeys lists the object keys a KindEntryList item documents
	// (others are allowed), or the keys of a KindObject; empty for other
	// kinds.
	EntryKeys []string

	// ops is what the attribute does in every phase; nil for attributes
	// that only steer evaluation (matrix, name) and outside targets.
	ops attrOps
	// set lists the --set keys that change the attribute.
	set []setKey
	// index is the attribute's position in TargetAttributes, its slot in
	// bakeTarget.vals.
	index int
}

// setForm is the shape of a --set key.
type setForm int

const (
	// setValue is KEY=VALUE.
	setValue setForm = iota
	// setNamed is KEY.NAME=VALUE, one entry of a map.
	setNamed
	// setList is KEY=VALUE for a list: repeated keys accumulate, += adds
	// to the file's list, and an empty value clears it.
	setList
)

// setKey is one --set key of an attribute.
type setKey struct {
	// name is the key as bake spells it; alias is the other spelling
	// bake accepts ("tags" for "tag"), if any.
	name, alias string
	form        setForm
	// apply replaces the attribute's own set (kinds.go) for keys with a
	// rule of their own (push, load, secret.ID).
	apply func(cur any, o *override) (any, error)
	// late keys apply after every other key of the target, as bake
	// applies secret.ID once the list of secrets is final.
	late bool
}

func value(name string) setKey        { return setKey{name: name, form: setValue} }
func named(name, alias string) setKey { return setKey{name: name, alias: alias, form: setNamed} }
func list(name, alias string) setKey  { return setKey{name: name, alias: alias, form: setList} }

// attr builds a target attribute; its kind comes from its behaviour.
func attr(name, doc string, ops attrOps, keys ...setKey) Attribute {
	a := Attribute{Name: name, Kind: ops.kind(), Doc: doc, ops: ops, set: keys}
	if e, ok := ops.(interface{ entryKeys() []string }); ok {
		a.EntryKeys = e.entryKeys()
	}
	return a
}

// TargetAttributes lists every attribute a target block accepts, in the
// order bake prints them. Each entry holds everything about its
// attribute: how it decodes from HCL and JSON, merges across blocks of one
// name and through inherits, takes --set, resolves into Target and prints;
// the loader, the overrides and print loop over this table. Adding an
// attribute means adding an entry here (and its Target field, and its
// translation in the BuildKit adapter).
var TargetAttributes = []Attribute{
	attr("description", "Human-readable description shown by orch ls.",
		textKind{field: func(t *Target) *string { return &t.Description }}),
	attr("inherits", "Targets whose attributes this target starts from, applied in order.",
		inheritsKind{listKind{merging: listExtend, keepDupes: true, hidden: true}}),
	attr("annotations", "OCI annotations, \"[type:]key=value\".",
		listKind{field: func(t *Target) *[]string { return &t.Annotations }, merging: listExtend, escape: true},
		list("annotation", "annotations")),
	attr("attest", "Attestations: \"type=sbom\", \"type=provenance,mode=max\" or objects.",
		entriesKind[*attestEntry]{typ: attestEntries, appendMerge: true, setMerges: true,
			store: func(t *Target, es []*attestEntry, r *resolver) { t.Attest = resolveAttests(es, r) }},
		list("attest", "")),
	attr("context", "Build context: a directory relative to the declaring file, a URL, or \"target:NAME\".",
		contextKind{}, value("context")),
	attr("contexts", "Named build contexts; \"target:NAME\" links another target's result.",
		contextsKind{}, named("contexts", "")),
	attr("dockerfile", "Dockerfile path relative to the context (default \"Dockerfile\").",
		strKind{field: func(t *Target) **string { return &t.Dockerfile }, def: "Dockerfile", stdin: "Dockerfile"},
		value("dockerfile")),
	attr("dockerfile-inline", "Dockerfile content given inline.",
		strKind{field: func(t *Target) **string { return &t.DockerfileInline }, escape: true}),
	attr("args", "Build arguments; a null value keeps the inherited one.",
		mapKind{func(t *Target) *map[string]*string { return &t.Args }}, named("arg", "args")),
	attr("labels", "Image labels; a null value keeps the inherited one.",
		mapKind{func(t *Target) *map[string]*string { return &t.Labels }}, named("label", "labels")),
	attr("tags", "Image names and tags.",
		listKind{field: func(t *Target) *[]string { return &t.Tags }}, list("tag", "tags")),
	attr("cache-from", "Cache sources: \"user/app:cache\", \"type=local,src=dir\" or objects.",
		entriesKind[*cacheEntry]{typ: cacheEntries, appendMerge: true,
			store: func(t *Target, es []*cacheEntry, r *resolver) { t.CacheFrom = resolveCaches(es, r) }},
		list("cache-from", "")),
	attr("cache-to", "Cache destinations: \"type=inline\", \"type=local,dest=dir\" or objects.",
		entriesKind[*cacheEntry]{typ: cacheEntries,
			store: func(t *Target, es []*cacheEntry, r *resolver) { t.CacheTo = resolveCaches(es, r) }},
		list("cache-to", "")),
	attr("target", "Dockerfile stage to build.",
		strKind{field: func(t *Target) **string { return &t.Target }}, value("target")),
	attr("secret", "Secrets: \"id=npm,src=.npmrc\", \"id=tok,env=TOKEN\" or objects.",
		entriesKind[*secretEntry]{typ: secretEntries, appendMerge: true,
			store: func(t *Target, es []*secretEntry, r *resolver) { t.Secrets = resolveSecrets(es, r) }},
		list("secret", "secrets"),
		setKey{name: "secret", form: setNamed, late: true, apply: func(cur any, o *override) (any, error) {
			secrets, _ := cur.([]*secretEntry)
			return updateSecret(secrets, o.target, o.sub, o.value, o.dir)
		}}),
	attr("ssh", "SSH agent sockets or keys: \"default\", \"id=path1,path2\" or objects.",
		entriesKind[*sshEntry]{typ: sshEntries, appendMerge: true,
			store: func(t *Target, es []*sshEntry, r *resolver) { t.SSH = resolveSSH(es, r) }},
		list("ssh", "")),
	attr("platforms", "Target platforms, e.g. \"linux/amd64\".",
		listKind{field: func(t *Target) *[]string { return &t.Platforms }}, list("platform", "platforms")),
	attr("output", "Outputs: \"type=oci,dest=out.tar\", \"type=image,push=true\" or objects.",
		entriesKind[*exportEntry]{typ: outputEntries,
			store: func(t *Target, es []*exportEntry, r *resolver) { t.Outputs = resolveOutputs(es, r) }},
		list("output", ""),
		setKey{name: "push", form: setValue, apply: func(cur any, o *override) (any, error) {
			push, err := parseSetBool(o)
			outputs, _ := cur.([]*exportEntry)
			return boxOutputs(setPush(outputs, push, o.dir)), err
		}},
		setKey{name: "load", form: setValue, apply: func(cur any, o *override) (any, error) {
			load, err := parseSetBool(o)
			outputs, _ := cur.([]*exportEntry)
			return boxOutputs(setLoad(outputs, load, o.dir)), err
		}}),
	attr("pull", "Always pull referenced images.",
		boolKind{field: func(t *Target) **bool { return &t.Pull }}, value("pull")),
	attr("no-cache", "Do not use the build cache.",
		boolKind{field: func(t *Target) **bool { return &t.NoCache }}, value("no-cache")),
	attr("network", "Network mode for RUN steps (\"default\", \"none\", \"host\").",
		strKind{field: func(t *Target) **string { return &t.NetworkMode }}, value("network")),
	attr("no-cache-filter", "Stages to build without cache.",
		listKind{field: func(t *Target) *[]string { return &t.NoCacheFilter }, merging: listAppend},
		list("no-cache-filter", "")),
	attr("shm-size", "Size of /dev/shm for RUN steps, e.g. \"128m\".",
		strKind{field: func(t *Target) **string { return &t.ShmSize }}, value("shm-size")),
	attr("ulimits", "Ulimits for RUN steps, \"type=soft[:hard]\".",
		listKind{field: func(t *Target) *[]string { return &t.Ulimits }, merging: listAppend},
		list("ulimit", "ulimits")),
	attr("resources", "Resource limits for RUN steps: memory, memory-swap, cpu-shares, cpu-period, cpu-quota, cpuset-cpus, cpuset-mems.",
		resourcesKind{}, named("resource", "resources")),
	attr("call", "Frontend method to call (\"build\", \"check\", \"outline\", \"targets\").",
		strKind{field: func(t *Target) **string { return &t.Call }}, value("call")),
	attr("entitlements", "Extra privileges, e.g. \"network.host\".",
		listKind{field: func(t *Target) *[]string { return &t.Entitlements }, merging: listExtend, norm: hostEntitlement},
		list("entitlement", "entitlements")),
	attr("extra-hosts", "Extra /etc/hosts entries, host name to address.",
		mapKind{func(t *Target) *map[string]*string { return &t.ExtraHosts }}, named("extra-host", "extra-hosts")),
	attr("policy", "Source policies: \"filename=policy.rego\", \"disabled=true\" or objects.",
		entriesKind[*policyEntry]{typ: policyEntries, appendMerge: true, setResets: true, setEmpties: true,
			store: func(t *Target, es []*policyEntry, r *resolver) { t.Policy = resolvePolicies(es, r) }},
		list("policy", "")),
	attr("depends_on", "orch: targets that must finish before this one starts (order only, no data passes).",
		listKind{field: func(t *Target) *[]string { return &t.DependsOn }, hidden: true}),
	attr("incremental", "orch: false builds the target on every run, never skipping it as up to date (for builds that fetch from the network).",
		boolKind{field: func(t *Target) **bool { return &t.Incremental }, hidden: true}, value("incremental")),
	{Name: "matrix", Kind: KindAny, Doc: "Expands the block into one target per combination of the listed values."},
	{Name: "name", Kind: KindString, Doc: "Name of each target a matrix expands to; required with matrix."},
}

// boxOutputs stores an output list, nil when there is none.
func boxOutputs(outputs []*exportEntry) any {
	if outputs == nil {
		return nil
	}
	return outputs
}

// hostEntitlement adds the network.host entitlement that network = "host"
// implies, as bake's normalize does.
func hostEntitlement(list []string, t *bakeTarget) []string {
	if p, _ := t.vals[networkAttr.index].(*string); p != nil && *p == "host" {
		return append(slices.Clip(list), "network.host")
	}
	return list
}

// Attributes other parts of the loader and print refer to by rule; init
// sets them, after the table exists.
var (
	networkAttr, argsAttr, outputAttr, contextAttr, contextsAttr, entitlementsAttr *Attribute
	inheritsAttr, dependsOnAttr                                                    *Attribute
)

func init() {
	for i := range TargetAttributes {
		TargetAttributes[i].index = i
	}
	networkAttr, argsAttr, outputAttr = attributeNamed("network"), attributeNamed("args"), attributeNamed("output")
	contextAttr, contextsAttr, entitlementsAttr = attributeNamed("context"), attributeNamed("contexts"), attributeNamed("entitlements")
	inheritsAttr, dependsOnAttr = attributeNamed("inherits"), attributeNamed("depends_on")
}

// attributeNamed returns the entry of a target attribute, or nil.
func attributeNamed(name string) *Attribute {
	for i := range TargetAttributes {
		if TargetAttributes[i].Name == name {
			return &TargetAttributes[i]
		}
	}
	return nil
}

// GroupAttributes lists the attributes a group block accepts.
var GroupAttributes = []Attribute{
	{Name: "description", Kind: KindString, Doc: "Human-readable description shown by orch ls."},
	{Name: "targets", Kind: KindStringList, Doc: "Targets and groups the group builds."},
}

// VariableAttributes lists the attributes a variable block accepts; a
// variable block may also hold repeatable validation blocks.
var VariableAttributes = []Attribute{
	{Name: "type", Kind: KindAny, Doc: "Type constraint, e.g. string, number, bool, list(string), map(string)."},
	{Name: "default", Kind: KindAny, Doc: "Value used when neither --var nor the environment sets the variable."},
	{Name: "description", Kind: KindString, Doc: "Human-readable description shown by orch ls."},
}

// ValidationAttributes lists the attributes of a variable's validation
// block.
var ValidationAttributes = []Attribute{
	{Name: "condition", Kind: KindBool, Doc: "Expression that must be true for the value to be accepted."},
	{Name: "error_message", Kind: KindString, Doc: "Message shown when the condition is false."},
}

// FunctionAttributes lists the attributes a function block accepts.
var FunctionAttributes = []Attribute{
	{Name: "params", Kind: KindStringList, Doc: "Parameter names."},
	{Name: "variadic_params", Kind: KindString, Doc: "Name of the parameter that collects any further arguments as a list."},
	{Name: "result", Kind: KindAny, Doc: "Expression computing the result from the parameters."},
}

// BlockTypes lists the top-level block types of the file format.
var BlockTypes = []string{"target", "group", "variable", "function"}

// attributeNames returns the names of attrs.
func attributeNames(attrs []Attribute) []string {
	names := make([]string, len(attrs))
	for i, a := range attrs {
		names[i] = a.Name
	}
	return names
}
