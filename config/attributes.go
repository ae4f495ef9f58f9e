package config

// Kind says what shape of value an attribute takes. The decoder converts
// every evaluated value to the Go form its kind names, and the JSON Schema
// of the file format (package schema) is generated from the same table, so
// the two cannot drift apart.
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
)

// Attribute describes one attribute a block accepts.
type Attribute struct {
	// Name is the attribute as written in a file, e.g. "cache-from".
	Name string
	Kind Kind
	// Field is the config.Target field the attribute fills ("" for
	// attributes that only steer evaluation, such as matrix and name).
	Field string
	// Doc is a one-line description used by the JSON Schema and by
	// diagnostics.
	Doc string
	// EntryKeys lists the object keys a KindEntryList item documents
	// (others are allowed); empty for other kinds.
	EntryKeys []string
}

// TargetAttributes lists every attribute a target block accepts, in the
// order bake prints them. It is the single source of truth for decoding,
// "did you mean" suggestions and the JSON Schema.
var TargetAttributes = []Attribute{
	{Name: "description", Kind: KindString, Field: "Description", Doc: "Human-readable description shown by orch ls."},
	{Name: "inherits", Kind: KindStringList, Field: "Inherits", Doc: "Targets whose attributes this target starts from, applied in order."},
	{Name: "annotations", Kind: KindStringList, Field: "Annotations", Doc: "OCI annotations, \"[type:]key=value\"."},
	{Name: "attest", Kind: KindEntryList, Field: "Attest", Doc: "Attestations: \"type=sbom\", \"type=provenance,mode=max\" or objects.", EntryKeys: []string{"type", "disabled"}},
	{Name: "context", Kind: KindString, Field: "Context", Doc: "Build context: a directory relative to the declaring file, a URL, or \"target:NAME\"."},
	{Name: "contexts", Kind: KindStringMap, Field: "Contexts", Doc: "Named build contexts; \"target:NAME\" links another target's result."},
	{Name: "dockerfile", Kind: KindString, Field: "Dockerfile", Doc: "Dockerfile path relative to the context (default \"Dockerfile\")."},
	{Name: "dockerfile-inline", Kind: KindString, Field: "DockerfileInline", Doc: "Dockerfile content given inline."},
	{Name: "args", Kind: KindNullableStringMap, Field: "Args", Doc: "Build arguments; a null value keeps the inherited one."},
	{Name: "labels", Kind: KindNullableStringMap, Field: "Labels", Doc: "Image labels; a null value keeps the inherited one."},
	{Name: "tags", Kind: KindStringList, Field: "Tags", Doc: "Image names and tags."},
	{Name: "cache-from", Kind: KindEntryList, Field: "CacheFrom", Doc: "Cache sources: \"user/app:cache\", \"type=local,src=dir\" or objects.", EntryKeys: []string{"type"}},
	{Name: "cache-to", Kind: KindEntryList, Field: "CacheTo", Doc: "Cache destinations: \"type=inline\", \"type=local,dest=dir\" or objects.", EntryKeys: []string{"type"}},
	{Name: "target", Kind: KindString, Field: "Target", Doc: "Dockerfile stage to build."},
	{Name: "secret", Kind: KindEntryList, Field: "Secrets", Doc: "Secrets: \"id=npm,src=.npmrc\", \"id=tok,env=TOKEN\" or objects.", EntryKeys: []string{"id", "src", "env"}},
	{Name: "ssh", Kind: KindEntryList, Field: "SSH", Doc: "SSH agent sockets or keys: \"default\", \"id=path1,path2\" or objects.", EntryKeys: []string{"id", "paths"}},
	{Name: "platforms", Kind: KindStringList, Field: "Platforms", Doc: "Target platforms, e.g. \"linux/amd64\"."},
	{Name: "output", Kind: KindEntryList, Field: "Outputs", Doc: "Outputs: \"type=oci,dest=out.tar\", \"type=image,push=true\" or objects.", EntryKeys: []string{"type", "dest"}},
	{Name: "pull", Kind: KindBool, Field: "Pull", Doc: "Always pull referenced images."},
	{Name: "no-cache", Kind: KindBool, Field: "NoCache", Doc: "Do not use the build cache."},
	{Name: "network", Kind: KindString, Field: "NetworkMode", Doc: "Network mode for RUN steps (\"default\", \"none\", \"host\")."},
	{Name: "no-cache-filter", Kind: KindStringList, Field: "NoCacheFilter", Doc: "Stages to build without cache."},
	{Name: "shm-size", Kind: KindString, Field: "ShmSize", Doc: "Size of /dev/shm for RUN steps, e.g. \"128m\"."},
	{Name: "ulimits", Kind: KindStringList, Field: "Ulimits", Doc: "Ulimits for RUN steps, \"type=soft[:hard]\"."},
	{Name: "call", Kind: KindString, Field: "Call", Doc: "Frontend method to call (\"build\", \"check\", \"outline\", \"targets\")."},
	{Name: "entitlements", Kind: KindStringList, Field: "Entitlements", Doc: "Extra privileges, e.g. \"network.host\"."},
	{Name: "extra-hosts", Kind: KindNullableStringMap, Field: "ExtraHosts", Doc: "Extra /etc/hosts entries, host name to address."},
	{Name: "depends_on", Kind: KindStringList, Field: "DependsOn", Doc: "orch: targets that must finish before this one starts (order only, no data passes)."},
	{Name: "matrix", Kind: KindAny, Doc: "Expands the block into one target per combination of the listed values."},
	{Name: "name", Kind: KindString, Doc: "Name of each target a matrix expands to; required with matrix."},
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
